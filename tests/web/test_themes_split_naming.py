"""Names and splits: a theme cannot take another current theme's name (merge is the way);
a split theme's page says what became of it and offers no more actions; the parts start
from the analyst's name, or from the names typed on the split form."""

from __future__ import annotations

import re

from survey_app.db.tables import Theme
from survey_app.jobs.runner import run_next_job
from survey_app.services import themes
from tests.conftest import post_form
from tests.web.test_themes_pages import _analyst_with_themes, _theme_of


async def _label(theme_id: int) -> str:
    return str((await Theme.select(Theme.label).where(Theme.id == theme_id).first())["label"])


async def _parts_of_split(theme_ids_before: set[int]) -> list[dict]:  # type: ignore[type-arg]
    rows = await Theme.select(Theme.id, Theme.label, Theme.label_edited, Theme.size).where(
        Theme.merged_into.is_null()).order_by(Theme.size, ascending=False)
    return [row for row in rows if row["id"] not in theme_ids_before]


async def test_rename_to_another_themes_name_is_refused(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    tax = await _theme_of(seeded.ids["tax"])
    parking = await _theme_of(seeded.ids["parking"])
    taken = await _label(parking)
    before = await _label(tax)
    typed = f"  {taken} "
    refused = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/rename", {"label": typed})
    assert refused.status_code == 400
    assert f"已有同名主题“{taken}”" in refused.text and "合并" in refused.text
    assert f'name="label" value="{typed}"' in refused.text
    assert await _label(tax) == before
    # Its own name again, and a fresh name, are fine.
    same = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/rename", {"label": before})
    assert same.status_code in (302, 303)
    fresh = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/rename", {"label": "退税慢"})
    assert fresh.status_code in (302, 303) and await _label(tax) == "退税慢"
    # A merge's new name is checked the same way (the themes merged away do not count).
    approval = await _theme_of(seeded.ids["approval"])
    merged = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/merge",
                             {"absorb": [str(parking)], "label": await _label(approval)})
    assert merged.status_code == 400 and "已有同名主题" in merged.text


async def test_split_theme_page_says_where_its_opinions_went(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    parking = await _theme_of(seeded.ids["parking"])
    url = f"/themes/{parking}"
    before = {row["id"] for row in await Theme.select(Theme.id)}
    split = await post_form(client, url, f"{url}/split", {"k": "2"})
    assert split.status_code in (302, 303)
    parts = await _parts_of_split(before)
    assert len(parts) == 2

    page = await client.get(url)
    assert page.status_code == 200
    assert "该主题已拆分为" in page.text and "analyst1" in page.text
    for part in parts:
        assert f'<a href="/themes/{part["id"]}">{part["label"]}</a>' in page.text
    assert re.search(r"于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}", page.text)
    assert "已拆分</span>" in page.text and "待处理" not in page.text
    # Nothing left to do on the old theme.
    for gone in ("整理主题", "转办整改", f'action="{url}/split"', f'action="{url}/rename"',
                 'name="action" value="exclude"'):
        assert gone not in page.text

    again = await post_form(client, url, f"{url}/split", {"k": "2"})
    assert again.status_code == 400
    assert "已拆分为" in again.text and "不在当前主题模型中" not in again.text
    assert f'href="/themes/{parts[0]["id"]}"' in again.text
    renamed = await post_form(client, url, f"{url}/rename", {"label": "新名称"})
    assert renamed.status_code == 400 and "已拆分为" in renamed.text
    handed = await post_form(client, url, f"{url}/handover",
                             {"unit_id": "1", "deadline": "", "note": "x"})
    assert handed.status_code == 400 and "已拆分为" in handed.text


async def test_split_parts_start_from_the_analysts_name(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    parking = await _theme_of(seeded.ids["parking"])
    url = f"/themes/{parking}"
    await post_form(client, url, f"{url}/rename", {"label": "停车难"})
    page = await client.get(url)
    assert '<textarea name="labels"' in page.text and "停车难（一）" in page.text
    before = {row["id"] for row in await Theme.select(Theme.id)}
    split = await post_form(client, url, f"{url}/split", {"k": "2", "labels": ""})
    assert split.status_code in (302, 303)
    parts = await _parts_of_split(before)
    assert [p["label"] for p in parts] == ["停车难（一）", "停车难（二）"]
    assert all(p["label_edited"] for p in parts)


async def test_split_form_names_the_parts(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    parking = await _theme_of(seeded.ids["parking"])
    url = f"/themes/{parking}"
    too_many = await post_form(client, url, f"{url}/split", {"k": "2", "labels": "甲\n乙\n丙"})
    assert too_many.status_code == 400 and "填写了 3 个名称" in too_many.text
    twice = await post_form(client, url, f"{url}/split", {"k": "2", "labels": "甲\n 甲 "})
    assert twice.status_code == 400 and "名称“甲”重复" in twice.text
    before = {row["id"] for row in await Theme.select(Theme.id)}
    split = await post_form(client, url, f"{url}/split", {"k": "2", "labels": "停车位少\n\n"})
    assert split.status_code in (302, 303)
    parts = await _parts_of_split(before)
    assert len(parts) == 2
    # The first (largest) part takes the typed name; the other keeps its keywords' name.
    assert parts[0]["label"] == "停车位少" and parts[0]["label_edited"]
    assert parts[1]["label"] != "停车位少" and not parts[1]["label_edited"]


async def test_split_names_survive_the_job_path(client, make_user, monkeypatch) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    parking = await _theme_of(seeded.ids["parking"])
    url = f"/themes/{parking}"
    monkeypatch.setattr(themes.curation, "INLINE_EDIT_LIMIT", 10)  # a large corpus: a job
    before = {row["id"] for row in await Theme.select(Theme.id)}
    queued = await post_form(client, url, f"{url}/split", {"k": "2", "labels": "停车位少\n收费贵"})
    assert re.fullmatch(r"/jobs/\d+", queued.headers["location"])
    assert await run_next_job("test")
    parts = await _parts_of_split(before)
    assert [p["label"] for p in parts] == ["停车位少", "收费贵"]
    assert all(p["label_edited"] for p in parts)


async def test_a_theme_too_uniform_to_split_is_named_not_numbered(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    approval = await _theme_of(seeded.ids["approval"])
    url = f"/themes/{approval}"
    refused = await post_form(client, url, f"{url}/split", {"k": "2", "labels": "甲\n乙"})
    assert refused.status_code == 400
    assert f"主题“{await _label(approval)}”的意见内容过于一致，无法再拆分" in refused.text
    assert f"主题 {approval} " not in refused.text
