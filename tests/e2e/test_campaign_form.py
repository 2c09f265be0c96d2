"""The new-campaign form with JavaScript: the questionnaire list follows the chosen audience
(调查对象), so the pair submitted agrees; the defaults already agree."""

from __future__ import annotations

from survey_app.db.tables import Campaign
from tests.e2e.accounts import log_in_as_admin
from tests.e2e.conftest import Site
from tests.web.test_campaign_new_defaults import _version


async def test_questionnaire_list_follows_the_audience(site: Site, make_user) -> None:
    enterprise = await _version("enterprise", "ent")
    resident = await _version("resident", "res")
    page = await site.phone()
    await log_in_as_admin(page, make_user)
    await page.goto("/campaigns")
    version = page.locator("select[name=version_id]")
    assert await version.input_value() == str(enterprise)
    assert not await page.locator(f"select[name=version_id] option[value='{resident}']").is_enabled()

    await page.select_option("select[name=audience]", "resident")
    assert await version.input_value() == str(resident)
    assert not await page.locator(
        f"select[name=version_id] option[value='{enterprise}']").is_enabled()
    await page.select_option("select[name=audience]", "enterprise")
    assert await version.input_value() == str(enterprise)

    await page.fill("input[name=name]", "2026年第三季度企业调查")
    await page.fill("input[name=code]", "2026Q3-ENT")
    await page.fill("input[name=period]", "2026-Q3")
    await page.click("form[action='/campaigns'] button.primary")
    await page.wait_for_url("**/campaigns/*")
    row = await Campaign.select(Campaign.audience, Campaign.version).first()
    assert (row["audience"], row["version"]) == ("enterprise", enterprise)
