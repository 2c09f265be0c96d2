"""Throttles on the three places a password or a code is checked: /login, /account/mfa/verify
and /account/confirm (issue 17).

Counted in the database (`SharedRateLimiter`), so they hold across server processes, and
checked BEFORE anything is hashed or compared:
* per client address: PER_ADDRESS attempts per window, whatever the user names (a single client
  spraying names, or slowing the site with hashing work);
* per account: PER_ACCOUNT attempts per window for one user name, from any number of addresses
  (unknown names too, so the answer reveals nothing). The lockout (SURVEY_LOGIN_MAX_FAILURES)
  still applies on top, to existing accounts.
"""

from __future__ import annotations

from litestar import Request

from survey_app.services.rate_limits import SharedRateLimiter
from survey_app.web.rendering import client_ip

WINDOW_SECONDS = 300
PER_ADDRESS = SharedRateLimiter("auth-address", limit=30, window_seconds=WINDOW_SECONDS)
PER_ACCOUNT = SharedRateLimiter("auth-account", limit=15, window_seconds=WINDOW_SECONDS)
TOO_MANY = "尝试过于频繁，请 5 分钟后再试。"


async def allow_attempt(request: Request, account: str) -> bool:
    """Count this attempt against the client's address and the account; False: refuse it
    without checking the credential."""
    secret = request.app.state.settings.secret_key
    by_address = await PER_ADDRESS.allow(client_ip(request), secret)
    by_account = await PER_ACCOUNT.allow(account.strip().lower(), secret)
    return by_address and by_account
