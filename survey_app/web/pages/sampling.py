"""Sampling pages: the roster, campaigns and their sampling, distribution of links and QR codes,
the campaign monitor, and paper data entry. Each area lives in its own sampling_* module."""

from __future__ import annotations

from typing import Any

from survey_app.web.pages import (
    sampling_campaigns,
    sampling_distribution,
    sampling_entry,
    sampling_roster,
)

ROUTES: list[Any] = [
    *sampling_roster.ROUTES,
    *sampling_campaigns.ROUTES,
    *sampling_distribution.ROUTES,
    *sampling_entry.ROUTES,
]
