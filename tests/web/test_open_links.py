"""Finding 3: open links are created, paused and revoked per campaign (audited) with an A4
poster; the open questionnaire is paged with progress and a draft per device, has its own
intro, and a device that already submitted is told so when it opens the link."""

from __future__ import annotations

import random
import re

import httpx

from survey_app.db.queries import audit
from survey_app.db.tables import Campaign, OpenDraft, Response
from tests.conftest import csrf_from, login, post_form
from tests.support.campaigns import form_fields, open_campaign, post_fields
from tests.web.test_survey import simulate_answers


async def test_admin_creates_pauses_prints_and_revokes_an_open_link(client, make_user) -> None:
    campaign = await open_campaign(code="resident-social-satisfaction")
    await Campaign.update({Campaign.open_link_token: None}).where(Campaign.id == campaign.campaign_id)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    url = f"/campaigns/{campaign.campaign_id}/open-link"
    created = await post_form(client, url, url, {"op": "create"})
    assert created.status_code in (302, 303)
    manage = await client.get(url)
    link = re.search(r'id="open-url">([^<]+)<', manage.text).group(1)  # type: ignore[union-attr]
    token = link.rsplit("/o/", 1)[1]
    assert len(token) == 16
    poster = await client.get(f"{url}/poster")
    assert poster.status_code == 200 and "<svg" in poster.text and link in poster.text
    assert "单位只能看到涉及本单位的意见文字，看不到填写人和其他答案" in poster.text
    assert "@page" in (await client.get("/static/css/app.css")).text

    await post_form(client, url, url, {"op": "pause"})
    paused = await client.get(f"/o/{token}")
    assert paused.status_code == 410 and "暂停使用" in paused.text
    await post_form(client, url, url, {"op": "resume"})
    assert (await client.get(f"/o/{token}")).status_code == 200
    unconfirmed = await post_form(client, url, url, {"op": "revoke"})
    assert unconfirmed.status_code == 400
    await post_form(client, url, url, {"op": "revoke", "confirm": "1"})
    assert (await client.get(f"/o/{token}")).status_code == 404
    actions = [e.action for e in await audit.recent_events()]
    for action in ("open_link.create", "open_link.pause", "open_link.resume",
                   "open_link.poster", "open_link.revoke"):
        assert action in actions


async def test_open_questionnaire_is_paged_with_a_draft_per_device(app, db, client,
                                                                  make_user) -> None:
    campaign = await open_campaign(code="resident-social-satisfaction")
    questionnaire = campaign.questionnaire
    answers = simulate_answers(questionnaire, random.Random(7))
    base = f"/o/{campaign.open_token}"

    def device(port: int) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", port))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")

    async with device(50011) as phone, device(50012) as other:
        first = await phone.get(base)
        assert first.status_code == 200
        assert 'class="progress"' in first.text and "第 1 /" in first.text
        assert "公开" in first.text and "随机抽中" not in first.text
        section = re.search(r'name="_section" value="([^"]+)"', first.text).group(1)  # type: ignore[union-attr]
        fields = [("_csrf_token", csrf_from(first.text)), ("_section", section),
                  ("_action", "next"),
                  ("_submission_id", re.search(r'name="_submission_id" value="([^"]+)"',
                                               first.text).group(1))]  # type: ignore[union-attr]
        fields += form_fields(questionnaire, answers, section)
        moved = await post_fields(phone, base, fields)
        assert moved.status_code in (302, 303)
        assert await OpenDraft.count() == 1
        # The same device resumes where it stopped; another device starts afresh.
        resumed = await phone.get(base)
        assert f'name="_section" value="{section}"' not in resumed.text
        fresh = await other.get(base)
        assert f'name="_section" value="{section}"' in fresh.text

        page = resumed
        for _ in range(len(questionnaire.sections) + 2):
            current = re.search(r'name="_section" value="([^"]+)"', page.text)
            if current is None:
                break
            step = current.group(1)
            is_last = 'value="submit"' in page.text
            fields = [("_csrf_token", csrf_from(page.text)), ("_section", step),
                      ("_action", "submit" if is_last else "next"),
                      ("_submission_id", re.search(r'name="_submission_id" value="([^"]+)"',
                                                   page.text).group(1))]  # type: ignore[union-attr]
            fields += form_fields(questionnaire, answers, step)
            page = await post_fields(phone, base, fields, follow_redirects=True)
        assert "谢谢您的参与" in page.text
        assert await Response.count() == 1 and await OpenDraft.count() == 0
        again = await phone.get(base)
        assert again.status_code == 409 and "这台设备已经提交过本问卷" in again.text

    # The open answer is counted as a channel, never in the sample's per-unit response rates
    # (found walking issue 14: 1 open answer read as 9.1 % 评价回复率 with 0 invitations answered).
    await make_user("admin1", "admin")
    await login(client, "admin1")
    monitor = (await client.get(f"/campaigns/{campaign.campaign_id}/monitor")).text
    assert "公开链接 1 份" in monitor
    per_unit = monitor.split("<h2>各被评价单位</h2>")[1].split("</table>")[0]
    counts = re.findall(r'<td class="num">([^<]+)</td>', per_unit)
    assert counts and all(c in ("0", "0.0%") for c in counts), counts
    # The same on the home page and in the appraisal: the response rate is of the sample only.
    home = (await client.get("/")).text
    row = re.search(r"<tr><td>[^<]*</td><td>[^<]*</td>((?:<td class=\"num\">[^<]*</td>){4})", home)
    assert row, "the running campaign is listed with its response rate"
    assert re.findall(r">([^<]*)<", row.group(1))[::2] == ["1", str(len(campaign.tokens)), "0", "0.0%"]

