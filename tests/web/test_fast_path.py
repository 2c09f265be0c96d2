"""Respondents' GET requests served by web/fast_path.py: the same responses as the Litestar
handlers, the same CSRF protection, fresh link state, and nothing shared between respondents."""

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from survey_app.db.tables import Campaign, Invitation
from survey_app.web.static_assets import static_url
from tests.conftest import csrf_from
from tests.support.campaigns import form_fields, open_campaign, post_fields

_PER_REQUEST = re.compile(r'(name="_(?:csrf_token|submission_id|started)" value=")[^"]*"')


@contextmanager
def litestar_only(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Serve through the Litestar handlers alone (what the fast path must reproduce)."""
    fast, app.fast_path = app.fast_path, None
    posts, app.fast_post = app.fast_post, None
    try:
        yield
    finally:
        app.fast_path, app.fast_post = fast, posts


def _client(app, port: int) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", port))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


def _shape(response: httpx.Response) -> tuple:
    """Status, headers (cookie values and length aside) and the body without per-request values."""
    headers = {k: v for k, v in response.headers.items()
               if k not in ("set-cookie", "content-length", "date", "server")}
    cookies = [re.sub(r"^([^=]+)=[^;]*", r"\1=…", c)
               for c in response.headers.get_list("set-cookie")]
    return response.status_code, headers, cookies, _PER_REQUEST.sub(r"\1…", response.text)


async def test_fast_path_sends_what_the_litestar_handlers_send(app, db, caplog) -> None:
    campaign = await open_campaign()
    second_step = campaign.questionnaire.sections[1].id
    paths = [f"/s/{campaign.tokens[0]}", f"/s/{campaign.tokens[0]}?step={second_step}",
             f"/o/{campaign.open_token}", f"/o/{campaign.open_token}?step={second_step}",
             static_url("css/app.css"), "/static/js/survey.js"]
    for encoding in ("gzip", "identity"):
        for path in paths:
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="survey_app.access"):
                async with _client(app, 50021) as fresh:
                    fast = await fresh.get(path, headers={"accept-encoding": encoding})
                with litestar_only(app):
                    async with _client(app, 50022) as fresh:
                        slow = await fresh.get(path, headers={"accept-encoding": encoding})
            assert fast.status_code == 200, path
            assert _shape(fast) == _shape(slow), path
            logged = [r.getMessage() for r in caplog.records if r.name == "survey_app.access"]
            assert len(logged) == 2 and logged[0] == logged[1], logged
            assert ("content-encoding" in fast.headers) == (encoding == "gzip")
    page = _shape(fast)
    assert page[1]["content-security-policy"].startswith("default-src 'self'")


async def test_valid_csrf_cookie_is_kept_and_a_bad_one_replaced(client, db) -> None:
    campaign = await open_campaign()
    url = f"/s/{campaign.tokens[0]}"
    first = await client.get(url)
    issued = first.cookies["csrftoken"]
    assert csrf_from(first.text) == issued and "csrftoken=" in first.headers["set-cookie"]
    again = await client.get(url)
    assert "set-cookie" not in again.headers and csrf_from(again.text) == issued
    client.cookies.clear()
    client.cookies.set("csrftoken", "f" * 128)  # the right shape, a forged signature
    forged = await client.get(url)
    replaced = forged.cookies["csrftoken"]
    client.cookies.clear()
    client.cookies.set("csrftoken", replaced)
    assert replaced not in (issued, "f" * 128) and csrf_from(forged.text) == replaced
    # The page's token passes the CSRF check of the POST; another token does not.
    section = re.search(r'name="_section" value="([^"]+)"', forged.text).group(1)  # type: ignore[union-attr]
    fields = [("_section", section), ("_action", "prev")]
    ok = await post_fields(client, url, [("_csrf_token", replaced), *fields])
    assert ok.status_code in (302, 303)
    refused = await post_fields(client, url, [("_csrf_token", issued), *fields])
    assert refused.status_code == 403


async def test_two_respondents_never_see_each_others_answers_or_tokens(app, db) -> None:
    campaign = await open_campaign()
    questionnaire = campaign.questionnaire
    first_step = questionnaire.sections[0]
    text_step = next(s for s in reversed(questionnaire.sections)
                     if any(q.type == "textarea" for q in s.questions))
    opinion = next(q.name for q in text_step.questions if q.type == "textarea")
    secret = "甲企业独有的答案9527"
    mine_url, theirs_url = f"/s/{campaign.tokens[0]}", f"/s/{campaign.tokens[1]}"
    async with _client(app, 50031) as first, _client(app, 50032) as second:
        mine = await first.get(mine_url)
        theirs = await second.get(theirs_url)
        assert csrf_from(mine.text) != csrf_from(theirs.text)
        chosen = {q.name: q.options[0].value for q in first_step.questions
                  if q.type == "single_choice"}
        for step, fields in ((text_step.id, [(opinion, secret)]),
                             (first_step.id, form_fields(questionnaire, chosen, first_step.id))):
            saved = await post_fields(first, f"{mine_url}/draft", [
                ("_csrf_token", csrf_from(mine.text)), ("_section", step), *fields])
            assert saved.json() == {"saved": True}
        for step in (first_step.id, text_step.id):
            own = await first.get(f"{mine_url}?step={step}")
            other = await second.get(f"{theirs_url}?step={step}")
            assert other.status_code == own.status_code == 200
            form = other.text.split("<form")[1]
            assert " checked" not in form and secret not in other.text
            assert csrf_from(other.text) == csrf_from(theirs.text) != csrf_from(own.text)
            assert (secret if step == text_step.id else " checked") in own.text


async def test_link_state_is_read_on_every_request_never_cached(client, db) -> None:
    campaign = await open_campaign()
    url, open_url = f"/s/{campaign.tokens[0]}", f"/o/{campaign.open_token}"
    assert (await client.get(url)).status_code == (await client.get(open_url)).status_code == 200
    await Invitation.update({Invitation.status: "withdrawn"}).where(
        Invitation.token == campaign.tokens[0])
    withdrawn = await client.get(url)
    assert withdrawn.status_code == 410 and "已失效" in withdrawn.text
    await Campaign.update({Campaign.open_link_paused: True}).where(
        Campaign.id == campaign.campaign_id)
    assert (await client.get(open_url)).status_code == 410
    await Campaign.update({Campaign.status: "closed", Campaign.open_link_paused: False}).where(
        Campaign.id == campaign.campaign_id)
    closed = await client.get(f"/s/{campaign.tokens[1]}")
    assert closed.status_code == 410 and "已经结束" in closed.text
    assert (await client.get(open_url)).status_code == 410


async def test_other_requests_fall_through_to_litestar(client, db) -> None:
    campaign = await open_campaign()
    url = f"/s/{campaign.tokens[0]}"
    odd_query = await client.get(url + "?step=intro&utm_source=wechat")
    assert odd_query.status_code == 200 and "第 1 /" in odd_query.text
    assert (await client.get("/static/css/none.css")).status_code == 404
    assert (await client.get("/s/" + "x" * 32)).status_code == 404
