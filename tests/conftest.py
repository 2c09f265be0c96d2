"""Test harness: the same suite runs on SQLite (default) and on PostgreSQL (--db=postgres).

PostgreSQL runs use a fresh database created next to SURVEY_TEST_POSTGRES_URL's and dropped at
the end, so a run never touches the data of the database named in the URL.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher

from survey_app.services import passwords
from tests.support.databases import scratch_postgres_database

# What the application hashes with outside the test run (checked in tests/unit/test_passwords.py).
PRODUCTION_HASHER = passwords._hasher
TEST_PASSWORD = "Test-Passw0rd-2026"
# TOTP secrets of the users make_user enrolled, so that login() can compute their codes.
MFA_SECRETS: dict[str, bytes] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgres"], default="sqlite",
                     help="database engine for db/web/e2e tests")


def _postgres_admin_url() -> str:
    url = os.environ.get("SURVEY_TEST_POSTGRES_URL")
    if not url:
        raise pytest.UsageError("--db=postgres needs SURVEY_TEST_POSTGRES_URL")
    return url


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Hash test passwords with tiny argon2id parameters: production parameters cost about
    130 ms and 64 MiB per hash, which made up much of the web tests' time. The production
    parameters themselves are checked in tests/unit/test_passwords.py."""
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    try:
        yield
    finally:
        passwords._hasher = PRODUCTION_HASHER


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.config.getoption("--db") == "sqlite":
        with tempfile.TemporaryDirectory(prefix="survey-test-") as tmp:
            yield f"sqlite:///{tmp}/test.sqlite3"
        return
    with scratch_postgres_database(_postgres_admin_url(), "survey_test") as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from survey_app.config import load_settings

    data_dir = tmp_path_factory.mktemp("data")
    return load_settings(
        {
            "SURVEY_DATABASE_URL": database_url,
            "SURVEY_DATA_DIR": str(data_dir),
            "SURVEY_SECRET_KEY": secrets.token_urlsafe(48),
            "SURVEY_IN_PROCESS_WORKER": "false",
            "SURVEY_LOG_LEVEL": "WARNING",
        }
    )


@pytest.fixture(scope="session")
async def engine(settings):  # type: ignore[no-untyped-def]
    from survey_app.db.connection import install_engine, migrate_forwards
    from survey_app.db.engine import build_engine, start_engine, stop_engine

    engine = build_engine(settings)
    install_engine(engine)
    await start_engine(engine)
    await migrate_forwards()
    yield engine
    await stop_engine(engine)


async def _truncate_all(engine) -> None:  # type: ignore[no-untyped-def]
    from survey_app.db.tables import ALL_TABLES

    names = [t._meta.tablename for t in ALL_TABLES]
    if engine.engine_type == "postgres":
        await engine.run_ddl(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    else:
        async with engine.transaction():
            await engine.run_ddl("PRAGMA defer_foreign_keys = ON")
            for name in reversed(names):
                await engine.run_ddl(f"DELETE FROM {name}")


@pytest.fixture
async def db(engine, monkeypatch):  # type: ignore[no-untyped-def]
    """A migrated, empty database. Every audit entry a test writes must read in Chinese."""
    await _truncate_all(engine)
    unlabelled = _check_audit_labels(monkeypatch)
    yield engine
    assert not unlabelled, (
        "audit entries without a Chinese name in services/audit_actions.py:\n"
        + "\n".join(sorted(unlabelled))
    )


def _check_audit_labels(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Wraps the one function that writes audit rows: a static scan of the callers cannot follow
    every detail dict (merged, built up key by key), but every test that audits shows its keys."""
    from survey_app.db.queries import audit
    from survey_app.services.audit_actions import ACTIONS
    from survey_app.services.audit_labels import detail_label

    unlabelled: set[str] = set()
    write = audit.record_event

    async def checked(action: str, **kwargs: Any) -> None:
        if action.startswith("test."):  # the audit chain's own tests write made-up entries
            await write(action, **kwargs)
            return
        if action not in ACTIONS:
            unlabelled.add(action)
        for key in kwargs.get("detail") or {}:
            if detail_label(action, key) is None:
                unlabelled.add(f"{action}: {key}")
        await write(action, **kwargs)

    monkeypatch.setattr(audit, "record_event", checked)
    return unlabelled


@pytest.fixture(scope="session")
async def shared_app(engine, settings):  # type: ignore[no-untyped-def]
    """One application for the whole run: building it (routes, OpenAPI, templates) is costly,
    and it keeps no state of its own between requests; every test still gets an empty database."""
    from survey_app.app import create_app

    return create_app(settings, engine=engine)


@pytest.fixture
async def app(db, shared_app):  # type: ignore[no-untyped-def]
    return shared_app


@pytest.fixture
async def client(app) -> AsyncIterator:  # type: ignore[no-untyped-def]
    """An HTTP client calling the app in the test's own event loop.

    (Litestar's AsyncTestClient runs the lifespan in a separate thread and loop, which an
    asyncpg pool shared with the test cannot follow; the engine is started by the fixtures.)
    """
    import httpx

    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
        yield http


_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(client, username: str, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    """Log in as a browser would; for a user enrolled by make_user, also enter a current TOTP
    code at the second step. Returns the last response (a redirect when all went well)."""
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf_from(page.text)},
    )
    location = response.headers.get("location", "")
    if location.startswith("/account/mfa/verify") and username in MFA_SECRETS:
        response = await enter_totp(client, username, location)
    return response


async def enter_totp(client, username: str, location: str = "/account/mfa/verify"):  # type: ignore[no-untyped-def]
    import time
    from urllib.parse import parse_qs

    from survey_app.db.tables import User
    from survey_app.services import totp

    # A code is accepted once per 30-second step; tests log the same user in several times
    # within one step, so the fixture forgets the last accepted step first.
    await User.update({User.mfa_last_step: 0}).where(User.username == username)
    page = await client.get(location)
    next_path = parse_qs(urlsplit(location).query).get("next", ["/"])[0]
    return await client.post("/account/mfa/verify", data={
        "code": totp.totp(MFA_SECRETS[username], time.time()), "next": next_path,
        "_csrf_token": csrf_from(page.text),
    })


async def post_form(client, page_url: str, action: str, data: dict):  # type: ignore[no-untyped-def]
    """Submit a form the way a browser does: read the CSRF token from the page first."""
    page = await client.get(page_url)
    return await client.post(action, data={**data, "_csrf_token": csrf_from(page.text)})


@pytest.fixture
def make_unit(db):  # type: ignore[no-untyped-def]
    from survey_app.db.queries import units, users

    async def make(code: str = "U01", name: str = "区发展和改革局", category: str = "职能部门") -> int:
        await units.upsert_unit(code, name, category, 0)
        unit_id = await users.unit_id_by_code(code)
        assert unit_id is not None
        return unit_id

    return make


@pytest.fixture
def make_user(db, settings):  # type: ignore[no-untyped-def]
    """Create an account; users of the roles that must use MFA are enrolled with a secret kept
    in MFA_SECRETS (pass mfa=False for one that has not enrolled yet, mfa=True for others)."""
    from survey_app.services import mfa as mfa_service
    from survey_app.services import totp
    from survey_app.services.auth import create_account

    async def make(username: str, role: str, unit_code: str | None = None,
                   must_change_password: bool = False, mfa: bool | None = None) -> int:
        user_id = await create_account(username, TEST_PASSWORD, role, unit_code=unit_code,
                                       must_change_password=must_change_password)
        MFA_SECRETS.pop(username, None)
        if role in settings.mfa_roles if mfa is None else mfa:
            secret = totp.new_secret()
            await mfa_service.enrol_with_secret(user_id, secret, settings)
            MFA_SECRETS[username] = secret
        return user_id

    return make


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def formula_cells(content: bytes) -> list[str]:
    """Coordinates of every formula cell in an XLSX file: exports must have none."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return [f"{sheet.title}!{cell.coordinate}" for sheet in book.worksheets
            for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
