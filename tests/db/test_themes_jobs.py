"""Clustering runs, new-opinion assignment and curation through the services and the job
queue: theme identity and the analyst's edits survive re-runs."""

from __future__ import annotations

from collections import Counter

import pytest

import survey_app.jobs.handlers  # noqa: F401  (registers the job kinds, as the app does)
from analysis.themes import ThemeModel
from survey_app.db.queries import audit, jobs
from survey_app.db.queries import themes as theme_queries
from survey_app.db.queries._rows import json_value
from survey_app.db.tables import Opinion, Theme, ThemeRun
from survey_app.jobs.runner import run_next_job
from survey_app.services import themes
from tests.db.test_themes_seed import PARKING, add_opinion, seed_corpus, staff


@pytest.fixture
async def analyst(make_user):  # type: ignore[no-untyped-def]
    return staff(await make_user("analyst1", "analyst"), "analyst1", "analyst")


async def _run(analyst, **wanted) -> jobs.JobRecord:  # type: ignore[no-untyped-def]
    job_id = await themes.submit_discovery(analyst, "127.0.0.1",
                                           themes.DiscoveryRequest(**wanted))
    assert await run_next_job("test")
    job = await jobs.find_job(job_id)
    assert job is not None
    if job.status == "done":  # a run is a proposal until the analyst confirms it
        assert job.result["url"] == f"/themes/review/{job.result['run']}"
        await themes.confirm_run(analyst, "127.0.0.1", job.result["run"])
    return job


async def _themes_of(opinion_ids: list[int]) -> Counter[int | None]:
    rows = await Opinion.select(Opinion.theme).where(Opinion.id.is_in(opinion_ids))
    return Counter(row["theme"] for row in rows)


async def _main_theme(opinion_ids: list[int]) -> int:
    theme_id, count = (await _themes_of(opinion_ids)).most_common(1)[0]
    assert theme_id is not None and count >= len(opinion_ids) - 2
    return theme_id


async def _live_theme_ids() -> set[int]:
    rows = await Theme.select(Theme.id).where(Theme.merged_into.is_null(), Theme.size > 0)
    return {row["id"] for row in rows}


async def test_discovery_job_finds_the_three_topics_and_stores_the_model(db, analyst) -> None:
    seeded = await seed_corpus()
    job = await _run(analyst)
    assert job.status == "done" and job.progress == 100
    assert "完成" in job.message
    assert job.result["opinions"] == 60
    topic_themes = {topic: await _main_theme(ids) for topic, ids in seeded.ids.items()}
    assert len(set(topic_themes.values())) == 3
    parking = await theme_queries.find_theme(topic_themes["parking"])
    assert parking is not None
    assert any("停车" in word for word in parking.keywords[:3])
    assert parking.size == await Opinion.count().where(Opinion.theme == parking.id)
    assert parking.representatives
    assert set(parking.representatives) <= set(seeded.ids["parking"])
    assert await Opinion.count().where(Opinion.sentiment.is_null()) == 0
    # The stored model's theme ids are the Theme rows' ids.
    run = await ThemeRun.select().order_by(ThemeRun.id, ascending=False).first()
    model = ThemeModel.from_dict(json_value(run["model"], {}))
    assert set(model.theme_ids) == await _live_theme_ids()
    assert run["opinion_count"] == 60
    assert json_value(run["scope"], {})["campaign_ids"] == sorted(
        [seeded.earlier_campaign, seeded.later_campaign])
    assert (await audit.recent_events(action="themes.run"))[0].actor_name == "analyst1"


async def test_rerun_keeps_rows_labels_handover_pins_and_moved_opinions(db, analyst) -> None:
    seeded = await seed_corpus()
    await _run(analyst)
    parking = await _main_theme(seeded.ids["parking"])
    approval = await _main_theme(seeded.ids["approval"])
    tax = await _main_theme(seeded.ids["tax"])
    await themes.rename(analyst, "", parking, "停车难问题")
    unit = (await Theme.raw("SELECT id FROM unit WHERE code = 'U02'"))[0]["id"]
    await themes.hand_over(analyst, "", approval, unit, themes.default_deadline(), "请研究")
    moved = seeded.ids["parking"][0]
    await themes.move_opinions(analyst, "", [moved], tax)
    outcome = await themes.request_edit(analyst, "", themes.ThemeEdit("pin", tax, keyword="罚单"))
    assert outcome.job_id is None and outcome.url == f"/themes/{tax}"
    fine = next(i for i, t in zip(seeded.ids["parking"], PARKING, strict=True) if "罚单" in t)
    assert (await _themes_of([fine]))[tax] == 1

    job = await _run(analyst, seed=7)
    assert job.status == "done"
    assert await _main_theme(seeded.ids["parking"]) == parking
    assert await _main_theme(seeded.ids["approval"]) == approval
    assert await _main_theme(seeded.ids["tax"]) == tax
    rows = await theme_queries.themes_by_ids([parking, approval, tax])
    assert rows[parking].label == "停车难问题" and rows[parking].label_edited
    assert rows[approval].status == "assigned" and rows[approval].unit_id == unit
    assert rows[approval].handover_note == "请研究"
    assert rows[tax].pinned_keywords == ["罚单"]
    assert (await _themes_of([moved]))[tax] == 1  # moved by hand: stays
    assert (await _themes_of([fine]))[tax] == 1  # pinned keyword: stays


async def test_merge_survives_a_rerun_and_split_separates_again(db, analyst) -> None:
    seeded = await seed_corpus()
    await _run(analyst)
    parking = await _main_theme(seeded.ids["parking"])
    tax = await _main_theme(seeded.ids["tax"])
    await themes.rename(analyst, "", tax, "退税问题")
    await themes.request_edit(analyst, "", themes.ThemeEdit("merge", parking, others=(tax,)))
    merged = await Theme.select().where(Theme.id == tax).first()
    assert merged["merged_into"] == parking and merged["size"] == 0
    assert await _main_theme(seeded.ids["tax"]) == parking

    approval = await _main_theme(seeded.ids["approval"])
    await themes.request_edit(
        analyst, "", themes.ThemeEdit("merge", parking, others=(approval,), label="综合问题"))

    await _run(analyst, seed=3)
    # The merge is a decision: the re-run keeps every merged opinion together, under the
    # analyst's label, and the absorbed themes stay retired.
    everything = [i for ids in seeded.ids.values() for i in ids]
    assert await _themes_of(everything) == Counter({parking: 60})
    assert tax not in await _live_theme_ids() and approval not in await _live_theme_ids()
    label = (await Theme.select(Theme.label).where(Theme.id == parking).first())["label"]
    assert label == "综合问题"

    await themes.request_edit(analyst, "", themes.ThemeEdit("split", parking, k=3))
    after = {topic: await _main_theme(ids) for topic, ids in seeded.ids.items()}
    assert len(set(after.values())) == 3 and parking not in after.values()  # three new themes
    assert (await Theme.select(Theme.size).where(Theme.id == parking).first())["size"] == 0
    parts = {topic: await _themes_of(ids) for topic, ids in seeded.ids.items()}
    # A re-run keeps the split parts apart, exactly as they are.
    await _run(analyst, seed=11)
    assert {topic: await _themes_of(ids) for topic, ids in seeded.ids.items()} == parts
    events = {e.action for e in await audit.recent_events()}
    assert {"themes.merge", "themes.split"} <= events


async def test_large_edits_run_as_jobs(db, analyst, monkeypatch) -> None:
    seeded = await seed_corpus()
    await _run(analyst)
    approval = await _main_theme(seeded.ids["approval"])
    tax = await _main_theme(seeded.ids["tax"])
    await themes.request_edit(analyst, "", themes.ThemeEdit("merge", approval, others=(tax,)))
    monkeypatch.setattr(themes.curation, "INLINE_EDIT_LIMIT", 10)
    outcome = await themes.request_edit(analyst, "", themes.ThemeEdit("split", approval, k=2))
    assert outcome.job_id is not None and outcome.url == f"/jobs/{outcome.job_id}"
    assert await _main_theme(seeded.ids["tax"]) == approval  # not yet
    assert await run_next_job("test")
    job = await jobs.find_job(outcome.job_id)
    assert job is not None and job.status == "done" and job.result == {"url": "/themes"}
    assert len({await _main_theme(seeded.ids["approval"]), await _main_theme(seeded.ids["tax"]),
                approval}) == 3


async def test_new_opinions_join_their_theme_or_wait_as_new(db, analyst) -> None:
    seeded = await seed_corpus()
    await _run(analyst)
    parking = await _main_theme(seeded.ids["parking"])
    tax = await _main_theme(seeded.ids["tax"])
    campaign = (seeded.later_campaign, (await Opinion.raw(
        "SELECT version FROM campaign WHERE id = {}", seeded.later_campaign))[0]["version"])
    new_parking = await add_opinion(campaign, "停车位太少，停车难", unit_code="U01")
    new_tax = await add_opinion(campaign, "出口退税迟迟不到账", unit_code="U03")
    unrelated = await add_opinion(campaign, "今天天气晴朗", unit_code="U01")
    job_id = await themes.submit_assign_new(analyst, "")
    assert await run_next_job("test")
    job = await jobs.find_job(job_id)
    assert job is not None and job.status == "done"
    assert job.result["assigned"] == 2 and job.result["unassigned"] == 1
    assert (await _themes_of([new_parking]))[parking] == 1
    assert (await _themes_of([new_tax]))[tax] == 1
    assert (await _themes_of([unrelated]))[None] == 1
    size = (await Theme.select(Theme.size).where(Theme.id == parking).first())["size"]
    assert size == await Opinion.count().where(Opinion.theme == parking)
    assert size == (await _themes_of([*seeded.ids["parking"], new_parking]))[parking]


async def test_bad_requests_get_chinese_errors(db, analyst) -> None:
    seeded = await seed_corpus()
    with pytest.raises(themes.ThemeError, match="尚未运行过主题聚类"):
        await themes.submit_assign_new(analyst, "")
    with pytest.raises(themes.ThemeError, match="主题数须为"):
        themes.parse_discovery_form([], "", "", "", "1", "")
    with pytest.raises(themes.ThemeError, match="不是整数"):
        themes.parse_discovery_form([], "", "", "", "", "abc")
    with pytest.raises(themes.ThemeError, match="调查批次不存在"):
        await themes.submit_discovery(analyst, "", themes.DiscoveryRequest(campaign_ids=(999,)))
    # A scope without opinions fails the job with a message the analyst can read.
    job = await _run(analyst, campaign_ids=(seeded.earlier_campaign,), unit_code="U99")
    assert job.status == "failed" and "没有可聚类的意见" in job.message
    await _run(analyst)
    parking = await _main_theme(seeded.ids["parking"])
    with pytest.raises(themes.ThemeError, match="至少选择一个"):
        await themes.request_edit(analyst, "", themes.ThemeEdit("merge", parking))
    with pytest.raises(themes.ThemeError, match="不含空格"):
        await themes.request_edit(analyst, "", themes.ThemeEdit("pin", parking, keyword="a b"))
    with pytest.raises(themes.ThemeError, match="不存在"):
        await themes.request_edit(analyst, "", themes.ThemeEdit("split", 98765))
    with pytest.raises(themes.ThemeError, match="不能为空"):
        await themes.rename(analyst, "", parking, "   ")
    with pytest.raises(themes.ThemeError, match="不能早于今天"):
        themes.parse_deadline("2000-01-01")
    with pytest.raises(themes.ThemeError, match="不是有效日期"):
        themes.parse_deadline("明天")


async def test_filtered_run_keeps_other_themes_in_the_model(db, analyst) -> None:
    seeded = await seed_corpus()
    await _run(analyst)
    before = {topic: await _main_theme(ids) for topic, ids in seeded.ids.items()}
    # Cluster only the parking unit's opinions: the other themes must stay known …
    job = await _run(analyst, unit_code="U01", k=2)
    assert job.status == "done"
    run = await ThemeRun.select().order_by(ThemeRun.id, ascending=False).first()
    model_ids = set(ThemeModel.from_dict(json_value(run["model"], {})).theme_ids)
    assert {before["approval"], before["tax"]} <= model_ids
    # … so a later full run gives them back their rows.
    await _run(analyst, seed=5)
    assert await _main_theme(seeded.ids["approval"]) == before["approval"]
    assert await _main_theme(seeded.ids["tax"]) == before["tax"]


def test_working_days_skip_weekends() -> None:
    import datetime as dt

    friday = dt.date(2026, 11, 27)
    assert themes.add_working_days(friday, 1) == dt.date(2026, 11, 30)
    wednesday = dt.date(2026, 11, 25)
    # 15 working days = three whole weeks from a Wednesday.
    assert themes.add_working_days(wednesday, 15) == dt.date(2026, 12, 16)
    saturday = dt.date(2026, 11, 28)
    assert themes.add_working_days(saturday, 1) == dt.date(2026, 11, 30)


def test_highlight_cuts_text_into_marked_segments() -> None:
    segments = themes.highlight("停车难，停车场<b>太少</b>，APP不好用", ["停车", "停车场", "app"])
    assert [(s.text, s.marked) for s in segments] == [
        ("停车", True), ("难，", False), ("停车场", True), ("<b>太少</b>，", False),
        ("APP", True), ("不好用", False),
    ]
    assert "".join(s.text for s in segments) == "停车难，停车场<b>太少</b>，APP不好用"
    assert themes.highlight("无关键词", []) == [themes.Segment("无关键词", False)]


def test_earlier_themes_join_the_new_model_with_their_words_reindexed() -> None:
    new = {"vocabulary": ["停车", "车位"], "custom_labels": {}, "pins": {"车位": 5},
           "next_theme_id": 6, "themes": [{"id": 5, "word_indices": [0, 1],
                                           "word_counts": [3, 2]}]}
    old = {"vocabulary": ["退税", "停车"], "custom_labels": {"7": "退税"},
           "pins": {"退税": 7, "车位": 9}, "next_theme_id": 10,
           "themes": [{"id": 5, "word_indices": [1], "word_counts": [1]},
                      {"id": 7, "word_indices": [0, 1], "word_counts": [4, 1]},
                      {"id": 9, "word_indices": [1], "word_counts": [1]}]}
    combined = themes.store.with_earlier_themes(new, old, drop={9})
    assert combined["vocabulary"] == ["停车", "车位", "退税"]
    assert [t["id"] for t in combined["themes"]] == [5, 7]
    assert combined["themes"][1]["word_indices"] == [2, 0]
    assert combined["custom_labels"] == {"7": "退税"}
    assert combined["pins"] == {"车位": 5, "退税": 7}
    assert combined["next_theme_id"] == 10
