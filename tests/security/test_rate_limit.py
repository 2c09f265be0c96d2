"""Open-link submissions are limited per client across server processes (counted in the
database), and no client address is stored."""

from __future__ import annotations

from survey_app.db.tables import RateWindow
from survey_app.services.rate_limits import PRUNE_EVERY, SharedRateLimiter
from tests.conftest import csrf_from
from tests.support.campaigns import open_campaign, post_fields

SECRET = "s" * 40
ADDRESS = "203.0.113.9"


async def test_two_processes_share_one_limit_per_window(db) -> None:
    first, second = (SharedRateLimiter("t", limit=3, window_seconds=60) for _ in range(2))
    now = 6_000.0
    assert [await first.allow(ADDRESS, SECRET, now), await second.allow(ADDRESS, SECRET, now + 1),
            await first.allow(ADDRESS, SECRET, now + 2)] == [True, True, True]
    assert not await second.allow(ADDRESS, SECRET, now + 3)  # the fourth, whichever process
    assert await first.allow("198.51.100.1", SECRET, now + 3)  # another client is not affected
    assert await second.allow(ADDRESS, SECRET, now + 60)  # the next window starts afresh
    buckets = [r["bucket"] for r in await RateWindow.select(RateWindow.bucket)]
    assert buckets and not any(ADDRESS in b for b in buckets)


async def test_expired_windows_are_pruned(db) -> None:
    limiter = SharedRateLimiter("t", limit=3, window_seconds=60)
    await limiter.allow(ADDRESS, SECRET, 6_000.0)
    await limiter.allow(ADDRESS, SECRET, 6_000.0 + PRUNE_EVERY + 120)
    ends = [r["ends_at"] for r in await RateWindow.select(RateWindow.ends_at)]
    assert len(ends) == 1 and ends[0] > 6_060  # the first window (ended at 6,060) is gone


async def test_the_eleventh_open_submission_within_an_hour_is_refused(app, db) -> None:
    """Ten responses from one address (ten phones behind one NAT) are kept; the eleventh within
    the hour is refused. Answers refused for what they lack do not use up the quota: correcting
    a mistake must not lock a respondent out."""
    import random
    import secrets

    import httpx

    from survey_app.demo.answers import simulate_answers
    from tests.support.campaigns import form_fields

    campaign = await open_campaign(code="resident-social-satisfaction")
    questionnaire = campaign.questionnaire
    url = f"/o/{campaign.open_token}"
    answers = simulate_answers(questionnaire, random.Random(4))
    everything = [field for section in questionnaire.sections
                  for field in form_fields(questionnaire, answers, section.id)]
    statuses = []
    for attempt in range(14):
        transport = httpx.ASGITransport(app=app, client=(ADDRESS, 50100 + attempt))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as phone:
            page = await phone.get(url)  # a phone of its own: its own device cookie
            fields = [("_csrf_token", csrf_from(page.text)),
                      ("_submission_id", secrets.token_urlsafe(18))]
            if attempt < 3:  # nothing answered: refused for what it lacks, not counted
                statuses.append((await post_fields(phone, url, fields)).status_code)
                continue
            answered = await post_fields(phone, url, fields + everything)
            statuses.append(answered.status_code)
    assert statuses == [400] * 3 + [200] * 10 + [429]
    assert "提交过于频繁" in answered.text
