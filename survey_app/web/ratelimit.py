"""Rate limits for anonymous endpoints (open links).

* `RateLimiter`: sliding window in this process's memory, for cheap high-volume checks (page
  views); several server processes each allow the limit.
* `SharedRateLimiter`: fixed windows counted in the database, so the limit holds across every
  process; for the rare, consequential requests (open-link submissions). Clients are keyed by an
  HMAC of their address under the app's secret, so no address is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque

from survey_app.db.queries import ratelimit as queries

PRUNE_EVERY = 600  # seconds between deletions of expired windows (per process)


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._hits.clear()  # bounded memory beats perfect accounting under a flood
            hits = self._hits[key] = deque()
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


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
