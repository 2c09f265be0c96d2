"""Finding 1 of issue 13, step by step as an analyst did it: rename, pin, move, merge, split,
hand over with a deadline, re-run with defaults, new opinions arrive, run again. Every
decision is a constraint later runs honour; a run is a proposal the analyst confirms.
Also: content-free answers are set aside, and a planted new topic surfaces as 新议题."""

from __future__ import annotations

from collections import Counter

import pytest

import survey_app.jobs.handlers  # noqa: F401  (registers the job kinds, as the app does)
from survey_app.db.queries import jobs
from survey_app.db.queries import themes as theme_queries
from survey_app.db.tables import Opinion, Theme, ThemeDecision, ThemeRun, Unit
from survey_app.jobs.runner import run_next_job
from survey_app.services import themes
from survey_app.services.themes.common import load_registry
from tests.db.test_themes_seed import PARKING, add_opinion, seed_corpus, staff

LAMPS = [
    "小区路灯坏了好几个月没人修", "路灯晚上不亮，走夜路很危险", "路灯维修太慢，报修没人管",
    "主干道路灯太暗，夜间照明不足", "路灯经常闪烁，希望尽快维修", "公园路灯不亮，晚上散步不安全",
    "路灯报修电话打不通，路灯一直不亮", "背街小巷没有路灯，夜里一片漆黑",
    "新修的路没有装路灯", "路灯开关时间不合理，天黑了还不亮", "路灯杆倒了没人处理",
    "希望增加小区路灯，夜间照明太差",
]
SCHOOL = [
    "孩子上学学位紧张，入学报名太难", "学区划分不合理，学位不够", "小学学位不足，孩子只能跨区上学",
    "幼儿园学位太少，入园难", "入学政策变化太快，学位申请看不懂", "新建小区没有配套学校，学位紧张",
    "义务教育学位分配不公平", "学位申请系统经常崩溃，入学报名失败", "外来务工子女入学难，学位不够",
    "希望增加公办幼儿园学位", "初中学位紧张，划片不合理", "入学材料要求太多，学位审核太慢",
]
WEBSITE = [
    "政务网站打开太慢，经常卡顿", "网上办事大厅网站卡顿，页面打不开", "政务服务网经常登录不上",
    "网站系统卡，材料上传失败", "政务APP闪退，网站也打不开", "网上办事系统太卡，提交不了",
    "政务网站页面加载很慢", "网站经常维护，网上办事不方便", "政务服务网站验证码总是出错",
    "网上申报网站卡顿严重", "网站上传附件一直转圈", "政务服务网站手机端不好用",
]
EXTRA = {"lamps": (LAMPS, "U01"), "school": (SCHOOL, "U02"), "website": (WEBSITE, "U03")}
NOISE = [  # the planted new topic: it arrives only in the second wave
    "夜间施工噪音太大，影响休息", "工地噪音扰民，半夜还在施工", "广场舞噪音太大，晚上吵得睡不着",
    "施工噪音投诉了也没人管", "酒吧噪音扰民，深夜很吵", "道路施工噪音大，夜里无法入睡",
    "小区附近工厂噪音太大", "噪音扰民问题一直得不到解决",
]
CONTENT_FREE = ["无", "没有。", "暂无意见", "无意见！"]


@pytest.fixture
async def analyst(make_user):  # type: ignore[no-untyped-def]
    return staff(await make_user("analyst1", "analyst"), "analyst1", "analyst")


async def _run(analyst, **wanted) -> dict:  # type: ignore[no-untyped-def]
    """Run clustering as the page does, look at the review, confirm it. Until the analyst
    confirms, the current themes stay exactly as they were (review before replace)."""
    current = await Opinion.select(Opinion.id, Opinion.theme).order_by(Opinion.id)
    labels = await Theme.select(Theme.id, Theme.label, Theme.status).order_by(Theme.id)
    job_id = await themes.submit_discovery(analyst, "127.0.0.1", themes.DiscoveryRequest(**wanted))
    assert await run_next_job("test")
    job = await jobs.find_job(job_id)
    assert job is not None and job.status == "done", job and job.message
    review = await themes.review(job.result["run"])
    assert review is not None and review.status == "proposed" and not review.stale
    assert await Opinion.select(Opinion.id, Opinion.theme).order_by(Opinion.id) == current
    assert await Theme.select(Theme.id, Theme.label, Theme.status).order_by(Theme.id) == labels
    await themes.confirm_run(analyst, "127.0.0.1", job.result["run"])
    return review.review


async def _themes_of(opinion_ids: list[int]) -> Counter[int | None]:
    rows = await Opinion.select(Opinion.theme).where(Opinion.id.is_in(opinion_ids))
    return Counter(row["theme"] for row in rows)


async def _main_theme(opinion_ids: list[int]) -> int:
    theme_id, _ = (await _themes_of(opinion_ids)).most_common(1)[0]
    assert theme_id is not None
    return theme_id


async def _members(theme_id: int) -> set[int]:
    rows = await Opinion.select(Opinion.id).where(Opinion.theme == theme_id)
    return {row["id"] for row in rows}


async def _seed() -> tuple[dict[str, list[int]], tuple[int, int]]:
    seeded = await seed_corpus()
    later = (seeded.later_campaign, (await Opinion.raw(
        "SELECT version FROM campaign WHERE id = {}", seeded.later_campaign))[0]["version"])
    ids = dict(seeded.ids)
    for topic, (texts, unit) in EXTRA.items():
        ids[topic] = [await add_opinion(later, text, unit_code=unit) for text in texts]
    return ids, later


async def test_finding_1_nothing_curated_is_lost(db, analyst, make_user) -> None:
    ids, later = await _seed()
    await _run(analyst, k=6)
    parking = await _main_theme(ids["parking"])
    approval = await _main_theme(ids["approval"])
    tax = await _main_theme(ids["tax"])
    lamps = await _main_theme(ids["lamps"])
    website = await _main_theme(ids["website"])
    school = await _main_theme(ids["school"])
    assert len({parking, approval, tax, lamps, website, school}) == 6

    # The analyst's decisions, in the order of the finding.
    await themes.rename(analyst, "", parking, "停车难问题")
    await themes.request_edit(analyst, "", themes.ThemeEdit("pin", tax, keyword="罚单"))
    fine = next(i for i, t in zip(ids["parking"], PARKING, strict=True) if "罚单" in t)
    moved = ids["approval"][3]
    await themes.move_opinions(analyst, "", [moved], tax)
    # Merge (school places into approvals, as 19 → 7 was), then split a mixed theme in two.
    merging = (await _members(approval) | await _members(school)) - {moved}
    await themes.request_edit(analyst, "", themes.ThemeEdit("merge", approval, others=(school,)))
    await themes.request_edit(analyst, "", themes.ThemeEdit("merge", website, others=(lamps,)))
    mixed = sorted(await _members(website))
    await themes.request_edit(analyst, "", themes.ThemeEdit("split", website, k=2))
    parts = sorted({t for t in (await _themes_of(mixed)) if t})
    assert len(parts) == 2 and website not in parts
    unit = (await Unit.select(Unit.id).where(Unit.code == "U02").first())["id"]
    deadline = themes.default_deadline()
    await themes.hand_over(analyst, "", approval, unit, deadline, "请研究审批提速")
    decided = {row["theme"] for row in await ThemeDecision.select(ThemeDecision.theme)}
    assert {parking, tax, approval, *parts} <= decided

    curated = [parking, tax, approval, *parts]
    before = {tid: await _members(tid) for tid in curated}
    labels = {row["id"]: row["label"] for row in await Theme.select(Theme.id, Theme.label)
              .where(Theme.id.is_in(curated))}
    assert fine in before[tax] and moved in before[tax]
    assert merging <= before[approval]

    # 运行聚类 with defaults: the review shows nothing curated changing, and once confirmed
    # every curated theme has exactly its opinions, id and label.
    review = await _run(analyst)
    changed = {item["id"] for key in ("grown", "shrunk", "retired") for item in review[key]}
    assert not changed & set(curated)
    for tid in curated:
        assert await _members(tid) == before[tid], tid
    rows = {row["id"]: row for row in await Theme.select().where(Theme.id.is_in(curated))}
    assert {tid: rows[tid]["label"] for tid in curated} == labels
    assert all(rows[tid]["merged_into"] is None for tid in curated)
    assert rows[approval]["status"] == "assigned" and rows[approval]["unit"] == unit

    # The unit reports, the analyst accepts: the theme is closed.
    viewer = staff(await make_user("viewer2", "unit_viewer", unit_code="U02"), "viewer2",
                   "unit_viewer", unit)
    await themes.reply(viewer, "", approval, "review", "已压缩审批时限")
    await themes.review_rectification(analyst, "", approval, "accept", "")
    assert (await Theme.select(Theme.status).where(Theme.id == approval).first())["status"] == "done"

    # New opinions arrive (more of the same, a new topic, content-free answers) and the
    # analyst runs again with defaults.
    new_approval = [await add_opinion(later, t, unit_code="U02") for t in (
        "审批窗口排队时间太长，审批太慢", "审批流程繁琐，跑了三趟窗口")]
    new_parking = [await add_opinion(later, t, unit_code="U01") for t in (
        "停车位太少，停车难", "医院停车难，没有车位")]
    noise = [await add_opinion(later, t, unit_code="U01") for t in NOISE]
    empty = [await add_opinion(later, t, unit_code="U01") for t in CONTENT_FREE]
    review = await _run(analyst)
    assert review["empty"] == len(CONTENT_FREE)
    for tid in curated:
        after = await _members(tid)
        assert before[tid] <= after, tid  # nothing curated is lost …
        assert not after & set(noise), tid  # … and the new topic is not folded into it
    rows = {row["id"]: row for row in await Theme.select().where(Theme.id.is_in(curated))}
    assert {tid: rows[tid]["label"] for tid in curated} == labels
    assert rows[approval]["status"] == "done" and rows[approval]["size"] >= len(before[approval])
    # New opinions on a handed theme's topic join it by assignment.
    assert set(new_approval) <= await _members(approval)
    assert await _themes_of(empty) == Counter({None: len(CONTENT_FREE)})
    assert await Opinion.count().where(Opinion.set_aside == "empty") == len(CONTENT_FREE)
    assert len(new_parking) == 2
    # The unit's page still lists the opinions about it.
    detail = await themes.handed_over_detail(viewer, approval, 1)
    shown = len(detail.detail.opinions) + len(detail.detail.representatives)
    own = await Opinion.count().where(Opinion.theme == approval, Opinion.unit_code == "U02")
    assert shown > 0 and shown == own < len(await _members(approval))
    assert all(item.opinion.unit_code == "U02" for item in detail.detail.opinions)


async def test_a_stale_review_cannot_be_confirmed_and_a_discarded_one_changes_nothing(
    db, analyst
) -> None:
    ids, _ = await _seed()
    await _run(analyst, k=6)
    parking = await _main_theme(ids["parking"])
    job_id = await themes.submit_discovery(analyst, "", themes.DiscoveryRequest(seed=5))
    assert await run_next_job("test")
    job = await jobs.find_job(job_id)
    assert job is not None
    run_id = job.result["run"]
    await themes.rename(analyst, "", parking, "停车难")  # a decision after the run
    assert (await themes.review(run_id)).stale  # type: ignore[union-attr]
    with pytest.raises(themes.ThemeError, match="已过时"):
        await themes.confirm_run(analyst, "", run_id)
    members = await _members(parking)
    await themes.discard_run(analyst, "", run_id)
    assert await _members(parking) == members
    status = (await ThemeRun.select(ThemeRun.status).where(ThemeRun.id == run_id).first())
    assert status["status"] == "discarded"
    with pytest.raises(themes.ThemeError, match="已处理过"):
        await themes.confirm_run(analyst, "", run_id)


async def test_planted_new_topic_is_held_and_proposed_and_content_free_set_aside(
    db, analyst
) -> None:
    _, later = await _seed()
    await _run(analyst, k=6)
    held = (await themes.overview(themes.OpinionFilter(), 1)).unassigned
    noise = [await add_opinion(later, t, unit_code="U01") for t in NOISE]
    empty = [await add_opinion(later, t, unit_code="U01") for t in CONTENT_FREE]
    job_id = await themes.submit_assign_new(analyst, "")
    assert await run_next_job("test")
    job = await jobs.find_job(job_id)
    assert job is not None and job.status == "done"
    assert job.result["empty"] == len(CONTENT_FREE)
    # Held as 新议题, not folded into an unrelated theme.
    assert await _themes_of(noise) == Counter({None: len(NOISE)})
    assert await Opinion.count().where(Opinion.set_aside == "empty") == len(CONTENT_FREE)
    overview = await themes.overview(themes.OpinionFilter(), 1)
    assert overview.unassigned == held + len(NOISE) and overview.empty == len(CONTENT_FREE)
    proposals = await themes.new_issue_proposals()
    assert [p.word for p in proposals] == ["噪音"]
    assert set(proposals[0].opinion_ids) == set(noise)
    assert not set(proposals[0].opinion_ids) & set(empty)
    theme_id = await themes.create_theme_from_issue(analyst, "", "噪音")
    assert await _members(theme_id) == set(noise)
    record = await theme_queries.find_theme(theme_id)
    assert record is not None and record.keywords[0] == "噪音" and len(record.keywords) > 1
    # The accepted theme is in the stored model at once: later opinions on the topic join
    # it by assignment (归类新意见), without a full run.
    model = await load_registry()
    assert model is not None and theme_id in model.model.theme_ids
    later_noise = [await add_opinion(later, t, unit_code="U02") for t in (
        "晚上施工噪音太大，吵得睡不着", "噪音扰民，半夜工地还在施工")]
    job_id = await themes.submit_assign_new(analyst, "")
    assert await run_next_job("test")
    assert await _themes_of(later_noise) == Counter({theme_id: len(later_noise)})
    noise += later_noise
    await _run(analyst)  # the accepted theme is a decision: a run keeps it whole
    assert await _members(theme_id) == set(noise)
    assert await _themes_of(empty) == Counter({None: len(CONTENT_FREE)})


async def test_an_exclusion_made_while_a_review_waits_still_stands(db, analyst) -> None:
    ids, _ = await _seed()
    job_id = await themes.submit_discovery(analyst, "", themes.DiscoveryRequest(k=6))
    assert await run_next_job("test")
    job = await jobs.find_job(job_id)
    assert job is not None and job.status == "done"
    spam = ids["parking"][0]
    assert await themes.exclude_opinions(analyst, "", [spam]) == 1
    await themes.confirm_run(analyst, "", job.result["run"])
    row = await Opinion.select(Opinion.theme, Opinion.set_aside).where(Opinion.id == spam).first()
    assert row == {"theme": None, "set_aside": "excluded"}
    assert await Opinion.count().where(Opinion.theme.is_not_null()) > 50
    await _run(analyst)  # and no later run brings it back
    row = await Opinion.select(Opinion.theme, Opinion.set_aside).where(Opinion.id == spam).first()
    assert row == {"theme": None, "set_aside": "excluded"}
