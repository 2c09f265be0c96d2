"""Rate limits for anonymous endpoints (open links).

* `RateLimiter`: sliding window in this process's memory, for cheap high-volume checks (page
  views); several server processes each allow the limit.
* `SharedRateLimiter`: fixed windows counted in the database, so the limit holds across every
  process; for the rare, consequential requests (open-link submissions). Clients are keyed by an
  HMAC of their address under the app's secret, so no address is stored.
"""

from __future__ import annotations

import time
from collections import deque

from survey_app.services.rate_limits import PRUNE_EVERY, SharedRateLimiter

__all__ = ["PRUNE_EVERY", "RateLimiter", "SharedRateLimiter"]


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
