"""Distribution: the contact list with links (masked by default, formula-safe), the QR sheet and
the `survey-app links` command."""

from __future__ import annotations

import asyncio
import io
import os
import re
import sys

from openpyxl import load_workbook

from survey_app.db.queries import audit
from survey_app.db.tables import Campaign, Invitation, Respondent
from tests.conftest import formula_cells, login, post_form, repo_root
from tests.db.test_sampling_service import drawn_campaign

DEFAULT_FORM = {"format": "xlsx", "template": "{名称}您好，请填写{调查}：{链接}"}


async def export(client, campaign_id: int, **fields: str):  # type: ignore[no-untyped-def]
    url = f"/campaigns/{campaign_id}/distribution"
    return await post_form(client, url, f"/campaigns/{campaign_id}/links",
                           {**DEFAULT_FORM, **fields})


def sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))


async def tokens_of(campaign_id: int) -> set[str]:
    rows = await Invitation.select(Invitation.token).where(Invitation.campaign == campaign_id)
    return {r["token"] for r in rows}


async def test_export_is_masked_by_default_full_on_request_and_audited(
    client, make_user, settings
) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    campaign_id = await drawn_campaign()
    masked = await export(client, campaign_id)
    assert masked.status_code == 200
    assert "attachment" in masked.headers["content-disposition"]
    rows = sheet_rows(masked.content)
    assert rows[0][:4] == ("邀请编号", "名称", "编号/信用代码", "所在地")
    data = rows[1:]
    assert len(data) == 20
    phones = [r[7] for r in data]
    assert all(re.fullmatch(r"138\*\*\*\*\d{4}", p) for p in phones)
    assert all(re.fullmatch(r"联\*+", r[6]) for r in data)
    links = {r[8] for r in data}
    assert links == {f"{settings.base_url}/s/{t}" for t in await tokens_of(campaign_id)}
    assert all(r[9].endswith(r[8]) and r[9].startswith(r[1]) for r in data)

    full = await export(client, campaign_id, full_contacts="1", format="csv")
    text = full.content.decode("utf-8-sig")
    assert re.search(r",1380000\d{4},", text) and "联系人" in text
    events = await audit.recent_events(action="campaign.export_links")
    assert [e.detail["full_contacts"] for e in events] == [True, False]
    assert all(e.detail["rows"] == 20 for e in events)


async def test_export_escapes_formula_cells(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    campaign_id = await drawn_campaign()
    sampled = await Invitation.select(Invitation.respondent).where(
        Invitation.campaign == campaign_id).first()
    await Respondent.update({Respondent.name: '=HYPERLINK("http://evil.example","点我")'}).where(
        Respondent.id == sampled["respondent"])
    rows = sheet_rows((await export(client, campaign_id)).content)
    names = [r[1] for r in rows[1:]]
    assert '=HYPERLINK("http://evil.example","点我")' in names  # exact text, in a text cell
    assert formula_cells((await export(client, campaign_id)).content) == []
    csv_text = (await export(client, campaign_id, format="csv")).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text


async def test_template_must_hold_the_link(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    campaign_id = await drawn_campaign()
    response = await export(client, campaign_id, template="请填写问卷")
    assert response.status_code == 400 and "必须包含链接占位符" in response.text
    assert not await audit.recent_events(action="campaign.export_links")


async def test_qr_sheet_has_one_svg_per_awaiting_invitation(client, make_user, settings) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    campaign_id = await drawn_campaign()
    answered = await Invitation.select(Invitation.id).where(
        Invitation.campaign == campaign_id).first()
    await Invitation.update({Invitation.status: "responded"}).where(
        Invitation.id == answered["id"])
    sheet = await client.get(f"/campaigns/{campaign_id}/qr")
    assert sheet.status_code == 200
    assert sheet.text.count("<svg") == 19
    assert sheet.text.count('class="qr-card"') == 19
    assert f"邀请编号 {answered['id']} " not in sheet.text
    names = await Respondent.select(Respondent.name).where(Respondent.id.is_in(
        [r["respondent"] for r in await Invitation.select(Invitation.respondent).where(
            (Invitation.campaign == campaign_id) & (Invitation.status == "pending"))]))
    assert all(n["name"] in sheet.text for n in names)
    # The codes hold the links, not the page: no token is printed as text.
    for token in await tokens_of(campaign_id):
        assert token not in sheet.text
    assert (await audit.recent_events(action="campaign.qr_sheet"))[0].detail["cards"] == 19


async def test_distribution_pages_are_for_admins_only(client, make_user) -> None:
    campaign_id = await drawn_campaign()
    await make_user("entry1", "data_entry")
    await login(client, "entry1")
    assert (await client.get(f"/campaigns/{campaign_id}/qr")).status_code == 403
    assert (await client.get(f"/campaigns/{campaign_id}/distribution")).status_code == 403


async def _run_links_command(settings, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update({"SURVEY_DATABASE_URL": settings.database_url,
                "SURVEY_DATA_DIR": str(settings.data_dir), "SURVEY_SECRET_KEY": "x" * 40,
                "SURVEY_BASE_URL": "https://survey.example.gov.cn", "SURVEY_LOG_LEVEL": "WARNING"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from survey_app.commands.links import links; links()", *args,
        cwd=repo_root(), env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_links_command_prints_awaiting_links(db, settings) -> None:
    first = await drawn_campaign("LINKS-1")
    second = await drawn_campaign("LINKS-2", seed=9, status="draft")
    answered = await Invitation.select(Invitation.id, Invitation.token).where(
        Invitation.campaign == first).first()
    await Invitation.update({Invitation.status: "responded"}).where(
        Invitation.id == answered["id"])

    code, out, _ = await _run_links_command(settings)  # all open campaigns: only LINKS-1
    assert code == 0
    expected = {f"https://survey.example.gov.cn/s/{t}" for t in await tokens_of(first)}
    assert set(out.split()) == expected - {f"https://survey.example.gov.cn/s/{answered['token']}"}
    assert len(out.splitlines()) == 19

    code, out, _ = await _run_links_command(settings, "LINKS-2")  # a named draft campaign
    assert code == 0 and len(out.splitlines()) == 20
    assert {line.rsplit("/", 1)[1] for line in out.splitlines()} == await tokens_of(second)

    code, out, err = await _run_links_command(settings, "NO-SUCH")
    assert code != 0 and out == "" and "调查批次 NO-SUCH 不存在" in err
    assert await Campaign.count() == 2
