"""Issue 12, finding 7 (API): the office creates scoped tokens; /schema documents only the API
with a bearer scheme and a readable page served locally; errors name the bad parameter; an
unknown period is a 404, not an empty 200."""

from __future__ import annotations

from tests.conftest import login
from tests.web.test_api_v1 import _scored, _token


async def _office_token(client, make_user, make_unit) -> dict[str, str]:  # type: ignore[no-untyped-def]
    await _scored(make_unit)
    await make_user("office1", "office")
    await login(client, "office1")
    token = await _token(client, "考核系统", ["scores:read"])
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


async def test_the_office_creates_a_scoped_token(client, make_user, make_unit) -> None:
    headers = await _office_token(client, make_user, make_unit)
    ok = await client.get("/api/v1/scores", params={"period": "2026-Q3"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["items"]
    assert (await client.get("/api/v1/appraisal", params={"year": 2026}, headers=headers)).status_code == 403


async def test_errors_name_the_parameter_and_unknown_periods_are_404(client, make_user, make_unit) -> None:
    """Repro: a missing period gave a 400 naming no parameter; period=bogus gave 200 with nothing."""
    headers = await _office_token(client, make_user, make_unit)
    missing = await client.get("/api/v1/scores", headers=headers)
    assert missing.status_code == 400
    assert missing.json()["detail"] == "参数 period（查询参数）缺少或格式不正确"
    bad_limit = await client.get(
        "/api/v1/scores", params={"period": "2026-Q3", "limit": "x"}, headers=headers
    )
    assert bad_limit.status_code == 400 and "limit（查询参数）" in bad_limit.json()["detail"]
    bogus = await client.get("/api/v1/scores", params={"period": "bogus"}, headers=headers)
    assert bogus.status_code == 404
    assert bogus.json()["detail"] == "期间「bogus」没有满意度得分；有得分的期间：2026-Q3"


async def test_schema_documents_only_the_api_with_a_bearer_scheme(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["paths"] and all(path.startswith("/api/") for path in schema["paths"])
    assert "/api/v1/appraisal" in schema["paths"] and "/api/v1/docs" not in schema["paths"]
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert schema["security"] == [{"BearerToken": []}]
    page = await client.get("/api/v1/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "GET /api/v1/scores" in page.text and "<code>period</code>" in page.text
    assert "https://" not in page.text and "cdn" not in page.text.lower()
