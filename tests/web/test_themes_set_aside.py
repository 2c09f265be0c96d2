"""Opinions set aside (issue 13): the analyst's exclusions and the content-free answers are
listed and can be restored (audited); a restored content-free answer is not set aside again
by the next run, a restored exclusion is assigned again."""

from __future__ import annotations

from survey_app.db.queries import audit
from survey_app.db.tables import Opinion
from survey_app.jobs.runner import run_next_job
from tests.conftest import csrf_from, login, post_form
from tests.db.test_themes_seed import add_opinion
from tests.web.test_themes_pages import _analyst_with_themes, _theme_of
from tests.web.test_themes_tools import _confirmed_run


async def _state(opinion_id: int) -> dict:  # type: ignore[type-arg]
    return await Opinion.select(Opinion.theme, Opinion.set_aside, Opinion.theme_locked).where(
        Opinion.id == opinion_id).first()


async def test_excluded_and_content_free_opinions_are_listed_and_restored(
    client, make_user
) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    campaign = (seeded.later_campaign, (await Opinion.raw(
        "SELECT version FROM campaign WHERE id = {}", seeded.later_campaign))[0]["version"])
    parking = await _theme_of(seeded.ids["parking"])
    spam = seeded.ids["parking"][:2]
    excluded = await post_form(client, f"/themes/{parking}", "/themes/move", {
        "opinion": [str(i) for i in spam], "action": "exclude", "source": str(parking)})
    assert excluded.status_code in (302, 303)
    empty = await add_opinion(campaign, "暂无意见", unit_code="U01")
    assigned = await post_form(client, "/themes", "/themes/assign-new", {})
    assert assigned.status_code in (302, 303) and await run_next_job("test")
    assert (await _state(empty))["set_aside"] == "empty"

    listing = await client.get("/themes")
    assert "人工排除 2 条" in listing.text and 'href="/themes/set-aside?reason=empty"' in listing.text
    page = await client.get("/themes/set-aside", params={"reason": "excluded"})
    assert page.status_code == 200 and "人工排除（2 条）" in page.text
    assert page.text.count('class="opinion"') == 2 and "恢复勾选的意见" in page.text
    empty_page = await client.get("/themes/set-aside", params={"reason": "empty"})
    assert "暂无意见" in empty_page.text and empty_page.text.count('class="opinion"') == 1

    nothing = await post_form(client, "/themes/set-aside?reason=excluded",
                              "/themes/set-aside/restore", {"reason": "excluded"})
    assert nothing.status_code == 400 and "请先勾选要恢复的意见" in nothing.text
    restored = await post_form(client, "/themes/set-aside?reason=excluded",
                               "/themes/set-aside/restore",
                               {"reason": "excluded", "opinion": [str(spam[0])]})
    assert restored.headers["location"] == "/themes/set-aside?reason=excluded"
    assert await _state(spam[0]) == {"theme": None, "set_aside": "", "theme_locked": False}
    assert (await _state(spam[1]))["set_aside"] == "excluded"
    await post_form(client, "/themes/set-aside?reason=empty", "/themes/set-aside/restore",
                    {"reason": "empty", "opinion": [str(empty)]})
    assert await _state(empty) == {"theme": None, "set_aside": "", "theme_locked": True}
    events = await audit.recent_events(action="themes.restore")
    assert [e.detail["count"] for e in events] == [1, 1]
    assert events[0].detail["empty"] == [empty] and events[1].detail["excluded"] == [spam[0]]

    # The next run: the restored exclusion joins a theme again, the restored content-free
    # answer is not set aside again, the other exclusion stands.
    await _confirmed_run(client)
    assert (await _state(spam[0]))["theme"] is not None
    assert (await _state(empty))["set_aside"] == ""
    assert (await _state(spam[1]))["set_aside"] == "excluded"


async def test_office_reads_the_set_aside_list_but_cannot_restore(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    parking = await _theme_of(seeded.ids["parking"])
    await post_form(client, f"/themes/{parking}", "/themes/move", {
        "opinion": [str(seeded.ids["parking"][0])], "action": "exclude", "source": str(parking)})
    await make_user("office1", "office")
    await login(client, "office1")
    page = await client.get("/themes/set-aside")
    assert page.status_code == 200 and page.text.count('class="opinion"') == 1
    assert "恢复勾选的意见" not in page.text
    refused = await client.post("/themes/set-aside/restore", data={
        "opinion": str(seeded.ids["parking"][0]), "_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403
