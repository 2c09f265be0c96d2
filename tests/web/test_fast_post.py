"""Respondents' step POSTs served by web/fast_post.py: the same responses as the Litestar
handler, the same CSRF check, and everything it does not serve left to Litestar before
anything is written."""

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import httpx
from litestar._parsers import parse_url_encoded_form_data

from survey_app.db.tables import Draft, Response
from survey_app.demo.answers import simulate_answers
from survey_app.web.fast_post import parse_form
from tests.conftest import csrf_from
from tests.support.campaigns import form_fields, open_campaign, post_fields
from tests.web.test_fast_path import litestar_only
from tests.web.test_survey import _walk as walk_without_javascript

_HIDDEN = re.compile(r'name="(_section|_submission_id|_started)" value="([^"]*)"')
_RECEIPT = re.compile(r"回执编号：<b>([^<]+)</b>")


class _Spy:
    """Counts the POSTs the fast path served itself (it returns None for those)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.served = 0

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        passed_on = await self.inner(scope, receive, send)
        self.served += passed_on is None
        return passed_on


@contextmanager
def spied(app) -> Iterator[_Spy]:  # type: ignore[no-untyped-def]
    spy = _Spy(app.fast_post)
    app.fast_post = spy
    try:
        yield spy
    finally:
        app.fast_post = spy.inner


def _client(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50041))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


def _shape(response: httpx.Response, token: str) -> tuple:
    """Status, headers and body, with what differs per respondent (token, receipt) masked."""
    headers = {k: v.replace(token, "T") for k, v in response.headers.items()
               if k not in ("content-length", "date", "server", "set-cookie")}
    body = _RECEIPT.sub("回执编号：<b>R</b>", response.text)
    return response.status_code, headers, body


async def _walk(app, token: str, questionnaire, answers, encoding: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Every step answered like a browser without JavaScript; the shape of each POST's answer."""
    shapes = []
    async with _client(app) as client:
        page = await client.get(f"/s/{token}")
        for _ in range(len(questionnaire.sections) + 1):
            hidden = dict(_HIDDEN.findall(page.text))
            last = 'value="submit"' in page.text
            fields = [("_csrf_token", csrf_from(page.text)), *hidden.items(),
                      *form_fields(questionnaire, answers, hidden["_section"]),
                      ("_action", "submit" if last else "next")]
            answered = await post_fields(client, f"/s/{token}", fields,
                                         headers={"accept-encoding": encoding})
            shapes.append(_shape(answered, token))
            if last:
                return shapes
            page = await client.get(answered.headers["location"])
    raise AssertionError("never reached the last step")


async def test_fast_post_sends_what_the_litestar_handler_sends(app, db, caplog) -> None:
    campaign = await open_campaign(invitations=4)
    questionnaire = campaign.questionnaire
    answers = simulate_answers(questionnaire, random.Random(5),
                               opinion_for=lambda unit: "窗口排队时间长" if unit == "U02" else None)
    for index, encoding in enumerate(("gzip", "identity")):
        fast_token, slow_token = campaign.tokens[2 * index], campaign.tokens[2 * index + 1]
        with spied(app) as spy:
            fast = await _walk(app, fast_token, questionnaire, answers, encoding)
        with litestar_only(app):
            slow = await _walk(app, slow_token, questionnaire, answers, encoding)
        assert spy.served == len(fast) > 2  # every step and the submission itself
        assert fast == slow
        assert fast[0][0] == 302 and fast[-1][0] == 200 and "谢谢您的参与" in fast[-1][2]
        assert ("content-encoding" in fast[-1][1]) == (encoding == "gzip")
    stored = await Response.select(Response.invitation, Response.answers)
    assert len(stored) == 4 and stored[0]["answers"] == stored[1]["answers"]
    assert await Draft.count() == 0


async def test_what_the_fast_path_does_not_serve_reaches_litestar_unwritten(app, client, db) -> None:
    campaign = await open_campaign()
    questionnaire = campaign.questionnaire
    url = f"/s/{campaign.tokens[0]}"
    page = await client.get(url)
    section = dict(_HIDDEN.findall(page.text))["_section"]
    base = [("_csrf_token", csrf_from(page.text)), ("_section", section),
            ("_submission_id", "s" * 24), ("_action", "next")]
    with spied(app) as spy:
        # A forged CSRF token: refused by Litestar, nothing kept.
        forged = await post_fields(client, url, [("_csrf_token", "f" * 128), *base[1:]])
        assert forged.status_code == 403 and await Draft.count() == 0
        # Required questions left empty: the page again with its problems, the draft kept.
        problems = await post_fields(client, url, base)
        assert problems.status_code == 400 and "处需要修改" in problems.text
        assert await Draft.count() == 1
        # An unknown step: the page has expired.
        expired = await post_fields(client, url, [*base[:1], ("_section", "nope"), *base[2:]])
        assert expired.status_code == 400 and "页面已过期" in expired.text
        assert spy.served == 0
        # A step answered: served here.
        answers = simulate_answers(questionnaire, random.Random(1))
        moved = await post_fields(client, url, [*base, *form_fields(questionnaire, answers, section)])
        assert moved.status_code == 302 and spy.served == 1


async def test_a_repeated_final_post_gets_its_receipt_once(app, client, db) -> None:
    campaign = await open_campaign()
    token = campaign.tokens[0]
    answers = simulate_answers(campaign.questionnaire, random.Random(2))
    with spied(app) as spy:
        first, final_fields = await walk_without_javascript(
            client, token, campaign.questionnaire, answers)
        served = spy.served
        again = await post_fields(client, f"/s/{token}", final_fields)
    receipts = [_RECEIPT.search(r.text) for r in (first, again)]
    assert first.status_code == again.status_code == 200 and all(receipts)
    assert receipts[0].group(1) == receipts[1].group(1)  # type: ignore[union-attr]
    assert spy.served == served  # the replay found the link used: Litestar answered it
    assert await Response.count() == 1


def test_parse_form_reads_bodies_as_litestar_does() -> None:
    bodies = [
        urlencode([("_csrf_token", "a" * 128), ("q1", "yes"), ("multi", "n1"), ("multi", "n2"),
                   ("opinion", "窗口排队 时间长+100%，电话13912345678"), ("empty", "")]).encode(),
        b"a=1&&b&c=%ZZ&d=%E4%BD&e=x+y%2Bz&%E4%BD%A0=%E5%A5%BD&f=%E4x%A0%&g=%%41%e4%bd%a0%F0%9F",
        b"h=%C3%A9%ff%80%E4%BD%A0%E5+%A5%BD&i=%2525&j=a%3Db%26c",
        "raw=中文".encode(),
        b"",
    ]
    for body in bodies:
        expected = {k: v if isinstance(v, list) else [v]
                    for k, v in parse_url_encoded_form_data(body).items()}
        assert parse_form(body) == expected, body
