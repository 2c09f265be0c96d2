"""Every route handler of the application, in one list (the access matrix test walks it)."""

from __future__ import annotations

from typing import Any

from survey_app.web.api import health
from survey_app.web.pages import auth, dashboard, jobs, units, users


def all_routes() -> list[Any]:
    return [*health.ROUTES, *auth.ROUTES, *dashboard.ROUTES, *jobs.ROUTES, *units.ROUTES,
            *users.ROUTES]
