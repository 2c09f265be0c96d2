"""The new-campaign form's defaults agree: the questionnaire selected by default is one for the
audience selected by default, so submitting it unchanged does not fail on the audience."""

from __future__ import annotations

import re

from survey_app.db.tables import Campaign
from survey_app.services.questionnaires import create_questionnaire, parse_text, publish
from tests.conftest import login, post_form
from tests.db.test_sampling_service import QUESTIONNAIRE_YAML


async def _version(audience: str, suffix: str) -> int:
    definition = parse_text(QUESTIONNAIRE_YAML.replace("id: test-enterprise", f"id: t-{suffix}"))
    version_id = await create_questionnaire(definition, audience, None)
    await publish(version_id, None)
    return version_id


def _selected(html: str, name: str) -> str:
    """The option a browser submits for <select name=...>: the selected one, else the first."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    options = re.findall(r'<option value="([^"]*)"([^>]*)>', select.group(1))
    chosen = [value for value, attrs in options if "selected" in attrs]
    return chosen[0] if chosen else options[0][0]


async def test_the_default_questionnaire_fits_the_default_audience(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    enterprise = await _version("enterprise", "ent")
    resident = await _version("resident", "res")  # newer: listed first
    page = await client.get("/campaigns")
    audience, version = _selected(page.text, "audience"), _selected(page.text, "version_id")
    assert (audience, version) == ("enterprise", str(enterprise))
    # Each option says which audience it is for (the page's script filters by it).
    assert f'<option value="{resident}" data-audience="resident"' in page.text
    created = await post_form(client, "/campaigns", "/campaigns", {
        "name": "2026年第三季度企业调查", "code": "2026Q3-ENT", "period": "2026-Q3",
        "audience": audience, "version_id": version})
    assert created.status_code in (302, 303), created.text
    assert await Campaign.count() == 1


async def test_only_resident_questionnaires_default_to_resident(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    resident = await _version("resident", "res")
    page = await client.get("/campaigns")
    assert (_selected(page.text, "audience"), _selected(page.text, "version_id")) == (
        "resident", str(resident))


async def test_a_wrong_pair_is_explained_and_kept(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await _version("enterprise", "ent")
    resident = await _version("resident", "res")
    refused = await post_form(client, "/campaigns", "/campaigns", {
        "name": "企业调查", "code": "ENT", "period": "2026-Q3", "audience": "enterprise",
        "version_id": str(resident)})
    assert refused.status_code == 400
    assert "所选问卷面向居民，与调查对象“企业”不一致" in refused.text
    assert (_selected(refused.text, "audience"), _selected(refused.text, "version_id")) == (
        "enterprise", str(resident))
