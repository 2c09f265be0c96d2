"""Signing staff in through the real login pages, second factor included."""

from __future__ import annotations

import time
from typing import Any

from playwright.async_api import Page, expect

from survey_app.db.tables import User
from survey_app.services import totp
from tests.conftest import MFA_SECRETS, TEST_PASSWORD


async def sign_in(page: Page, username: str) -> None:
    """Returns once the home page is shown, so the session cookie is set: a test that moves on
    while the second-factor POST is still under way races it (a later goto aborts it, or a
    closed tab drops it)."""
    await page.goto("/login")
    await page.fill('input[name="username"]', username)
    await page.fill('input[name="password"]', TEST_PASSWORD)
    await page.click("button.primary")
    if username in MFA_SECRETS:  # office and admin accounts use a second factor
        await page.wait_for_url("**/account/mfa/verify**")
        await User.update({User.mfa_last_step: 0}).where(User.username == username)
        await page.fill('input[name="code"]', totp.totp(MFA_SECRETS[username], time.time()))
        await page.click("button.primary")
    await expect(page.locator("h1")).to_contain_text("您好")


async def log_in_as_admin(page: Page, make_user: Any) -> None:
    await make_user("admin1", "admin")
    await sign_in(page, "admin1")
