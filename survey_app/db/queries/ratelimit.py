"""Counters of the shared rate limiter (web/ratelimit.py): one row per client and window."""

from __future__ import annotations

from piccolo.querystring import QueryString

from survey_app.db.tables import RateWindow


async def count_hit(bucket: str, ends_at: int) -> int:
    """Add one hit to the bucket (created on first use) and return its hits, atomically: the
    upsert is one statement, so concurrent processes never lose a hit."""
    rows = await RateWindow._meta.db.run_querystring(
        QueryString(
            "INSERT INTO rate_window (bucket, hits, ends_at) VALUES ({}, 1, {}) "
            "ON CONFLICT (bucket) DO UPDATE SET hits = rate_window.hits + 1 RETURNING hits",
            bucket,
            ends_at,
        )
    )
    return int(rows[0]["hits"])


async def prune_windows(now: int) -> None:
    await RateWindow.delete().where(RateWindow.ends_at < now)
