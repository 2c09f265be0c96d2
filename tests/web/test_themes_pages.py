"""The analyst's theme pages: run clustering, read themes and opinions, curate through the
forms, and see the edits survive a re-run."""

from __future__ import annotations

import re
from collections import Counter

from survey_app.db.queries import audit
from survey_app.db.tables import Opinion, Theme
from survey_app.jobs.runner import run_next_job
from survey_app.services import themes
from tests.conftest import csrf_from, login, post_form
from tests.db.test_themes_seed import Seeded, add_opinion, seed_corpus


async def _analyst_with_themes(client, make_user) -> Seeded:  # type: ignore[no-untyped-def]
    seeded = await seed_corpus()
    await make_user("analyst1", "analyst")
    await login(client, "analyst1")
    response = await post_form(client, "/themes", "/themes/run", {"k": "", "seed": "0"})
    assert response.status_code in (302, 303)
    job_url = response.headers["location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)
    queued = await client.get(job_url)
    assert "排队中" in queued.text
    assert await run_next_job("test")
    done = await client.get(job_url)
    review_url = re.search(r'href="(/themes/review/\d+)"', done.text)
    assert "已完成" in done.text and "100%" in done.text and review_url
    # Nothing changes until the analyst has seen the review and confirmed it.
    assert await Opinion.count().where(Opinion.theme.is_not_null()) == 0
    review = await client.get(review_url.group(1))
    assert "聚类结果确认" in review.text and "新主题" in review.text
    assert "确认前当前主题不会改变" in review.text
    listing = await client.get("/themes")
    assert review_url.group(1) in listing.text
    confirmed = await post_form(client, review_url.group(1), review_url.group(1),
                                {"decision": "confirm"})
    assert confirmed.status_code in (302, 303) and confirmed.headers["location"] == "/themes"
    assert await Opinion.count().where(Opinion.theme.is_not_null()) > 50
    return seeded


async def _theme_of(opinion_ids: list[int]) -> int:
    rows = await Opinion.select(Opinion.theme).where(Opinion.id.is_in(opinion_ids))
    theme_id, count = Counter(row["theme"] for row in rows).most_common(1)[0]
    assert theme_id is not None and count >= len(opinion_ids) - 2
    return int(theme_id)


def _row_of(html: str, theme_id: int) -> str:
    match = re.search(rf'<tr>\s*<td><a href="/themes/{theme_id}[^"]*">.*?</tr>', html, re.S)
    assert match, f"theme {theme_id} not listed"
    return match.group(0)


async def test_theme_list_shows_themes_by_size_with_units_and_trend(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    page = await client.get("/themes")
    assert page.status_code == 200
    parking = await _theme_of(seeded.ids["parking"])
    row = _row_of(page.text, parking)
    assert "停车" in row and "区交通运输局" in row and "待处理" in row
    # Parking: 15 of the 40 opinions of 2026-Q3 against 5 of the 20 of 2026-Q2.
    assert await Opinion.count().where(Opinion.theme == parking) == 20
    assert "37.5%" in row and "+12.5 个百分点" in row
    assert "本期 2026-Q3" in page.text and "上期 2026-Q2" in page.text
    listed = [int(i) for i in re.findall(r'<td><a href="/themes/(\d+)">', page.text)]
    sizes = {r["id"]: r["size"] for r in await Theme.select(Theme.id, Theme.size)}
    assert len(listed) == 3 and [sizes[i] for i in listed] == sorted(
        (sizes[i] for i in listed), reverse=True)


async def test_filters_narrow_the_list(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    tax = await _theme_of(seeded.ids["tax"])
    page = await client.get("/themes", params={"unit": "U03"})
    listed = {int(i) for i in re.findall(r'<td><a href="/themes/(\d+)\?unit=U03">', page.text)}
    assert tax in listed
    earlier = await client.get("/themes", params={"campaign": seeded.earlier_campaign,
                                                  "channel": "paper"})
    assert earlier.status_code == 200
    # Paper opinions (every 4th) of the earlier campaign: 2, 2 and 3 of the three topics,
    # each fewer than 5 respondents, so no theme's figures are shown.
    assert re.findall(r'<td class="num">(\d+)</td>', earlier.text) == []
    assert earlier.text.count("答卷人少于 5 位，不显示") == 6  # 3 rows and 3 chart bars
    whole = await client.get("/themes", params={"campaign": seeded.earlier_campaign})
    counts = re.findall(r'<td class="num">(\d+)</td>', whole.text)
    assert sorted(int(c) for c in counts) == [5, 5, 10]


async def test_theme_page_marks_keywords_and_escapes_opinion_text(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    parking = await _theme_of(seeded.ids["parking"])
    campaign = (seeded.later_campaign, (await Opinion.raw(
        "SELECT version FROM campaign WHERE id = {}", seeded.later_campaign))[0]["version"])
    hostile = await add_opinion(campaign, '<script>alert("x")</script>停车位太少', unit_code="U01")
    await Opinion.update({Opinion.theme: parking}).where(Opinion.id == hostile)
    page = await client.get(f"/themes/{parking}")
    assert page.status_code == 200
    assert "代表性意见" in page.text
    assert "<mark>停车位</mark>" in page.text or "<mark>停车</mark>" in page.text
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


async def test_theme_page_pages_through_opinions(client, make_user, monkeypatch) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    monkeypatch.setattr(themes.reading, "PAGE_SIZE", 4)
    approval = await _theme_of(seeded.ids["approval"])
    first = await client.get(f"/themes/{approval}")
    second = await client.get(f"/themes/{approval}", params={"page": 2})
    ids_first = set(re.findall(r'name="opinion" value="(\d+)"', first.text))
    ids_second = set(re.findall(r'name="opinion" value="(\d+)"', second.text))
    assert "下一页" in first.text and "第 2 /" in second.text
    assert ids_second and not ids_first & ids_second
    assert "代表性意见" not in second.text  # representatives head the first page only


async def test_curation_forms_and_edits_survive_a_rerun(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    parking = await _theme_of(seeded.ids["parking"])
    approval = await _theme_of(seeded.ids["approval"])
    tax = await _theme_of(seeded.ids["tax"])
    theme_url = f"/themes/{parking}"

    renamed = await post_form(client, theme_url, f"{theme_url}/rename", {"label": "停车难"})
    assert renamed.headers["location"] == theme_url
    pinned = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/pin",
                             {"keyword": "罚单"})
    assert pinned.headers["location"] == f"/themes/{tax}"
    moved_id = seeded.ids["approval"][0]
    moved = await post_form(client, f"/themes/{approval}", "/themes/move",
                            {"opinion": [str(moved_id)], "target": str(parking),
                             "source": str(approval)})
    assert moved.headers["location"] == f"/themes/{approval}"
    merged = await post_form(client, theme_url, f"{theme_url}/merge",
                             {"absorb": [str(tax)], "label": ""})
    assert merged.headers["location"] == theme_url

    rerun = await post_form(client, "/themes", "/themes/run", {"seed": "11"})
    assert rerun.status_code in (302, 303) and await run_next_job("test")

    page = await client.get(theme_url)
    assert "<h1>停车难</h1>" in page.text and "罚单" in page.text
    assert await _theme_of(seeded.ids["tax"]) == parking  # merged, still merged
    assert await _theme_of(seeded.ids["approval"]) == approval
    row = await Opinion.select(Opinion.theme, Opinion.theme_locked).where(
        Opinion.id == moved_id).first()
    assert row["theme"] == parking and row["theme_locked"]
    merged_page = await client.get(f"/themes/{tax}")
    assert "已并入" in merged_page.text and "整理主题" not in merged_page.text

    split = await post_form(client, theme_url, f"{theme_url}/split", {"k": "2"})
    assert split.headers["location"] == "/themes"
    assert len({await _theme_of(seeded.ids["parking"]), await _theme_of(seeded.ids["tax"]),
                parking}) == 3
    actions = {e.action for e in await audit.recent_events()}
    assert {"themes.rename", "themes.pin", "themes.move", "themes.merge", "themes.split",
            "themes.run"} <= actions


async def test_unpin_and_form_errors(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    tax = await _theme_of(seeded.ids["tax"])
    await post_form(client, f"/themes/{tax}", f"/themes/{tax}/pin", {"keyword": "税务局"})
    page = await client.get(f"/themes/{tax}")
    assert 'name="keyword" value="税务局"' in page.text
    await post_form(client, f"/themes/{tax}", f"/themes/{tax}/unpin", {"keyword": "税务局"})
    assert (await Theme.select(Theme.pinned_keywords).where(Theme.id == tax).first())[
        "pinned_keywords"] in ([], "[]")
    bad = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/rename", {"label": " "})
    assert bad.status_code == 400 and "主题名称不能为空" in bad.text
    no_pick = await post_form(client, f"/themes/{tax}", "/themes/move",
                              {"target": str(tax), "source": str(tax)})
    assert no_pick.status_code == 400 and "请先勾选要移动的意见" in no_pick.text
    bad_k = await post_form(client, "/themes", "/themes/run", {"k": "99"})
    assert bad_k.status_code == 400 and "主题数须为 2–40" in bad_k.text
    for missing in ("/themes/999999", "/themes/99999999999"):
        assert (await client.get(missing)).status_code == 404
    no_token = await client.post(f"/themes/{tax}/rename", data={"label": "新名称"})
    assert no_token.status_code == 403
    # The filter form sends empty fields for "all".
    everything = await client.get("/themes", params={"campaign": "", "unit": "", "question": "",
                                                     "channel": ""})
    assert everything.status_code == 200 and f'href="/themes/{tax}"' in everything.text


async def test_unassigned_opinions_show_as_new_and_can_be_moved(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    campaign = (seeded.later_campaign, (await Opinion.raw(
        "SELECT version FROM campaign WHERE id = {}", seeded.later_campaign))[0]["version"])
    odd = await add_opinion(campaign, "食堂饭菜口味一般", unit_code="U02")
    listing = await client.get("/themes")
    assert "未归类/新议题（1 条）" in listing.text
    page = await client.get("/themes/unassigned")
    assert "食堂饭菜口味一般" in page.text
    response = await post_form(client, "/themes", "/themes/assign-new", {})
    assert response.status_code in (302, 303) and await run_next_job("test")
    assert (await Opinion.select(Opinion.theme).where(Opinion.id == odd).first())["theme"] is None
    approval = await _theme_of(seeded.ids["approval"])
    moved = await post_form(client, "/themes/unassigned", "/themes/move",
                            {"opinion": [str(odd)], "target": str(approval), "source": ""})
    assert moved.headers["location"] == "/themes/unassigned"
    assert (await Opinion.select(Opinion.theme).where(Opinion.id == odd).first())["theme"] == (
        approval)


async def test_office_reads_but_cannot_curate(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    await make_user("office1", "office")
    await login(client, "office1")
    page = await client.get("/themes")
    assert page.status_code == 200 and "运行主题聚类" not in page.text
    tax = await _theme_of(seeded.ids["tax"])
    theme_page = await client.get(f"/themes/{tax}")
    assert theme_page.status_code == 200 and "退税" in theme_page.text
    assert "整理主题" not in theme_page.text and 'name="opinion"' not in theme_page.text
    refused = await client.post(f"/themes/{tax}/rename",
                                data={"label": "x", "_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403


async def test_unit_viewer_cannot_open_analyst_pages(client, make_user) -> None:
    await seed_corpus()
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await login(client, "viewer1")
    assert (await client.get("/themes")).status_code == 403
    assert (await client.get("/themes/1")).status_code == 403
    assert (await client.get("/themes/export.xlsx")).status_code == 403
