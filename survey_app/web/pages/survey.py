"""Respondent pages: /s/{token} and open links."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
