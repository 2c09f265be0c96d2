"""Step-up re-authentication: sensitive actions need the password (or a TOTP code for users with
a second factor) confirmed within SURVEY_STEP_UP_MINUTES; /account/confirm comes back only to
local paths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from urllib.parse import quote

import httpx
import pytest

from survey_app.db.queries import audit
from survey_app.db.tables import User, UserSession
from survey_app.services import totp
from tests.conftest import MFA_SECRETS, TEST_PASSWORD, csrf_from, login, post_form
from tests.db.test_sampling_service import drawn_campaign
from tests.security.test_access_matrix import STEP_UP, WRITE


async def go_stale(minutes: int = 11) -> None:
    """As if the last password/code confirmation was `minutes` ago."""
    then = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    await UserSession.update({UserSession.reauth_at: then}).where(UserSession.id > 0)


async def confirm(client, credential: str, next_path: str):  # type: ignore[no-untyped-def]
    page = await client.get(f"/account/confirm?next={quote(next_path, safe='')}")
    assert page.status_code == 200
    return await client.post("/account/confirm", data={
        "credential": credential, "next": next_path, "_csrf_token": csrf_from(page.text)})


def fresh_code(username: str) -> str:
    return totp.totp(MFA_SECRETS[username], time.time())


async def allow_code_reuse(username: str) -> None:
    """The login used this step's code; a real user would wait for the next one."""
    await User.update({User.mfa_last_step: 0}).where(User.username == username)


def _concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+:int\}", "1", path)


async def test_every_sensitive_route_asks_for_confirmation_when_stale(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await go_stale()
    problems = []
    for path, method in sorted(STEP_UP):
        url = _concrete(path)
        if method == WRITE:
            response = await client.post(url, data={},
                                         headers={"x-csrftoken": client.cookies["csrftoken"]})
        else:
            response = await client.get(url)
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith("/account/confirm"):
            problems.append(f"{method} {url} → {response.status_code} {location}")
    assert problems == []


async def test_form_page_needs_confirmation_then_the_action_goes_through(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    assert (await client.get("/admin/users")).status_code == 200  # the login itself is recent
    await go_stale()
    page = await client.get("/admin/users")
    assert page.status_code == 303
    assert page.headers["location"] == "/account/confirm?next=%2Fadmin%2Fusers"
    await allow_code_reuse("admin1")
    wrong = await confirm(client, "000000", "/admin/users")
    assert wrong.status_code == 400 and "验证码不正确" in wrong.text
    done = await confirm(client, fresh_code("admin1"), "/admin/users")
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    created = await post_form(client, "/admin/users", "/admin/users", {
        "username": "analyst2", "password": "Analyst-Passw0rd-1", "role": "analyst"})
    assert created.status_code in (302, 303)
    assert await User.count().where(User.username == "analyst2") == 1
    events = await audit.recent_events(action="reauth")
    assert [(e.success, e.detail.get("method") or e.detail.get("reason")) for e in events] == [
        (True, "totp"), (False, "bad_code")]


async def test_a_stale_post_is_refused_and_sent_back_to_its_form(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    form = await client.get("/admin/users")
    await go_stale()
    response = await client.post("/admin/users", data={
        "username": "analyst2", "password": "Analyst-Passw0rd-1", "role": "analyst",
        "_csrf_token": csrf_from(form.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/account/confirm?next=%2Fadmin%2Fusers"
    assert await User.count().where(User.username == "analyst2") == 0


async def test_confirmation_lasts_the_configured_minutes(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await go_stale(minutes=9)
    assert (await client.get("/admin/api-tokens")).status_code == 200
    await go_stale(minutes=10)
    assert (await client.get("/admin/api-tokens")).status_code == 303


async def test_the_login_code_cannot_be_replayed_to_confirm(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await go_stale()
    replay = await confirm(client, fresh_code("admin1"), "/admin/users")
    assert replay.status_code == 400


async def test_users_without_a_second_factor_confirm_with_their_password(
    db, settings, make_user
) -> None:
    from survey_app.app import create_app

    app = create_app(dataclasses.replace(settings, mfa_roles=frozenset()), engine=db)
    await make_user("admin1", "admin", mfa=False)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        assert (await login(client, "admin1")).headers["location"] == "/"
        await go_stale()
        page = await client.get("/account/confirm?next=/admin/users")
        assert 'type="password"' in page.text
        wrong = await confirm(client, "Wrong-Passw0rd-99", "/admin/users")
        assert wrong.status_code == 400 and "密码不正确" in wrong.text
        done = await confirm(client, TEST_PASSWORD, "/admin/users")
        assert done.headers["location"] == "/admin/users"
        assert (await client.get("/admin/users")).status_code == 200
    row = await User.select(User.failed_logins).first()
    assert row["failed_logins"] == 0  # reset by the right confirmation


async def test_wrong_confirmations_lock_the_account_and_end_the_session(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await go_stale()
    for _ in range(4):
        assert (await confirm(client, "000000", "/admin/users")).status_code == 400
    locked = await confirm(client, "000000", "/admin/users")
    assert "锁定" in locked.text
    assert await UserSession.count() == 0
    assert (await client.get("/units")).headers["location"].startswith("/login")


@pytest.mark.parametrize("target", [
    "//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
    "javascript:alert(1)",
])
async def test_confirm_never_redirects_off_site(client, make_user, target: str) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await go_stale()
    await allow_code_reuse("admin1")
    page = await client.get(f"/account/confirm?next={quote(target, safe='')}")
    assert "evil.example" not in page.text and "javascript:" not in page.text
    response = await client.post("/account/confirm", data={
        "credential": fresh_code("admin1"), "next": target, "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_login_and_second_step_never_redirect_off_site(client, make_user) -> None:
    await make_user("admin1", "admin")
    page = await client.get("/login?next=//evil.example")
    response = await client.post("/login", data={
        "username": "admin1", "password": TEST_PASSWORD, "next": "https://evil.example/",
        "_csrf_token": csrf_from(page.text)})
    assert response.headers["location"] == "/account/mfa/verify?next=%2F"
    verify = await client.get("/account/mfa/verify?next=//evil.example")
    done = await client.post("/account/mfa/verify", data={
        "code": fresh_code("admin1"), "next": "//evil.example",
        "_csrf_token": csrf_from(verify.text)})
    assert done.headers["location"] == "/"


async def test_full_contact_export_needs_confirmation_masked_does_not(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    campaign_id = await drawn_campaign()
    page_url = f"/campaigns/{campaign_id}/distribution"
    fresh_page = await client.get(page_url)
    assert 'name="full_contacts"' in fresh_page.text
    await go_stale()
    stale_page = await client.get(page_url)
    assert stale_page.status_code == 200 and 'name="full_contacts"' not in stale_page.text
    assert "/account/confirm?next=" in stale_page.text
    form = {"format": "csv", "template": "{名称}您好：{链接}",
            "_csrf_token": csrf_from(stale_page.text)}
    masked = await client.post(f"/campaigns/{campaign_id}/links", data=form)
    assert masked.status_code == 200 and "attachment" in masked.headers["content-disposition"]
    full = await client.post(f"/campaigns/{campaign_id}/links", data={**form, "full_contacts": "1"})
    assert full.status_code == 303
    assert full.headers["location"] == f"/account/confirm?next={quote(page_url, safe='')}"
    events = await audit.recent_events(action="campaign.export_links")
    assert [e.detail["full_contacts"] for e in events] == [False]


async def test_roster_contact_reveal_needs_confirmation(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await drawn_campaign()
    await go_stale()
    roster = await client.get("/roster")
    response = await client.post("/roster/1/contact",
                                 data={"_csrf_token": csrf_from(roster.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/account/confirm?next=%2Froster"
    assert not await audit.recent_events(action="roster.contact_view")


async def test_voluntary_enrolment_outside_the_login_needs_confirmation(client, make_user) -> None:
    await make_user("analyst1", "analyst")
    await login(client, "analyst1")
    await go_stale()
    page = await client.get("/account/mfa")
    assert page.status_code == 200
    assert "mfa-secret" not in page.text and "/account/confirm?next=" in page.text
    refused = await client.post("/account/mfa/enrol", data={
        "code": "123456", "_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 303
    assert refused.headers["location"] == "/account/confirm?next=%2Faccount%2Fmfa"
    done = await confirm(client, TEST_PASSWORD, "/account/mfa")
    assert done.headers["location"] == "/account/mfa"
    assert "mfa-secret" in (await client.get("/account/mfa")).text
