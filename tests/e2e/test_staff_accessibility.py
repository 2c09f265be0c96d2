"""The analyst's pages in headless Chromium: every theme page an analyst works on (list with
charts, a theme, opinions without a theme, search, set-aside opinions, word lists, a pending
review) has 0 axe-core WCAG 2.1 A/AA violations, at desktop and phone width, and none
scrolls sideways on a phone. Themes are seeded and clustered with the test-side engine; the
pages are opened as the analyst would."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page

import survey_app.jobs.handlers  # noqa: F401  (registers the job kinds, as the app does)
from survey_app.db.queries import jobs
from survey_app.db.tables import Theme
from survey_app.jobs.runner import run_next_job
from survey_app.services import themes
from tests.db.test_themes_seed import seed_corpus, staff
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Site
from tests.e2e.test_appraisal_office import sign_in

pytestmark = pytest.mark.e2e


async def _clustered(analyst: Any, *, confirm: bool) -> int:
    """Run clustering as the page does; return the run's id (confirmed or pending review)."""
    job_id = await themes.submit_discovery(analyst, "127.0.0.1", themes.DiscoveryRequest(seed=0))
    assert await run_next_job("test")
    job = await jobs.find_job(job_id)
    assert job is not None and job.status == "done", job and job.message
    run_id = int(job.result["run"])
    if confirm:
        await themes.confirm_run(analyst, "127.0.0.1", run_id)
    return run_id


# Elements that stick out of the viewport, outside any scrolling container (a wide table in
# a `.table-wrap` scrolls on its own and is fine).
_TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; }
    return false; };
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !scrolls(el))
    .slice(0, 6)
    .map((el) => el.tagName.toLowerCase() + (el.getAttribute('class') ? '.' + el.getAttribute('class') : '')
         + ' right=' + Math.round(el.getBoundingClientRect().right));
}"""


async def _check(page: Page, path: str, width: int) -> None:
    response = await page.goto(path)
    assert response is not None and response.status == 200, path
    await assert_accessible(page, f"{path} at {width} px")
    wide = await page.evaluate(_TOO_WIDE)
    assert wide == [], f"{path} scrolls sideways at {width} px: {wide}"


async def test_analyst_pages_have_no_violations(site: Site, make_user: Any) -> None:
    await seed_corpus()
    analyst = staff(await make_user("analyst1", "analyst"), "analyst1", "analyst")
    await _clustered(analyst, confirm=True)
    pending = await _clustered(analyst, confirm=False)
    theme_id = (await Theme.select(Theme.id).order_by(Theme.id).first())["id"]
    paths = ("/themes", f"/themes/{theme_id}", "/themes/unassigned", "/themes/search?q=停车",
             "/themes/set-aside", "/themes/lexicon", f"/themes/review/{pending}")
    for width, height in ((1280, 900), (375, 667)):
        context = await site.browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", base_url=site.url)
        context.set_default_timeout(15_000)
        page = await context.new_page()
        site._watch(page)
        await sign_in(page, "analyst1")
        for path in paths:
            await _check(page, path, width)
