"""Two-step verification for privileged staff: enrolment, the login's second step, replay,
recovery codes, lockout, session rotation, secrets at rest, and administrators' resets."""

from __future__ import annotations

import re
import time

from survey_app.db.queries import audit
from survey_app.db.tables import MfaRecoveryCode, User, UserSession
from survey_app.services import secretbox, totp
from tests.conftest import MFA_SECRETS, TEST_PASSWORD, csrf_from, login, post_form


async def password_only(client, username: str, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    """The first step alone (the `login` fixture would also enter a code)."""
    page = await client.get("/login")
    return await client.post("/login", data={
        "username": username, "password": password, "_csrf_token": csrf_from(page.text)})


async def enter_code(client, code: str, next_path: str = "/"):  # type: ignore[no-untyped-def]
    page = await client.get(f"/account/mfa/verify?next={next_path}")
    return await client.post("/account/mfa/verify", data={
        "code": code, "next": next_path, "_csrf_token": csrf_from(page.text)})


def code_at(username: str, offset_steps: int = 0) -> str:
    return totp.totp(MFA_SECRETS[username], time.time() + offset_steps * totp.STEP_SECONDS)


async def enrol_through_the_page(client) -> tuple[bytes, list[str]]:  # type: ignore[no-untyped-def]
    page = await client.get("/account/mfa")
    assert page.status_code == 200
    secret_text = re.search(r'class="mfa-secret">([A-Z2-7 ]+)<', page.text)
    assert secret_text and "<svg" in page.text  # QR code inline, no external image
    secret = totp.from_base32(secret_text.group(1))
    done = await client.post("/account/mfa/enrol", data={
        "code": totp.totp(secret, time.time()), "next": "/", "_csrf_token": csrf_from(page.text)})
    assert done.status_code == 200, done.text[:300]
    codes = re.findall(r"<li>([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})</li>", done.text)
    return secret, codes


async def test_admin_without_mfa_is_led_through_enrolment_first(client, make_user) -> None:
    await make_user("admin1", "admin", mfa=False)
    response = await password_only(client, "admin1")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/mfa?next=%2F"
    half_sid = client.cookies.get("sid")
    blocked = await client.get("/units")
    assert blocked.status_code == 303 and blocked.headers["location"].startswith("/account/mfa")
    assert (await client.get("/api/jobs/1")).status_code == 403

    page = await client.get("/account/mfa")
    wrong = await client.post("/account/mfa/enrol", data={
        "code": "000000", "_csrf_token": csrf_from(page.text)})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.text
    assert (await client.get("/units")).status_code == 303  # still half logged in

    _, codes = await enrol_through_the_page(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.cookies.get("sid") != half_sid  # a new session id once the factor is set
    assert (await client.get("/units")).status_code == 200
    row = await User.select(User.mfa_enabled_at, User.mfa_pending_secret).first()
    assert row["mfa_enabled_at"] is not None and row["mfa_pending_secret"] == ""
    assert await MfaRecoveryCode.count() == 10
    enrolled = await audit.recent_events(action="mfa.enrol")
    assert [e.success for e in enrolled] == [True, False]


async def test_enrolled_admin_needs_a_code_after_the_password(client, make_user) -> None:
    await make_user("admin1", "admin")
    first = await password_only(client, "admin1")
    assert first.status_code == 303
    assert first.headers["location"] == "/account/mfa/verify?next=%2F"
    half_sid = client.cookies.get("sid")
    assert (await client.get("/")).headers["location"].startswith("/account/mfa/verify")
    assert (await client.get("/account/mfa")).status_code == 303  # no re-enrolling around it

    done = await enter_code(client, code_at("admin1"), "/units")
    assert done.status_code == 303 and done.headers["location"] == "/units"
    full_sid = client.cookies.get("sid")
    assert full_sid and full_sid != half_sid
    assert await UserSession.count() == 1  # the half session is gone, not just left behind
    assert (await client.get("/units")).status_code == 200
    events = await audit.recent_events(action="mfa.verify")
    assert events[0].success and events[0].detail["method"] == "totp"

    client.cookies.clear()
    client.cookies.set("sid", half_sid)  # the old id does not come back to life
    assert (await client.get("/units")).headers["location"].startswith("/login")


async def test_a_code_is_accepted_once(client, make_user) -> None:
    await make_user("admin1", "admin")
    code = code_at("admin1")
    await password_only(client, "admin1")
    assert (await enter_code(client, code)).status_code == 303
    await post_form(client, "/", "/logout", {})
    await password_only(client, "admin1")
    replayed = await enter_code(client, code)
    assert replayed.status_code == 400 and "已使用过" in replayed.text
    failures = await audit.recent_events(action="mfa.verify")
    assert failures[0].detail["reason"] == "replayed" and not failures[0].success
    # an older step inside the window is a replay too once a newer one was used
    assert (await enter_code(client, code_at("admin1", -1))).status_code == 400


async def test_one_step_of_drift_is_accepted_two_are_not(client, make_user) -> None:
    await make_user("admin1", "admin")
    await password_only(client, "admin1")
    assert (await enter_code(client, code_at("admin1", -2))).status_code == 400
    assert (await enter_code(client, code_at("admin1", 2))).status_code == 400
    assert (await enter_code(client, code_at("admin1", -1))).status_code == 303


async def test_recovery_code_works_once(client, make_user) -> None:
    await make_user("admin1", "admin", mfa=False)
    await password_only(client, "admin1")
    _, codes = await enrol_through_the_page(client)
    await post_form(client, "/", "/logout", {})

    await password_only(client, "admin1")
    used = await enter_code(client, codes[3].lower().replace("-", " "))  # typed loosely
    assert used.status_code == 303
    assert used.headers["location"] == "/account/mfa?recovery_left=9"
    notice = await client.get(used.headers["location"])
    assert "还剩 9 个" in notice.text
    await post_form(client, "/", "/logout", {})

    await password_only(client, "admin1")
    again = await enter_code(client, codes[3])
    assert again.status_code == 400
    assert await MfaRecoveryCode.count().where(MfaRecoveryCode.used_at.is_not_null()) == 1


async def test_wrong_codes_lock_the_account_across_password_attempts(client, make_user) -> None:
    await make_user("office1", "office")
    await password_only(client, "office1")
    for _ in range(2):
        assert (await enter_code(client, "000000")).status_code == 400
    # a right password again does not reset the count: each password and each code is an
    # attempt until the second factor is right (1 + 2 + 1 + 1 = 5)
    await password_only(client, "office1")
    locked = await enter_code(client, "000000")
    assert locked.status_code == 400 and "锁定" in locked.text
    assert await UserSession.count() == 0
    row = await User.select(User.failed_logins, User.locked_until).first()
    assert row["failed_logins"] == 5 and row["locked_until"] is not None
    retry = await password_only(client, "office1")
    assert retry.status_code == 400 and "锁定" in retry.text
    events = await audit.recent_events(action="mfa.verify")
    assert len(events) == 3 and not any(e.success for e in events)


async def test_right_code_resets_the_failure_count(client, make_user) -> None:
    await make_user("office1", "office")
    await password_only(client, "office1")
    await enter_code(client, "000000")
    assert (await enter_code(client, code_at("office1"))).status_code == 303
    row = await User.select(User.failed_logins).first()
    assert row["failed_logins"] == 0


async def test_secrets_and_recovery_codes_are_not_stored_in_plain_text(
    client, make_user, settings
) -> None:
    await make_user("admin1", "admin", mfa=False)
    await password_only(client, "admin1")
    secret, codes = await enrol_through_the_page(client)
    row = await User.select(User.id, User.mfa_secret).first()
    stored = row["mfa_secret"]
    plain_forms = [totp.to_base32(secret), secret.hex(), secret.decode("latin-1")]
    assert stored.startswith("v1.") and not any(p in stored for p in plain_forms)
    assert secretbox.open_sealed(settings.secret_key, row["id"], stored) == secret
    hashes = {r["code_hash"] for r in await MfaRecoveryCode.select(MfaRecoveryCode.code_hash)}
    assert len(hashes) == 10
    for code in codes:
        assert code not in hashes and code.replace("-", "") not in hashes
        assert secretbox.code_digest(settings.secret_key, row["id"], code.replace("-", "")) in hashes


async def test_users_outside_the_mfa_roles_log_in_with_the_password_alone(client, make_user) -> None:
    await make_user("analyst1", "analyst")
    response = await login(client, "analyst1")
    assert response.headers["location"] == "/"
    assert (await client.get("/themes")).status_code == 200


async def test_voluntary_enrolment_is_enforced_and_can_be_turned_off(client, make_user) -> None:
    await make_user("analyst1", "analyst", mfa=True)
    first = await password_only(client, "analyst1")
    assert first.headers["location"].startswith("/account/mfa/verify")
    assert (await enter_code(client, code_at("analyst1"))).status_code == 303
    off = await post_form(client, "/account/mfa", "/account/mfa/disable", {})
    assert off.status_code == 303
    assert (await User.select(User.mfa_secret).first())["mfa_secret"] == ""
    assert (await audit.recent_events(action="mfa.disable"))[0].success


async def test_required_roles_cannot_turn_mfa_off(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    refused = await post_form(client, "/account/mfa", "/account/mfa/disable", {})
    assert refused.status_code == 400 and "不能关闭" in refused.text
    assert (await User.select(User.mfa_secret).first())["mfa_secret"] != ""


async def test_renewal_keeps_the_old_factor_until_the_new_one_is_confirmed(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    old = await User.select(User.mfa_secret).first()
    assert (await post_form(client, "/account/mfa", "/account/mfa/renew", {})).status_code == 303
    assert (await User.select(User.mfa_secret).first()) == old
    new_secret, codes = await enrol_through_the_page(client)
    assert new_secret != MFA_SECRETS["admin1"] and len(codes) == 10
    assert (await User.select(User.mfa_secret).first()) != old
    assert (await audit.recent_events(action="mfa.enrol"))[0].detail["renewal"] is True


async def test_regenerated_recovery_codes_replace_the_old_ones(client, make_user) -> None:
    await make_user("admin1", "admin", mfa=False)
    await password_only(client, "admin1")
    _, old_codes = await enrol_through_the_page(client)
    page = await post_form(client, "/account/mfa", "/account/mfa/recovery-codes", {})
    new_codes = re.findall(r"<li>([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})</li>", page.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    await post_form(client, "/", "/logout", {})
    await password_only(client, "admin1")
    assert (await enter_code(client, old_codes[0])).status_code == 400
    assert (await enter_code(client, new_codes[0])).status_code == 303


async def test_admin_resets_another_users_mfa_with_a_reason(client, make_user) -> None:
    await make_user("admin1", "admin")
    office_id = await make_user("office1", "office")
    other = await make_user("office2", "office")
    import httpx

    # office1 is logged in elsewhere: the reset ends that session
    transport = client._transport
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as office:
        await login(office, "office1")
        assert (await office.get("/scores")).status_code == 200
        await login(client, "admin1")
        no_reason = await post_form(client, "/admin/users", f"/admin/users/{office_id}/mfa-reset",
                                    {"reason": "  "})
        assert no_reason.status_code == 400 and "请填写重置原因" in no_reason.text
        done = await post_form(client, "/admin/users", f"/admin/users/{office_id}/mfa-reset",
                               {"reason": "手机丢失，本人电话确认"})
        assert done.status_code == 200 and "已重置 office1" in done.text
        assert (await office.get("/scores")).headers["location"].startswith("/login")
    rows = {r["id"]: r["mfa_secret"] for r in await User.select(User.id, User.mfa_secret)}
    assert rows[office_id] == "" and rows[other] != ""
    event = (await audit.recent_events(action="mfa.reset"))[0]
    assert event.target == "office1" and event.actor_name == "admin1"
    assert event.detail["reason"] == "手机丢失，本人电话确认"
    again = await password_only(client, "office1")
    assert again.headers["location"].startswith("/account/mfa?")  # enrol again

