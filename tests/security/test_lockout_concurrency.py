"""Finding 1 (issue 17): the lockout holds under concurrent requests.

Each attempt is reserved in the database (one conditional UPDATE … RETURNING) before the
credential is checked, so however many requests arrive at once, at most the allowed number of
passwords or codes is ever evaluated. Counting what is evaluated: the password and TOTP checks
are wrapped so the test sees every call.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from survey_app.db.tables import User, UserSession
from survey_app.services import passwords, totp
from tests.conftest import MFA_SECRETS, TEST_PASSWORD, csrf_from, login

MAX_FAILURES = 5  # SURVEY_LOGIN_MAX_FAILURES's default, used by the test settings


@pytest.fixture
def evaluated(monkeypatch):  # type: ignore[no-untyped-def]
    """Every password hash checked (by hash) and every TOTP code compared."""
    seen: dict[str, list[str]] = {"password": [], "totp": []}
    verify, matching = passwords.verify_password, totp.matching_step

    def counting_verify(password_hash: str, password: str) -> bool:
        seen["password"].append(password_hash)
        return verify(password_hash, password)

    def counting_matching(secret, code, now, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen["totp"].append(code)
        return matching(secret, code, now, *args, **kwargs)

    monkeypatch.setattr(passwords, "verify_password", counting_verify)
    monkeypatch.setattr(totp, "matching_step", counting_matching)
    return seen


def _client(app, host: str = "127.0.0.1") -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def _password_hash(username: str) -> str:
    row = await User.select(User.password_hash).where(User.username == username).first()
    assert row is not None
    return str(row["password_hash"])


async def _lock_state(username: str) -> dict:
    row = await User.select(User.failed_logins, User.locked_until).where(
        User.username == username
    ).first()
    assert row is not None
    return row


async def test_thirty_concurrent_wrong_passwords_evaluate_at_most_the_allowed_number(
    app, make_user, evaluated
) -> None:
    await make_user("analyst1", "analyst")
    digest = await _password_hash("analyst1")
    async with _client(app) as client:
        token = csrf_from((await client.get("/login")).text)
        attempts = [f"Wrong-Passw0rd-{i}" for i in range(29)] + [TEST_PASSWORD]
        results = await asyncio.gather(*(
            client.post("/login", data={"username": "analyst1", "password": password,
                                        "_csrf_token": token})
            for password in attempts
        ))
        assert evaluated["password"].count(digest) <= MAX_FAILURES
        succeeded = [r for r in results if r.status_code in (302, 303)]
        assert len(succeeded) <= 1
        state = await _lock_state("analyst1")
        if not succeeded:  # the right password came too late: the account is locked now
            assert state["locked_until"] is not None
            again = await login(client, "analyst1")
            assert again.status_code in (400, 429)  # locked, or throttled first
        assert evaluated["password"].count(digest) <= MAX_FAILURES + 1


async def test_thirty_concurrent_wrong_passwords_lock_the_account(app, make_user, evaluated) -> None:
    await make_user("analyst1", "analyst")
    digest = await _password_hash("analyst1")
    async with _client(app) as client:
        token = csrf_from((await client.get("/login")).text)
        await asyncio.gather(*(
            client.post("/login", data={"username": "analyst1", "password": f"Wrong-{i}-Passw0rd",
                                        "_csrf_token": token})
            for i in range(30)
        ))
        assert evaluated["password"].count(digest) == MAX_FAILURES
        state = await _lock_state("analyst1")
        assert state["locked_until"] is not None
        refused = await login(client, "analyst1")  # the right password, now too late
        assert refused.status_code in (400, 429)
        assert evaluated["password"].count(digest) == MAX_FAILURES  # not even checked


async def test_thirty_concurrent_wrong_codes_on_a_half_session_are_mostly_never_checked(
    app, make_user, evaluated
) -> None:
    await make_user("admin1", "admin")
    secret = MFA_SECRETS.pop("admin1")  # log in with the password only: a half session
    async with _client(app) as client:
        first = await login(client, "admin1")
        assert first.headers["location"].startswith("/account/mfa/verify")
        token = csrf_from((await client.get("/account/mfa/verify")).text)
        right = totp.totp(secret, time.time())
        codes = [f"{(int(right) + 1 + i) % 1_000_000:06d}" for i in range(30)] + [right]
        results = await asyncio.gather(*(
            client.post("/account/mfa/verify", data={"code": code, "_csrf_token": token})
            for code in codes
        ))
        checked = len(evaluated["totp"])
        assert checked <= 3  # the half session's own budget of wrong codes
        in_ = [r for r in results if r.status_code == 303 and r.headers["location"] == "/"]
        assert len(in_) <= 1
        if not in_:  # the half session was ended: nothing more can be tried on it
            assert await UserSession.count() == 0
            later = await client.post("/account/mfa/verify",
                                      data={"code": right, "_csrf_token": token})
            assert later.status_code in (302, 303) and "/login" in later.headers["location"]
        assert len(evaluated["totp"]) == checked


async def test_wrong_codes_end_the_half_session_after_three(app, make_user, evaluated) -> None:
    await make_user("admin1", "admin")
    MFA_SECRETS.pop("admin1")
    async with _client(app) as client:
        await login(client, "admin1")
        token = csrf_from((await client.get("/account/mfa/verify")).text)
        statuses = []
        for _ in range(3):
            result = await client.post("/account/mfa/verify",
                                       data={"code": "000000", "_csrf_token": token})
            statuses.append(result.status_code)
        assert await UserSession.count() == 0
        assert "重新登录" in result.text
        state = await _lock_state("admin1")
        assert state["locked_until"] is None  # 1 password + 3 codes: not yet the account lock


async def test_twenty_concurrent_wrong_confirmations_evaluate_at_most_the_allowed_number(
    app, make_user, evaluated
) -> None:
    await make_user("analyst1", "analyst")
    digest = await _password_hash("analyst1")
    async with _client(app) as client:
        await login(client, "analyst1")
        token = csrf_from((await client.get("/account/confirm")).text)
        before = evaluated["password"].count(digest)
        await asyncio.gather(*(
            client.post("/account/confirm", data={"credential": f"Wrong-{i}-Passw0rd",
                                                  "_csrf_token": token, "next": "/"})
            for i in range(20)
        ))
        assert evaluated["password"].count(digest) - before <= MAX_FAILURES
        assert (await _lock_state("analyst1"))["locked_until"] is not None


async def test_a_lock_is_never_cleared_by_a_later_failure(app, make_user) -> None:
    await make_user("analyst1", "analyst")
    async with _client(app) as client:
        for i in range(MAX_FAILURES):
            await login(client, "analyst1", f"Wrong-{i}-Passw0rd")
        locked = (await _lock_state("analyst1"))["locked_until"]
        assert locked is not None
        for i in range(3):
            await login(client, "analyst1", f"Wrong-{i}-Again-Passw0rd")
        assert (await _lock_state("analyst1"))["locked_until"] == locked


async def test_per_address_throttle_bounds_logins_with_unknown_names(app, db, evaluated) -> None:
    from survey_app.web import auth_throttle

    limit = auth_throttle.PER_ADDRESS.limit
    async with _client(app, "198.51.100.7") as client:
        token = csrf_from((await client.get("/login")).text)
        results = await asyncio.gather(*(
            client.post("/login", data={"username": f"nobody{i}", "password": "Wrong-Passw0rd-1",
                                        "_csrf_token": token})
            for i in range(limit + 10)
        ))
    assert len(evaluated["password"]) <= limit
    assert sum(r.status_code == 429 for r in results) >= 10
    assert "过于频繁" in next(r.text for r in results if r.status_code == 429)


async def test_per_account_throttle_holds_across_addresses(app, db, evaluated) -> None:
    from survey_app.web import auth_throttle

    limit = auth_throttle.PER_ACCOUNT.limit
    clients = [_client(app, f"203.0.113.{i}") for i in range(limit + 10)]
    try:
        tokens = [csrf_from((await c.get("/login")).text) for c in clients]
        await asyncio.gather(*(
            c.post("/login", data={"username": "ghost", "password": "Wrong-Passw0rd-1",
                                   "_csrf_token": t})
            for c, t in zip(clients, tokens, strict=True)
        ))
    finally:
        for c in clients:
            await c.aclose()
    assert len(evaluated["password"]) <= limit
