"""Public API v1 for the appraisal system (bearer tokens)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
