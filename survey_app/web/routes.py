"""Every route handler of the application, in one list (the access matrix test walks it)."""

from __future__ import annotations

from typing import Any

from survey_app.web import static_assets
from survey_app.web.api import health, v1
from survey_app.web.pages import (
    api_tokens,
    appraisal,
    auth,
    campaign_lifecycle,
    campaign_open_link,
    cards,
    dashboard,
    jobs,
    mfa,
    questionnaire_builder,
    questionnaire_paper,
    questionnaires,
    reauth,
    sampling,
    scores,
    survey,
    survey_open,
    themes,
    themes_assigned,
    units,
    units_admin,
    users,
)

MODULES = (
    health, v1, auth, mfa, reauth, dashboard, jobs, units, units_admin, users, survey, survey_open,
    questionnaires, questionnaire_builder, questionnaire_paper, sampling, campaign_lifecycle,
    campaign_open_link, themes, themes_assigned, scores, api_tokens, appraisal, cards,
    static_assets,
)


def all_routes() -> list[Any]:
    return [route for module in MODULES for route in module.ROUTES]
