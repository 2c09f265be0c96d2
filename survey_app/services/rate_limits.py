"""Rate limits that hold across every server process: fixed windows counted in the database, for
the rare, consequential requests (open-link submissions, login attempts). Clients are keyed by
an HMAC of their address under the app's secret, so no address is stored."""

from __future__ import annotations

import hashlib
import hmac
import time

from survey_app.db.queries import ratelimit as queries

PRUNE_EVERY = 600  # seconds between deletions of expired windows (per process)


class SharedRateLimiter:
    def __init__(self, scope: str, limit: int, window_seconds: int) -> None:
        self.scope = scope
        self.limit = limit
        self.window = window_seconds
        self._pruned_at = 0.0

    async def allow(self, key: str, secret: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            await queries.prune_windows(int(now))
        number = int(now // self.window)
        client = hmac.new(secret.encode(), f"{self.scope}|{key}".encode(), hashlib.sha256).hexdigest()[:40]
        hits = await queries.count_hit(f"{self.scope}:{client}:{number}", (number + 1) * self.window)
        return hits <= self.limit
