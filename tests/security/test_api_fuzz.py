"""Schemathesis against the application's own OpenAPI description (/schema/openapi.json).

Every documented operation is called with generated parameters, as an administrator (session
cookie plus the CSRF header, so POST handlers are reached) holding an API token with every
scope. Checks: no 5xx and every documented response matches its schema. Cases are drawn
derandomised (the same on every run) and the run is bounded in examples and in time.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from survey_app.services import api_tokens
from tests.conftest import login

EXAMPLES_PER_OPERATION = 8
TIME_BUDGET_SECONDS = 40
# Operations that would end the fuzzing session itself rather than test anything.
SKIPPED = {
    ("POST", "/logout"),
    ("POST", "/account/password"),
    ("POST", "/admin/users/{user_id}/role"),
    ("POST", "/admin/api-tokens/{token_id}/revoke"),
}


def _cases(operation: Any, count: int) -> list[Any]:
    drawn: list[Any] = []

    @settings(max_examples=count, database=None, derandomize=True, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def collect(case: Any) -> None:
        drawn.append(case)

    collect()
    return drawn


def _request_kwargs(case: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"params": case.query or None}
    body = getattr(case, "body", None)
    if body is not None and type(body).__name__ != "NotSet":
        kwargs["json"] = body
    return kwargs


@pytest.fixture
async def app(db, settings):  # type: ignore[no-untyped-def]
    """The app with its HTML pages documented too (the public /schema lists only the API), so
    that every form and page is fuzzed."""
    from survey_app.app import create_app

    return create_app(settings, engine=db, document_pages=True)


async def test_documented_operations_never_fail_with_5xx_or_break_their_schema(
    client, db, make_user
) -> None:
    admin_id = await make_user("fuzzadmin", "admin")
    assert (await login(client, "fuzzadmin")).status_code in (302, 303)
    issued = await api_tokens.create_token("模糊测试", list(api_tokens.SCOPES), None,
                                           actor_id=admin_id, actor_name="fuzzadmin", ip="")
    spec = (await client.get("/schema/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(spec)
    headers = {"x-csrftoken": client.cookies.get("csrftoken", ""),
               "authorization": f"Bearer {issued.token}"}
    failures: list[str] = []
    calls = 0
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    results = list(schema.get_all_operations())
    invalid = [str(r.err()) for r in results if isinstance(r, Err)]
    assert invalid == [], invalid  # the description itself must be valid OpenAPI
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert len(operations) > 20, "the schema lost its operations"
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for case in _cases(operation, EXAMPLES_PER_OPERATION):
            if time.monotonic() > deadline:
                break
            response = await client.request(
                case.method, case.formatted_path,
                headers={**headers, **(case.headers or {})}, **_request_kwargs(case))
            calls += 1
            try:
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance])
            except (Exception, BaseExceptionGroup) as failure:  # what this test collects
                failures.append(f"{case.method} {response.url.path}?{response.url.query!r} -> "
                                f"{response.status_code}: {_describe(failure)}")
    assert calls > len(operations), calls
    assert failures == [], "\n".join(failures[:30])


def _describe(failure: BaseException) -> str:
    inner = failure.exceptions if isinstance(failure, BaseExceptionGroup) else (failure,)
    return " | ".join(
        " ".join(line.strip() for line in str(e).splitlines()[:3] if line.strip())[:200]
        for e in inner)
