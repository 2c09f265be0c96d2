"""Paper questionnaire entry: find the invitation, type the questionnaire, the token is used and
the channel and operator are recorded; nobody sees which respondent gave which answer."""

from __future__ import annotations

import re

from survey_app.db.queries import audit
from survey_app.db.tables import Answer, Invitation, Opinion, Response, User
from survey_app.services import campaign_monitoring, campaigns
from survey_app.services.roster import SYSTEM
from tests.conftest import csrf_from, login
from tests.db.test_sampling_service import drawn_campaign
from tests.support.campaigns import post_fields

OPINION = "希望简化施工许可的材料，审批窗口能延长午间服务时间"


async def entry_user(client, make_user) -> int:  # type: ignore[no-untyped-def]
    user_id = await make_user("entry1", "data_entry")
    await login(client, "entry1")
    return user_id


async def first_invitation(campaign_id: int) -> dict:
    return await Invitation.select(
        Invitation.id, Invitation.token, Invitation.respondent.name.as_alias("name")
    ).where(Invitation.campaign == campaign_id).order_by(Invitation.id).first()


async def submit(client, url: str, fields: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    form = await client.get(url)
    submission_id = re.search(r'name="_submission_id" value="([^"]+)"', form.text).group(1)
    return await post_fields(client, url, [("_csrf_token", csrf_from(form.text)),
                                           ("_submission_id", submission_id), *fields])


async def test_find_the_invitation_by_number_link_or_name(client, make_user, settings) -> None:
    await entry_user(client, make_user)
    campaign_id = await drawn_campaign()
    invitation = await first_invitation(campaign_id)
    home = await client.get("/entry")
    assert f'href="/entry/{campaign_id}"' in home.text
    link = f"/entry/{campaign_id}/invitations/{invitation['id']}"
    by_number = await client.get(f"/entry/{campaign_id}", params={"q": str(invitation["id"])})
    assert link in by_number.text
    scanned = f"{settings.base_url}/s/{invitation['token']}"
    assert link in (await client.get(f"/entry/{campaign_id}", params={"q": scanned})).text
    by_name = await client.get(f"/entry/{campaign_id}", params={"q": invitation["name"][2:]})
    assert link in by_name.text
    missing = await client.get(f"/entry/{campaign_id}", params={"q": "不存在的企业"})
    assert "没有找到" in missing.text


async def test_paper_entry_uses_the_token_and_records_channel_and_operator(
    client, make_user
) -> None:
    user_id = await entry_user(client, make_user)
    campaign_id = await drawn_campaign()
    invitation = await first_invitation(campaign_id)
    url = f"/entry/{campaign_id}/invitations/{invitation['id']}"
    form = await client.get(url)
    assert form.status_code == 200
    assert "您对区发展和改革局的服务是否满意？" in form.text and "入户访谈" in form.text

    incomplete = await submit(client, url, [("_channel", "interview"), ("opinion", OPINION)])
    assert incomplete.status_code == 400
    assert "此题为必答题" in incomplete.text and OPINION in incomplete.text  # typed text kept
    assert await Response.count() == 0

    done = await submit(client, url, [("_channel", "interview"), ("q_u01", "4"),
                                      ("depts__U02", "unknown"), ("opinion", OPINION)])
    assert done.status_code in (302, 303)
    assert done.headers["location"].startswith(f"/entry/{campaign_id}?done=")
    status = await Invitation.select(Invitation.status, Invitation.responded_at).where(
        Invitation.id == invitation["id"]).first()
    assert status["status"] == "responded" and status["responded_at"] is not None
    response = await Response.select().first()
    assert (response["channel"], response["entered_by"]) == ("interview", user_id)
    answers = {(a["unit_code"], a["level"]) for a in await Answer.select(Answer.unit_code,
                                                                          Answer.level)}
    assert answers == {("U01", 4), ("U02", None)}
    event = (await audit.recent_events(action="entry.submit"))[0]
    assert event.actor_name == "entry1"
    assert event.detail == {"invitation": invitation["id"], "channel": "interview"}

    again = await client.get(url)
    assert "不能再录入" in again.text and 'name="_submission_id"' not in again.text
    monitor = await campaign_monitoring.monitor(await campaigns.require_campaign(campaign_id))
    units = {u.code: u for u in monitor.units}
    assert (units["U01"].responses, units["U01"].rated) == (1, 1)
    assert (units["U02"].responses, units["U02"].rated) == (1, 0)
    assert units["U01"].rr1 == 1 / 20 and monitor.responded == 1


async def test_a_used_token_cannot_be_entered_twice(client, make_user) -> None:
    await entry_user(client, make_user)
    campaign_id = await drawn_campaign()
    invitation = await first_invitation(campaign_id)
    url = f"/entry/{campaign_id}/invitations/{invitation['id']}"
    form = await client.get(url)
    csrf = csrf_from(form.text)
    await post_fields(client, url, [("_csrf_token", csrf), ("_submission_id", "A" * 24),
                                    ("q_u01", "5")])
    second = await post_fields(client, url, [("_csrf_token", csrf), ("_submission_id", "B" * 24),
                                             ("q_u01", "1")])
    assert second.status_code == 400 and "已经提交过" in second.text
    assert await Response.count() == 1


async def test_no_page_links_answers_to_respondents(client, make_user) -> None:
    await make_user("admin1", "admin")
    campaign_id = await drawn_campaign()
    invitation = await first_invitation(campaign_id)
    await entry_user(client, make_user)
    await submit(client, f"/entry/{campaign_id}/invitations/{invitation['id']}",
                 [("_channel", "paper"), ("q_u01", "2"), ("opinion", OPINION)])
    assert await Opinion.count() == 1
    await login(client, "admin1")
    pages = [await client.get(f"/campaigns/{campaign_id}/monitor"),
             await client.get(f"/campaigns/{campaign_id}/report"),
             await client.get(f"/entry/{campaign_id}", params={"q": str(invitation["id"])})]
    url = f"/campaigns/{campaign_id}/distribution"
    page = await client.get(url)
    pages.append(await client.post(f"/campaigns/{campaign_id}/links", data={
        "_csrf_token": csrf_from(page.text), "format": "csv", "full_contacts": "1",
        "template": "{链接}"}))
    for shown in pages:
        assert shown.status_code == 200
        assert OPINION[:10] not in shown.text and "不满意" not in shown.text
    # The monitor knows the respondent has answered (status), nothing else.
    assert "已回复" in pages[3].content.decode("utf-8-sig")


async def test_entry_is_for_data_entry_and_admins_only(client, make_unit, make_user) -> None:
    campaign_id = await drawn_campaign()
    await make_unit("U01")
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await make_user("analyst1", "analyst")
    for username in ("viewer1", "analyst1"):
        await login(client, username)
        assert (await client.get("/entry")).status_code == 403
        assert (await client.get(f"/entry/{campaign_id}")).status_code == 403
    await make_user("admin1", "admin")
    await login(client, "admin1")
    assert (await client.get(f"/entry/{campaign_id}")).status_code == 200
    assert await User.count() == 3


async def test_only_open_campaigns_take_entries(client, make_user) -> None:
    await entry_user(client, make_user)
    campaign_id = await drawn_campaign()
    await campaigns.close_campaign(campaign_id, SYSTEM)
    assert (await client.get(f"/entry/{campaign_id}")).status_code == 404
    assert f'href="/entry/{campaign_id}"' not in (await client.get("/entry")).text
