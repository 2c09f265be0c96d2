"""Finding 9 (phone width): at 375 px the admin header folds behind 菜单, no admin page scrolls
sideways, and table headers never break one character per line."""

from __future__ import annotations

from tests.db.test_sampling_service import drawn_campaign
from tests.e2e.accounts import log_in_as_admin
from tests.e2e.conftest import Site

PAGES = ("/", "/roster", "/campaigns", "/admin/units", "/admin/users", "/admin/audit")


async def test_admin_pages_fit_a_phone(site: Site, make_user) -> None:
    campaign_id = await drawn_campaign()
    page = await site.phone()
    await log_in_as_admin(page, make_user)
    for path in (*PAGES, f"/campaigns/{campaign_id}", f"/campaigns/{campaign_id}/monitor"):
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        sizes = await page.evaluate("""() => ({
            scroll: document.documentElement.scrollWidth,
            width: document.documentElement.clientWidth,
            header: document.querySelector('.topbar').getBoundingClientRect().height,
            broken: [...document.querySelectorAll('table.grid th')]
                .filter(th => th.textContent.trim().length > 1)
                .filter(th => {
                    const style = getComputedStyle(th);
                    const text = th.getBoundingClientRect().height
                        - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
                    return text > 1.5 * parseFloat(style.lineHeight);
                })
                .map(th => th.textContent.trim()),
        })""")
        assert sizes["scroll"] <= sizes["width"], (path, sizes)
        assert sizes["header"] <= 80, (path, sizes)  # was 408 px of 667
        assert sizes["broken"] == [], (path, sizes)
    await page.goto("/roster")
    assert not await page.is_visible(".mainnav a[href='/units']")
    await page.click("label.nav-toggle-label")
    assert await page.is_visible(".mainnav a[href='/units']")
