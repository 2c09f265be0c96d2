"""Finding 2 (issue 17): a stream of failed logins cannot stall the site.

argon2 runs in a worker thread (never on the event loop), unknown user names, inactive and
locked accounts cost the same hash as a real one, and verifications beyond a small queue are
refused as busy instead of piling up. The latency figures are in bench/login_stall.py.
"""

from __future__ import annotations

import threading

import pytest

from survey_app.db.tables import User
from survey_app.services import passwords
from tests.conftest import login


@pytest.fixture
def hashed(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[tuple[str, str]] = []  # (hash, thread name)
    verify = passwords.verify_password

    def recording(password_hash: str, password: str) -> bool:
        calls.append((password_hash, threading.current_thread().name))
        return verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", recording)
    return calls


async def test_password_checks_run_off_the_event_loop_thread(client, make_user, hashed) -> None:
    await make_user("analyst1", "analyst")
    loop_thread = threading.current_thread().name
    ok = await login(client, "analyst1")
    assert ok.status_code in (302, 303)
    assert hashed and all(thread != loop_thread for _, thread in hashed)
    assert all(thread.startswith("argon2") for _, thread in hashed)


async def test_unknown_inactive_and_locked_accounts_cost_one_hash_like_a_real_one(
    client, make_user, hashed
) -> None:
    await make_user("analyst1", "analyst")
    await make_user("gone1", "analyst")
    await User.update({User.active: False}).where(User.username == "gone1")
    for name in ("nobody-at-all", "gone1", "analyst1"):
        before = len(hashed)
        await login(client, name, "Wrong-Passw0rd-1")
        assert len(hashed) == before + 1, name
    assert hashed[0][0] == passwords.DUMMY_HASH
    for i in range(5):
        await login(client, "analyst1", f"Wrong-{i}-Passw0rd")
    before = len(hashed)
    await login(client, "analyst1")  # locked now: refused, after the same amount of work
    assert len(hashed) == before + 1 and hashed[-1][0] == passwords.DUMMY_HASH


async def test_the_hashing_queue_is_bounded(client, make_user, hashed, monkeypatch) -> None:
    await make_user("analyst1", "analyst")
    monkeypatch.setattr(passwords, "MAX_WAITING", 0)
    busy = await login(client, "analyst1")
    assert busy.status_code == 400 and "请稍候几秒再试" in busy.text
    assert hashed == []
