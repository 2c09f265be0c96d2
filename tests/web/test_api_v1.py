"""API v1: bearer tokens created on the admin page (shown once, stored hashed), scopes
enforced, every call audited, keyset pagination, typed responses in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from survey_app.db.queries import audit
from survey_app.db.tables import ApiToken
from survey_app.services import score_runs, scores
from tests.conftest import login, post_form
from tests.db.test_scores_seed import first_row, seed_campaign

TOKEN = re.compile(r'class="mono token-once">(sat_[A-Za-z0-9_-]+)<')


async def _token(client, name: str, scopes: list[str]) -> str:  # type: ignore[no-untyped-def]
    page = await post_form(
        client, "/admin/api-tokens", "/admin/api-tokens", {"name": name, "scopes": scopes, "days": ""}
    )
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    match = TOKEN.search(page.text)
    assert match, "the new token is shown once"
    return match.group(1)


async def _scored(make_unit, units: int = 3) -> None:  # type: ignore[no-untyped-def]
    await make_unit("U01", "区发展和改革局")
    await make_unit("U02", "区市场监督管理局")
    for n in range(3, units + 1):
        await make_unit(f"U{n:02d}", f"单位{n}")
    await seed_campaign()
    await score_runs.compute_scores(
        scores.ScoreOptions("2026-Q3", "enterprise"), actor_id=None, actor_name="t"
    )


async def test_tokens_are_shown_once_stored_hashed_and_scoped(client, make_user, make_unit) -> None:
    await _scored(make_unit)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    token = await _token(client, "考核系统", ["scores:read"])
    row = await first_row(ApiToken.select())
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (await client.get("/admin/api-tokens")).text  # never shown again
    client.cookies.clear()  # machines have no session

    ok = await client.get(
        "/api/v1/scores", params={"period": "2026-Q3"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert ok.status_code == 200
    body = ok.json()
    assert {i["unit_code"] for i in body["items"]} == {"U01", "U02"}
    u01 = next(i for i in body["items"] if i["unit_code"] == "U01")
    assert u01["audience"] == "enterprise" and u01["n"] == 32 and len(u01["inputs_hash"]) == 64
    assert u01["ci_low"] < u01["index"] < u01["ci_high"]

    wrong_scope = await client.get(
        "/api/v1/appraisal", params={"year": 2026}, headers={"Authorization": f"Bearer {token}"}
    )
    assert wrong_scope.status_code == 403
    assert wrong_scope.json()["error"] == "该令牌没有「appraisal:read」（读取考核结果）权限"

    events = await audit.recent_events(action="api.use")
    assert [e.success for e in events] == [False, True]
    assert events[1].actor_name == "api:考核系统" and events[1].target == "/api/v1/scores"
    assert token not in str([e.detail for e in events])


async def test_missing_bad_revoked_and_expired_tokens_get_401(client, make_user, make_unit) -> None:
    await _scored(make_unit)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    token = await _token(client, "考核系统", ["scores:read", "appraisal:read"])
    url, params = "/api/v1/scores", {"period": "2026-Q3"}
    missing = await client.get(url, params=params)
    assert missing.status_code == 401 and "缺少 API 令牌" in missing.json()["error"]
    bogus = await client.get(url, params=params, headers={"Authorization": "Bearer sat_nope"})
    assert bogus.status_code == 401 and bogus.json()["error"] == "API 令牌无效"
    basic = await client.get(url, params=params, headers={"Authorization": f"Basic {token}"})
    assert basic.status_code == 401
    token_id = (await first_row(ApiToken.select(ApiToken.id)))["id"]
    await post_form(client, "/admin/api-tokens", f"/admin/api-tokens/{token_id}/revoke", {"confirm": "1"})
    revoked = await client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401 and revoked.json()["error"] == "API 令牌已被撤销"
    second = await _token(client, "临时", ["scores:read"])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    await ApiToken.update({ApiToken.expires_at: past}).where(ApiToken.name == "临时")
    expired = await client.get(url, params=params, headers={"Authorization": f"Bearer {second}"})
    assert expired.status_code == 401 and expired.json()["error"] == "API 令牌已过期"
    assert "api_token.revoke" in [e.action for e in await audit.recent_events()]


async def test_keyset_pagination_walks_every_unit_once(client, make_user, make_unit) -> None:
    await _scored(make_unit)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    token = await _token(client, "考核系统", ["scores:read"])
    headers = {"Authorization": f"Bearer {token}"}
    seen, cursor, pages = [], None, 0
    while True:
        params = {"period": "2026-Q3", "limit": 1} | ({"after": cursor} if cursor else {})
        body = (await client.get("/api/v1/scores", params=params, headers=headers)).json()
        pages += 1
        seen += [i["unit_code"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["U01", "U02"] and pages == 2
    bad = await client.get("/api/v1/scores", params={"period": "2026-Q3", "after": "xyz"}, headers=headers)
    assert bad.status_code == 400 and "分页游标" in bad.json()["error"]
    too_many = await client.get("/api/v1/scores", params={"period": "2026-Q3", "limit": 501}, headers=headers)
    assert too_many.status_code == 400
    unknown = await client.get("/api/v1/scores", params={"period": "2025-Q1"}, headers=headers)
    assert unknown.status_code == 404 and "期间「2025-Q1」没有满意度得分" in unknown.json()["detail"]


async def test_token_form_errors_are_chinese_and_for_admin_and_office(client, make_user) -> None:
    await make_user("analyst1", "analyst")
    await login(client, "analyst1")
    assert (await client.get("/admin/api-tokens")).status_code == 403
    client.cookies.clear()
    await make_user("admin1", "admin")
    await login(client, "admin1")
    no_scope = await post_form(client, "/admin/api-tokens", "/admin/api-tokens", {"name": "考核系统"})
    assert no_scope.status_code == 400 and "请至少勾选一个权限范围" in no_scope.text
    assert await ApiToken.count() == 0


async def test_openapi_documents_the_typed_responses(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/scores" in schema["paths"] and "/api/v1/appraisal" in schema["paths"]
    components = schema["components"]["schemas"]
    score_item = next(v for k, v in components.items() if k.endswith("UnitScoreItem"))
    assert {"unit_code", "index", "margin", "flags", "inputs_hash"} <= set(score_item["properties"])
    assert any(k.endswith("AppraisalItem") for k in components)


async def test_out_of_range_cursor_and_ids_are_400_not_500(client, make_user, make_unit) -> None:
    import base64
    import json

    await _scored(make_unit)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    token = await _token(client, "考核系统", ["scores:read"])
    huge = base64.urlsafe_b64encode(json.dumps([2**40, "U01"]).encode()).decode()
    response = await client.get(
        "/api/v1/scores",
        params={"period": "2026-Q3", "after": huge},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and "分页游标" in response.json()["error"]
    await make_user("office1", "office")
    client.cookies.clear()
    await login(client, "office1")
    assert (await client.get("/appraisal/export", params={"scheme": 2**40})).status_code == 400
