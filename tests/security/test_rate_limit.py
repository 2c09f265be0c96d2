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


async def test_the_eleventh_open_submission_within_an_hour_is_refused(client, db) -> None:
    campaign = await open_campaign(code="resident-social-satisfaction")
    page = await client.get(f"/o/{campaign.open_token}")
    fields = [("_csrf_token", csrf_from(page.text)), ("_submission_id", "x" * 24)]
    statuses = [(await post_fields(client, f"/o/{campaign.open_token}", fields)).status_code
                for _ in range(10)]
    assert 429 not in statuses  # empty answers: each is refused for what it lacks
    refused = await post_fields(client, f"/o/{campaign.open_token}", fields)
    assert refused.status_code == 429 and "提交过于频繁" in refused.text
