"""Every route × every role (and anonymous) against a hand-written policy.

The policy below is written from the product's design, not read from the code: each route's
declared roles must equal it (a new route with no rule fails), and a live request from every
role must be allowed or refused accordingly.
"""

from __future__ import annotations

import re

import httpx
import pytest

from survey_app.web.routes import all_routes
from tests.conftest import TEST_PASSWORD, login

ADMIN, ANALYST, OFFICE, UNIT, ENTRY = "admin", "analyst", "office", "unit_viewer", "data_entry"
STAFF = frozenset({ADMIN, ANALYST, OFFICE, UNIT, ENTRY})
PUBLIC = "public"
READ, WRITE = "GET", "POST"

# (path pattern, method or None for both, who may use it). The first matching rule decides.
POLICY: list[tuple[str, str | None, frozenset[str] | str]] = [
    (r"^/(login|healthz)$", None, PUBLIC),
    (r"^/[so]/", None, PUBLIC),  # respondents: the token in the link is the credential
    (r"^/static/", READ, PUBLIC),  # stylesheet and script, served from memory
    (r"^/api/v1/", READ, PUBLIC),  # bearer API tokens, checked by the API itself
    (r"^/admin/api-tokens", None, frozenset({ADMIN, OFFICE})),  # the office feeds its appraisal system
    (r"^/admin/", None, frozenset({ADMIN})),
    (r"^/roster", None, frozenset({ADMIN})),
    (r"^/campaigns(/\{[^}]+\})?(/(monitor|report))?$", READ, frozenset({ADMIN, OFFICE})),
    (r"^/campaigns", None, frozenset({ADMIN})),
    (r"^/entry", None, frozenset({ADMIN, ENTRY})),
    (r"^/questionnaires(/\{[^}]+\})?$", READ, frozenset({ADMIN, ANALYST, OFFICE})),
    (r"^/questionnaires/versions/\{[^}]+\}/preview", None, frozenset({ADMIN, ANALYST, OFFICE})),
    (r"^/questionnaires", None, frozenset({ADMIN})),
    (r"^/themes/assigned/\{[^}]+\}/reply$", WRITE, frozenset({UNIT})),
    # Acceptance (验收) or return (退回) of a unit's rectification: the analyst or the office.
    (r"^/themes/assigned/\{[^}]+\}/review$", WRITE, frozenset({ADMIN, ANALYST, OFFICE})),
    (r"^/themes/assigned", READ, frozenset({ADMIN, ANALYST, OFFICE, UNIT})),
    (r"^/themes", READ, frozenset({ADMIN, ANALYST, OFFICE})),
    (r"^/themes", WRITE, frozenset({ADMIN, ANALYST})),
    (r"^/scores/(compute|quality)", None, frozenset({ADMIN, OFFICE})),
    (r"^/scores/export", READ, frozenset({ADMIN, ANALYST, OFFICE})),
    (r"^/scores/reports$", READ, frozenset({ADMIN, ANALYST, OFFICE})),  # every unit's report
    (r"^/scores", READ, frozenset({ADMIN, ANALYST, OFFICE, UNIT})),
    (r"^/appraisal", None, frozenset({ADMIN, OFFICE})),
    (r"^/cards/\{[^}]+\}/plan$", WRITE, frozenset({UNIT})),  # the unit's rectification plan
    (r"^/cards$", READ, frozenset({ADMIN, OFFICE, UNIT})),  # a unit sees its own cards only
    (r"^/cards", WRITE, frozenset({ADMIN, OFFICE})),
    (r"^/units/\{", READ, frozenset({ADMIN, ANALYST, OFFICE, UNIT})),
    (r"^/(units|account/(password|confirm|mfa(/.*)?)|logout|jobs/.*|api/jobs/.*)?$", None, STAFF),
]

# Which routes a half-logged-in session (password right, second factor outstanding) may reach,
# by the step it is at: entering a code when enrolled, enrolment when not. Nothing else.
SECOND_STEP: dict[tuple[str, str], frozenset[str]] = {
    ("/account/mfa/verify", READ): frozenset({"verify"}),
    ("/account/mfa/verify", WRITE): frozenset({"verify"}),
    ("/account/mfa", READ): frozenset({"enrol"}),
    ("/account/mfa/enrol", WRITE): frozenset({"enrol"}),
    ("/logout", WRITE): frozenset({"verify", "enrol"}),
}

# Sensitive actions that need a recent password/code confirmation (ASVS 3.7.1), with the form
# pages that lead to them (so a filled form is never lost to the confirmation redirect).
STEP_UP: set[tuple[str, str]] = {
    ("/roster/{respondent_id:int}/contact", WRITE),  # reveals a contact
    ("/admin/users", READ), ("/admin/users", WRITE),  # create accounts
    ("/admin/users/{user_id:int}/role", WRITE),
    ("/admin/users/{user_id:int}/mfa-reset", WRITE),
    ("/admin/users/{user_id:int}/unlock", WRITE),
    ("/admin/users/{user_id:int}/password-reset", WRITE),
    ("/admin/users/{user_id:int}/active", WRITE),
    ("/campaigns/{campaign_id:int}/reminders/batch.xlsx", WRITE),  # full phone numbers
    ("/admin/api-tokens", READ), ("/admin/api-tokens", WRITE),
    ("/appraisal/results/{result_id:int}/override", WRITE),  # grade override
    ("/appraisal/runs/{run_id:int}/publish", WRITE),  # results become visible to units and the API
    ("/account/mfa/recovery-codes", WRITE), ("/account/mfa/renew", WRITE),
    ("/account/mfa/disable", WRITE),
}
# Full-contact link exports are step-up only with full_contacts=1 (tested in test_mfa.py).


def expected_access(path: str, method: str) -> frozenset[str] | str:
    for pattern, rule_method, who in POLICY:
        if re.search(pattern, path) and rule_method in (None, method):
            return who
    raise AssertionError(f"no access rule for {method} {path}: add one to POLICY")


def routes() -> list[tuple[str, str, object]]:
    return sorted(
        (path, method, handler)
        for handler in all_routes()
        for path in handler.paths
        for method in handler.http_methods
        if method in (READ, WRITE)
    )


def test_every_route_declares_exactly_the_policy() -> None:
    mismatches = []
    for path, method, handler in routes():
        opt = handler.opt  # type: ignore[attr-defined]
        declared = PUBLIC if opt.get("public") else frozenset(opt.get("roles") or ())
        if declared != expected_access(path, method):
            mismatches.append(f"{method} {path}: declared {declared}")
    assert mismatches == []


def test_second_step_and_step_up_declarations_match_the_policy() -> None:
    mismatches = []
    for path, method, handler in routes():
        opt = handler.opt  # type: ignore[attr-defined]
        step = opt.get("mfa_step")
        declared = frozenset({"verify", "enrol"}) if step == "any" else frozenset({step} - {None})
        if declared != SECOND_STEP.get((path, method), frozenset()):
            mismatches.append(f"{method} {path}: second step {declared}")
        if bool(opt.get("step_up")) != ((path, method) in STEP_UP):
            mismatches.append(f"{method} {path}: step_up {opt.get('step_up')}")
    assert mismatches == []


def _concrete(path: str) -> str:
    path = re.sub(r"\{[a-z_]+:int\}", "1", path)
    return re.sub(r"\{[a-z_]+:str\}", "x" * 32, path)


@pytest.fixture
async def clients(app, make_unit, make_user):  # type: ignore[no-untyped-def]
    await make_unit("U01")
    sessions: dict[str | None, httpx.AsyncClient] = {}
    for role in sorted(STAFF):
        await make_user(f"{role}1", role, unit_code="U01" if role == UNIT else None)
    for role in [None, *sorted(STAFF)]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver.local")
        if role is not None:
            response = await login(client, f"{role}1", TEST_PASSWORD)
            assert response.status_code in (302, 303), role
        sessions[role] = client
    yield sessions
    for client in sessions.values():
        await client.aclose()


def _csrf(client: httpx.AsyncClient) -> dict[str, str]:
    token = client.cookies.get("csrftoken")
    return {"x-csrftoken": token} if token else {}


async def test_live_requests_follow_the_policy(clients) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for path, method, _ in routes():
        if path == "/logout":
            continue  # it would end the session the rest of the matrix needs (static check covers it)
        who = expected_access(path, method)
        url = _concrete(path)
        for role, client in clients.items():
            if method == READ:
                response = await client.get(url)
            else:
                response = await client.post(url, data={}, headers=_csrf(client))
            refused_by_role = response.status_code == 403 and "权限" in response.text
            location = response.headers.get("location", "")
            redirected_to_login = response.status_code in (302, 303) and location.startswith("/login")
            needs_login = redirected_to_login or response.status_code == 401
            if who == PUBLIC:
                ok = not refused_by_role and response.status_code != 500
            elif role is None:
                ok = needs_login
            elif role in who:
                ok = not refused_by_role and not needs_login and response.status_code != 500
            else:
                ok = refused_by_role
            if not ok:
                problems.append(f"{role or 'anonymous'} {method} {url} → {response.status_code}")
    assert problems == []


@pytest.fixture
async def half_logged_in(app, make_user):  # type: ignore[no-untyped-def]
    """Sessions that passed the password but not the second factor: an enrolled admin and
    office user (at "verify") and not-yet-enrolled ones (at "enrol")."""
    sessions: dict[tuple[str, str], httpx.AsyncClient] = {}
    for role in (ADMIN, OFFICE):
        for step, enrolled in (("verify", True), ("enrol", False)):
            name = f"{role}_{step}"
            await make_user(name, role, mfa=enrolled)
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver.local")
            page = await client.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
            assert token
            response = await client.post("/login", data={
                "username": name, "password": TEST_PASSWORD, "_csrf_token": token.group(1)})
            expected = "/account/mfa/verify" if step == "verify" else "/account/mfa"
            assert response.status_code == 303
            assert response.headers["location"].split("?")[0] == expected
            sessions[(role, step)] = client
    yield sessions
    for client in sessions.values():
        await client.aclose()


async def test_half_logged_in_sessions_reach_only_their_second_step(half_logged_in) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for path, method, _ in routes():
        if path == "/logout" or expected_access(path, method) == PUBLIC:
            continue
        url = _concrete(path)
        for (role, step), client in half_logged_in.items():
            if method == READ:
                response = await client.get(url)
            else:
                response = await client.post(url, data={}, headers=_csrf(client))
            location = response.headers.get("location", "")
            sent_to_step = response.status_code == 303 and location.startswith("/account/mfa")
            if step in SECOND_STEP.get((path, method), frozenset()):
                ok = response.status_code < 500 and not sent_to_step
            elif url.startswith("/api/"):
                ok = response.status_code == 403 and "两步验证" in response.text
            else:
                ok = sent_to_step
            if not ok:
                problems.append(f"{role}@{step} {method} {url} → {response.status_code} {location}")
    assert problems == []
