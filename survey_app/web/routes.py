"""Every route handler of the application, in one list (the access matrix test walks it)."""

from __future__ import annotations

from typing import Any

from survey_app.web.api import health, v1
from survey_app.web.pages import (
    appraisal,
    auth,
    cards,
    dashboard,
    jobs,
    mfa,
    questionnaires,
    reauth,
    sampling,
    scores,
    survey,
    themes,
    units,
    users,
)

MODULES = (
    health, v1, auth, mfa, reauth, dashboard, jobs, units, users, survey, questionnaires,
    sampling, themes, scores, appraisal, cards,
)


def all_routes() -> list[Any]:
    return [route for module in MODULES for route in module.ROUTES]
