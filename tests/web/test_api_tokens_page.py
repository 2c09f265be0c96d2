"""The API token page (trial findings): form errors in Chinese that keep what was typed, no two
active tokens with one name, revoking shown and confirmed first, a link to the working API docs."""

from __future__ import annotations

import html
import re

from survey_app.db.queries import audit
from survey_app.db.tables import ApiToken
from tests.conftest import csrf_from, login, post_form
from tests.web.test_api_v1 import _token

PAGE = "/admin/api-tokens"


def visible(page: str) -> str:
    """The text a person sees: tags (and their attribute values) removed."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def checked(page: str, scope: str) -> bool:
    tag = re.search(rf'<input[^>]*name="scopes" value="{re.escape(scope)}"[^>]*>', page)
    assert tag, scope
    return "checked" in tag.group(0)


async def _admin(client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin1", "admin")
    await login(client, "admin1")


async def test_no_scope_is_refused_in_chinese_keeping_name_and_expiry(client, make_user) -> None:
    await _admin(client, make_user)
    page = await post_form(client, PAGE, PAGE, {"name": "考核系统", "days": "30"})
    assert page.status_code == 400
    message = re.search(r'role="alert">([^<]*)<', page.text).group(1)  # type: ignore[union-attr]
    assert "权限范围" in message and "读取满意度得分" in message and "读取考核结果" in message
    assert ":read" not in visible(page.text)  # no internal scope code anywhere on the page
    assert 'name="name" value="考核系统"' in page.text and 'name="days" value="30"' in page.text
    assert await ApiToken.count() == 0


async def test_other_errors_keep_the_ticked_scopes(client, make_user) -> None:
    await _admin(client, make_user)
    page = await post_form(client, PAGE, PAGE,
                           {"name": "考核系统", "scopes": ["appraisal:read"], "days": "0"})
    assert page.status_code == 400 and "有效期应在 1–3650 天之间" in page.text
    assert checked(page.text, "appraisal:read") and not checked(page.text, "scores:read")
    assert 'name="days" value="0"' in page.text and 'name="name" value="考核系统"' in page.text
    fresh = await client.get(PAGE)  # a fresh form starts empty
    assert not checked(fresh.text, "appraisal:read") and 'name="name" value=""' in fresh.text


async def test_an_active_tokens_name_is_refused_until_it_is_revoked(client, make_user) -> None:
    await _admin(client, make_user)
    await _token(client, "考核系统", ["scores:read"])
    again = await post_form(client, PAGE, PAGE,
                            {"name": " 考核系统 ", "scopes": ["scores:read"], "days": "7"})
    assert again.status_code == 400
    assert "已有名为「考核系统」的有效令牌" in again.text
    assert 'name="name" value=" 考核系统 "' in again.text and checked(again.text, "scores:read")
    assert await ApiToken.count() == 1
    token_id = (await ApiToken.select(ApiToken.id).first())["id"]  # type: ignore[index]
    await post_form(client, f"{PAGE}/{token_id}/revoke", f"{PAGE}/{token_id}/revoke",
                    {"confirm": "1"})
    await _token(client, "考核系统", ["scores:read"])  # a revoked token's name is free again
    assert await ApiToken.count() == 2


async def test_revoking_shows_the_token_and_needs_a_confirming_click(client, make_user) -> None:
    await _admin(client, make_user)
    token = await _token(client, "考核系统", ["scores:read", "appraisal:read"])
    token_id = (await ApiToken.select(ApiToken.id).first())["id"]  # type: ignore[index]
    url = f"{PAGE}/{token_id}/revoke"
    listing = await client.get(PAGE)
    assert f'href="{url}"' in listing.text and f'action="{url}"' not in listing.text
    confirm = await client.get(url)
    assert confirm.status_code == 200
    seen = visible(confirm.text)
    assert "考核系统" in seen and "读取满意度得分" in seen and "读取考核结果" in seen
    assert "创建时间" in seen and "最近使用" in seen and "从未使用" in seen
    assert "立即" in seen and "无法" in seen  # the system using it loses access at once
    assert f'action="{url}"' in confirm.text and 'name="confirm" value="1"' in confirm.text
    assert ":read" not in seen

    # A post without the confirming field (an old page, a stray click) revokes nothing.
    unconfirmed = await client.post(url, data={"_csrf_token": csrf_from(confirm.text)})
    assert unconfirmed.status_code == 400 and "考核系统" in unconfirmed.text
    assert not (await ApiToken.select(ApiToken.revoked).first())["revoked"]  # type: ignore[index]
    ok = await client.get("/api/v1/docs", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200

    done = await post_form(client, url, url, {"confirm": "1"})
    assert done.status_code in (302, 303)
    assert (await ApiToken.select(ApiToken.revoked).first())["revoked"]  # type: ignore[index]
    event = (await audit.recent_events(action="api_token.revoke"))[0]
    assert event.actor_name == "admin1" and event.target == "考核系统"
    assert event.detail["token"] == token_id
    after = await client.get(url)  # nothing left to confirm
    assert "已撤销" in after.text and 'name="confirm"' not in after.text


async def test_the_page_links_the_working_api_documentation(client, make_user) -> None:
    await _admin(client, make_user)
    page = await client.get(PAGE)
    assert '<a href="/api/v1/docs">' in page.text and 'href="/schema"' not in page.text
    docs = await client.get("/api/v1/docs")
    assert docs.status_code == 200 and "GET /api/v1/scores" in docs.text
