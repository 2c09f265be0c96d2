"""Finding 4 (issue 17): the low items, each reproduced and now refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import httpx

from survey_app.db.tables import UserSession
from survey_app.services.auth import GENERIC_LOGIN_ERROR
from survey_app.web.access_log import escape_control
from tests.conftest import TEST_PASSWORD, csrf_from, login, post_form
from tests.support.campaigns import open_campaign


def _client(app, base: str = "http://testserver.local") -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40001))
    return httpx.AsyncClient(transport=transport, base_url=base)


async def test_tokens_never_reach_the_log_the_route_pattern_does(client, db, caplog) -> None:
    campaign = await open_campaign(invitations=1)
    token = campaign.tokens[0]
    with caplog.at_level(logging.INFO, logger="survey_app.access"):
        assert (await client.get(f"/s/{token}")).status_code == 200
        await client.get(f"/o/{campaign.open_token}")
        await client.get("/entry/1", params={"q": f"https://x/s/{token}"})
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "survey_app.access")
    assert "GET /s/{token} 200" in text
    assert token not in text and campaign.open_token not in text


async def test_nul_and_control_characters_in_a_path_are_a_404(client, db) -> None:
    for path in ("/static/css/app.css%00.txt", "/static/%00", "/s/abc%0d%0aFAKE", "/login%00"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "页面不存在" in response.text


def test_log_lines_cannot_be_forged() -> None:
    assert escape_control("a\r\nINFO fake line\x00\x1b[31m") == (
        "a\\x0d\\x0aINFO fake line\\x00\\x1b[31m"
    )
    record = logging.LogRecord("x", logging.INFO, "f", 1, "path %s", ("/a\nINFO forged",), None)
    from survey_app.web.access_log import EscapingFilter

    EscapingFilter().filter(record)
    assert "\n" not in record.getMessage() and "\\x0a" in record.getMessage()


async def test_device_cookie_is_secure_behind_tls(app, db) -> None:
    campaign = await open_campaign(code="resident-social-satisfaction")
    async with _client(app, "https://testserver.local") as tls:
        page = await tls.get(f"/o/{campaign.open_token}")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("dev=") and "Secure" in cookie


def test_trusted_proxies_are_a_setting() -> None:
    import pytest

    from survey_app.config import SettingsError, load_settings

    base = {"SURVEY_SECRET_KEY": "k" * 40, "SURVEY_DATA_DIR": "/tmp/sec17-settings"}
    assert load_settings(base).trusted_proxies == ()
    assert load_settings({**base, "SURVEY_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}
                         ).trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8")
    with pytest.raises(SettingsError, match="SURVEY_TRUSTED_PROXIES"):
        load_settings({**base, "SURVEY_TRUSTED_PROXIES": "example.com"})


async def test_csrf_token_is_bound_to_the_session_and_changes_at_login(app, make_user) -> None:
    await make_user("analyst1", "analyst")
    await make_user("analyst2", "analyst")
    async with _client(app) as first, _client(app) as second:
        await login(first, "analyst1")
        await login(second, "analyst2")
        mine = csrf_from((await first.get("/account/password")).text)
        theirs = csrf_from((await second.get("/account/password")).text)
        assert mine != theirs
        # the attacker's own valid token and cookie, planted in the victim's browser
        planted = second.cookies.get("csrftoken") or ""
        first.cookies.delete("csrftoken")
        first.cookies.set("csrftoken", planted, domain="testserver.local")
        refused = await first.post("/logout", data={"_csrf_token": theirs})
        assert refused.status_code == 403 and "页面已过期" in refused.text
        before_login = csrf_from((await first.get("/account/password")).text)
        await login(first, "analyst1")
        after_login = csrf_from((await first.get("/account/password")).text)
        assert after_login != before_login


async def test_a_post_from_another_origin_is_refused(app, make_user) -> None:
    await make_user("analyst1", "analyst")
    async with _client(app) as browser:
        await login(browser, "analyst1")
        token = csrf_from((await browser.get("/account/password")).text)
        foreign = await browser.post("/logout", data={"_csrf_token": token},
                                     headers={"origin": "https://evil.example"})
        assert foreign.status_code == 403
        cross = await browser.post("/logout", data={"_csrf_token": token},
                                   headers={"sec-fetch-site": "cross-site", "origin": "null"})
        assert cross.status_code == 403
        same = await browser.post("/logout", data={"_csrf_token": token},
                                  headers={"origin": "http://testserver.local"})
        assert same.status_code in (302, 303)


async def test_sessions_have_an_absolute_lifetime(client, make_user, settings) -> None:
    await make_user("analyst1", "analyst")
    await login(client, "analyst1")
    assert (await client.get("/account/password")).status_code == 200
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=settings.session_max_hours, minutes=1)
    await UserSession.update({UserSession.created_at: old}).where(UserSession.id > 0)
    expired = await client.get("/account/password")
    assert expired.status_code in (302, 303) and "/login" in expired.headers["location"]
    assert await UserSession.count() == 0


async def test_a_password_change_ends_the_other_sessions(app, make_user) -> None:
    await make_user("analyst1", "analyst")
    async with _client(app) as laptop, _client(app) as stolen:
        await login(laptop, "analyst1")
        await login(stolen, "analyst1")
        changed = await post_form(laptop, "/account/password", "/account/password", {
            "current_password": TEST_PASSWORD, "new_password": "Another-Passw0rd-2026",
            "repeat_password": "Another-Passw0rd-2026"})
        assert changed.status_code == 200
        assert (await laptop.get("/account/password")).status_code == 200
        gone = await stolen.get("/account/password")
        assert gone.status_code in (302, 303) and "/login" in gone.headers["location"]


async def test_locked_and_wrong_credentials_get_one_message(client, make_user) -> None:
    await make_user("analyst1", "analyst")
    unknown = await login(client, "nobody", "Wrong-Passw0rd-1")
    wrong = await login(client, "analyst1", "Wrong-Passw0rd-1")
    for i in range(5):
        await login(client, "analyst1", f"Wrong-{i}-Passw0rd")
    locked = await login(client, "analyst1")
    for response in (unknown, wrong, locked):
        assert response.status_code == 400 and GENERIC_LOGIN_ERROR in response.text


async def test_banners_come_from_message_keys_only(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    campaign = await open_campaign()
    forged = "您的账号已过期，请致电 400-000-0000 重新激活"
    page = await client.get(f"/campaigns/{campaign.campaign_id}", params={"notice": forged})
    assert page.status_code == 200 and forged not in page.text
    real = await client.get(f"/campaigns/{campaign.campaign_id}",
                            params={"notice": "sampled", "a": "120", "b": "30"})
    assert "从 120 个对象中抽取 30 个" in real.text
    roster = await client.get("/roster", params={"notice": forged})
    assert forged not in roster.text
    entry = await client.get(f"/entry/{campaign.campaign_id}", params={"done": forged[:40]})
    assert forged[:40] not in entry.text


async def test_schema_lists_only_the_api(client, db) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = set(schema["paths"])
    assert paths and all(p.startswith("/api/") or p == "/healthz" for p in paths), paths
    assert "/admin/users" not in paths


def test_settings_default_is_twelve_hours(settings) -> None:
    assert dataclasses.replace(settings).session_max_hours == 12
