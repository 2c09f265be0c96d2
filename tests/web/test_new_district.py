"""A new district sets itself up from an empty database through the admin pages only (no YAML,
no database edits): units and classes, roster import with bad rows, a questionnaire from a
template, confirmed publish, campaign, previewed draw, open link, confirmed close and reopen."""

from __future__ import annotations

import re

from questionnaires.shipped import shipped_units
from survey_app.db.tables import Campaign, Invitation, Respondent, Unit
from survey_app.jobs.runner import run_next_job
from tests.conftest import csrf_from, login, post_form
from tests.web.test_roster_pages import uscc
from tests.web.test_units_admin import xlsx


async def test_a_district_from_an_empty_database(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")

    # Units: classes as a list, then the register imported from XLSX.
    units = shipped_units()
    for category in sorted({u.category for u in units} | {"园区"}):
        await post_form(client, "/admin/units", "/admin/units/categories",
                        {"op": "add", "name": category})
    page = await client.get("/admin/units")
    rows = [["代码", "名称", "类别"], *[[u.code, u.name, u.category] for u in units],
            ["P01", "高新区管委会", "园区"]]
    imported = await client.post("/admin/units/import", data={"_csrf_token": csrf_from(page.text)},
                                 files={"file": ("units.xlsx", xlsx(rows))})
    assert imported.status_code in (302, 303), imported.text
    assert await Unit.count() == len(units) + 1

    # Roster: 40 firms in the 高新区, plus two bad rows reported and left out.
    lines = ["统一社会信用代码,企业名称,行业,规模,园区"]
    lines += [f"{uscc(i)},测试企业{i:03d}有限公司,{'制造业' if i % 2 else '批发零售'},"
              f"{'中型' if i % 3 else '小型'},高新区" for i in range(1, 41)]
    lines += [f"{uscc(41)},外星公司,外星贸易,小微,火星街道", f"{uscc(42)},,制造业,中型,高新区"]
    form = await client.get("/roster/import")
    upload = await client.post("/roster/import", data={
        "kind": "enterprise", "_csrf_token": csrf_from(form.text)},
        files={"file": ("企业名单.csv", ("\n".join(lines) + "\n").encode("utf-8"), "text/csv")})
    assert upload.status_code in (302, 303)
    assert await run_next_job("test")
    job_id = upload.headers["location"].rsplit("/", 1)[1]
    result = await client.get(f"/roster/imports/{job_id}")
    assert "外星贸易" in result.text and await Respondent.count() == 40

    # Questionnaire from a shipped template, published after the confirmation page.
    created = await post_form(client, "/questionnaires/new", "/questionnaires/new",
                              {"source": "template", "template": "enterprise-business-environment"})
    detail = await client.get(created.headers["location"])
    publish_url = re.search(r'href="(/questionnaires/versions/\d+/publish)"', detail.text).group(1)  # type: ignore[union-attr]
    assert (await post_form(client, publish_url, publish_url, {"confirm": "1"})).status_code in (
        302, 303)
    version_id = publish_url.split("/")[3]

    # Campaign, previewed draw checked by its fingerprint, open.
    made = await post_form(client, "/campaigns", "/campaigns", {
        "name": "2027年第一季度企业满意度调查", "code": "2027Q1-ENT", "period": "2027-Q1",
        "audience": "enterprise", "version_id": version_id})
    campaign_url = made.headers["location"]
    plan = {"strata": ["industry"], "size_mode": "rate", "rate_percent": "25",
            "allocation": "proportional", "min_per_stratum": "1", "exclude_recent": "0",
            "seed": "12345"}
    preview = await post_form(client, campaign_url, f"{campaign_url}/plan",
                              {**plan, "action": "preview"})
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', preview.text).group(1)  # type: ignore[union-attr]
    drawn = await post_form(client, campaign_url, f"{campaign_url}/plan",
                            {**plan, "action": "draw", "fingerprint": fingerprint})
    assert drawn.status_code in (302, 303) and await Invitation.count() == 10
    await post_form(client, campaign_url, f"{campaign_url}/open", {})

    # An open link for posters.
    link_url = f"{campaign_url}/open-link"
    await post_form(client, link_url, link_url, {"op": "create"})
    token = (await Campaign.select(Campaign.open_link_token).first())["open_link_token"]
    assert (await client.get(f"/o/{token}")).status_code == 200

    # Close (confirmed against the counts) and reopen before results are published.
    close_url = f"{campaign_url}/close"
    confirm = await client.get(close_url)
    token_field = re.search(r'name="token" value="([^"]+)"', confirm.text).group(1)  # type: ignore[union-attr]
    await post_form(client, close_url, close_url, {"confirm": "1", "token": token_field})
    assert (await Campaign.select(Campaign.status).first())["status"] == "closed"
    await post_form(client, close_url, f"{campaign_url}/reopen", {"reason": "延长两周"})
    assert (await Campaign.select(Campaign.status).first())["status"] == "open"
