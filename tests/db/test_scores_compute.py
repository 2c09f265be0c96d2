"""The two SQL passes give exactly the reference unit index computed from raw records."""

from __future__ import annotations

import itertools
import math

import pytest

from analysis.scoring.intervals import bounded_interval
from analysis.scoring.reference import unit_index_from_records
from analysis.scoring.unit_index import IndexSpec
from analysis.scoring.weighting import StratumFrame
from survey_app.db.queries import audit
from survey_app.db.queries import score_runs as run_queries
from survey_app.db.queries import scores as queries
from survey_app.services import score_runs, scores
from tests.db.test_scores_seed import Stratum, estimate_of, seed_campaign

SPEC = IndexSpec((("服务态度", 1.0), ("办事效率", 1.0)), (("attitude", "服务态度"), ("grid__u1", "办事效率")))


def _frames(seeded, code: str = "c2026q3") -> list[StratumFrame]:  # type: ignore[no-untyped-def]
    return [
        StratumFrame(f"{code}·{s.name}", seeded.respondents(s.name), s.population, s.invited)
        for s in seeded.strata
    ]


def _keyed(records, code: str = "c2026q3"):  # type: ignore[no-untyped-def]
    return [type(r)(r.response_id, r.item, f"{code}·{r.stratum}", r.weight, r.score) for r in records]


async def _compute(**options) -> int:  # type: ignore[no-untyped-def]
    return await score_runs.compute_scores(
        scores.ScoreOptions(period="2026-Q3", audience="enterprise", **options),
        actor_id=None,
        actor_name="test",
    )


async def test_stored_unit_score_equals_the_reference_index(db, make_unit) -> None:
    u01 = await make_unit("U01", "区发展和改革局")
    await make_unit("U02", "区市场监督管理局")
    seeded = await seed_campaign()
    run_id = await _compute()

    expected = unit_index_from_records("U01", _keyed(seeded.records("U01")), SPEC, _frames(seeded))
    stored = {s.unit_code: s for s in await run_queries.scores_of_runs([run_id])}
    got = stored["U01"]
    assert got.unit_id == u01
    assert got.n == expected.n_respondents == 32
    assert got.index_value == pytest.approx(expected.score, abs=1e-9)
    assert got.std_error == pytest.approx(estimate_of(expected).se, rel=1e-9)
    assert got.margin == pytest.approx(estimate_of(expected).moe, rel=1e-9)
    assert got.satisfied_rate == pytest.approx(expected.satisfaction_rate, rel=1e-12)
    assert got.awareness == pytest.approx(expected.awareness, rel=1e-12)
    assert set(got.flags) == {r.flag.value for r in expected.flags}
    items = {i["item"]: i for i in got.details["items"]}
    for item in expected.items:
        assert items[item.item]["mean"] == pytest.approx(item.mean, abs=1e-9)
        assert items[item.item]["n_unaware"] == item.n_unaware
    estimate = estimate_of(expected)
    assert got.details["ci_symmetric"] == pytest.approx([estimate.ci_low, estimate.ci_high])
    assert estimate.se is not None and estimate.t_quantile is not None
    bounded = bounded_interval(estimate.mean, estimate.se, estimate.t_quantile)
    assert got.details["ci"] == pytest.approx(list(bounded))
    assert 0 < bounded[0] < estimate.mean < bounded[1] < 100


async def test_unit_rated_by_few_is_suppressed_but_keeps_its_raw_score(db, make_unit) -> None:
    await make_unit("U01")
    await make_unit("U02", "区市场监督管理局")
    seeded = await seed_campaign(
        respondents=(4, 9), strata=(Stratum("大型", 40, 16), Stratum("小型", 300, 30))
    )
    run_id = await _compute()
    u02 = {s.unit_code: s for s in await run_queries.scores_of_runs([run_id])}["U02"]
    spec = IndexSpec.by_item((("grid__u2", 1.0),))
    expected = unit_index_from_records("U02", _keyed(seeded.records("U02")), spec, _frames(seeded))
    assert u02.n == expected.n_respondents < 10
    assert u02.index_value is None and "SUPPRESSED" in u02.flags
    assert u02.details["raw_score"] == pytest.approx(expected.raw_score, abs=1e-9)


async def test_excluded_responses_do_not_count_and_strata_are_adjusted(db, make_unit) -> None:
    await make_unit("U01")
    await make_unit("U02", "区市场监督管理局")
    seeded = await seed_campaign(excluded=3)
    run_id = await _compute()
    got = {s.unit_code: s for s in await run_queries.scores_of_runs([run_id])}["U01"]
    assert got.n == 32  # 12 + 20 complete; 6 excluded responses left out
    run = await run_queries.find_run(run_id)
    assert run is not None
    strata = {s["key"]: s for s in run.settings["strata"]}
    # a_h = n_h / r_h: 16/12 and 30/20, both under the cap of 3
    assert strata["c2026q3·大型"]["adjustment"] == pytest.approx(16 / 12)
    assert strata["c2026q3·小型"]["adjustment"] == pytest.approx(1.5)
    assert got.details["response_rate"] == pytest.approx(32 / 46)
    expected_weight = sum(seeded.final_weights()[s.name] * seeded.respondents(s.name) for s in seeded.strata)
    assert expected_weight == pytest.approx(340)  # Σ w = Σ N_h
    assert got.details["weight_total"] == pytest.approx(340)


async def test_dimension_weights_change_the_index_as_declared(db, make_unit) -> None:
    await make_unit("U01")
    await make_unit("U02", "区市场监督管理局")
    seeded = await seed_campaign()
    run_id = await _compute(dimension_weights=(("服务态度", 0.7), ("办事效率", 0.3)))
    got = {s.unit_code: s for s in await run_queries.scores_of_runs([run_id])}["U01"]
    spec = IndexSpec((("服务态度", 0.7), ("办事效率", 0.3)), SPEC.item_dimensions)
    expected = unit_index_from_records("U01", _keyed(seeded.records("U01")), spec, _frames(seeded))
    assert got.index_value == pytest.approx(expected.score, abs=1e-9)
    means = {i["item"]: i["mean"] for i in got.details["items"]}
    assert got.index_value == pytest.approx(0.7 * means["attitude"] + 0.3 * means["grid__u1"])


async def test_two_campaigns_of_a_period_are_independent_strata(db, make_unit) -> None:
    await make_unit("U01")
    await make_unit("U02", "区市场监督管理局")
    first = await seed_campaign(code="a", seed=3, questionnaire="shared")
    second = await seed_campaign(
        code="b", seed=4, strata=(Stratum("大型", 50, 20),), respondents=(15,), questionnaire="shared"
    )
    run_id = await _compute()
    got = {s.unit_code: s for s in await run_queries.scores_of_runs([run_id])}["U01"]
    records = _keyed(first.records("U01"), "a") + _keyed(second.records("U01"), "b")
    expected = unit_index_from_records("U01", records, SPEC, _frames(first, "a") + _frames(second, "b"))
    assert got.n == 47
    assert got.index_value == pytest.approx(expected.score, abs=1e-9)
    assert got.std_error == pytest.approx(estimate_of(expected).se, rel=1e-9)


async def test_items_of_different_questionnaires_are_kept_apart(db, make_unit) -> None:
    await make_unit("U01")
    await make_unit("U02", "区市场监督管理局")
    await seed_campaign(code="a", seed=3)
    await seed_campaign(code="b", seed=4)
    run_id = await _compute()
    got = {s.unit_code: s for s in await run_queries.scores_of_runs([run_id])}["U01"]
    assert sorted(i["item"] for i in got.details["items"]) == [
        "q-a/attitude",
        "q-a/grid__u1",
        "q-b/attitude",
        "q-b/grid__u1",
    ]
    labels = {i["label"] for i in got.details["items"]}
    assert "您对以下单位的办事效率是否满意？（区发改局）" in labels


async def test_run_records_inputs_hash_and_is_reproducible(db, make_unit) -> None:
    await make_unit("U01")
    await make_unit("U02", "区市场监督管理局")
    await seed_campaign()
    first = await run_queries.find_run(await _compute())
    second = await run_queries.find_run(await _compute())
    assert first and second and len(first.inputs_hash) == 64
    assert first.inputs_hash == second.inputs_hash
    assert first.settings["mapping"] == "nbs" and first.settings["mapping_version"] == 1
    other = await run_queries.find_run(await _compute(mapping_key="linear"))
    assert other and other.inputs_hash != first.inputs_hash
    events = await audit.recent_events(action="scores.compute")
    assert len(events) == 3 and events[0].detail["inputs_hash"] == other.inputs_hash


async def test_no_campaign_in_period_is_a_chinese_error(db) -> None:
    with pytest.raises(scores.ScoresError, match="没有面向企业"):
        await _compute()


def test_dimension_weights_text_is_parsed_with_chinese_errors() -> None:
    assert scores.parse_dimension_weights("服务态度=0.4，办事效率：0.6") == (
        ("服务态度", 0.4),
        ("办事效率", 0.6),
    )
    assert scores.parse_dimension_weights("  ") == ()
    with pytest.raises(scores.ScoresError, match="格式不正确"):
        scores.parse_dimension_weights("服务态度 0.4")
    with pytest.raises(scores.ScoresError, match="重复"):
        scores.parse_dimension_weights("甲=1，甲=2")


def test_level_score_follows_the_mapping() -> None:
    from analysis.scoring.mapping import LINEAR_MAPPING, NBS_MAPPING

    assert [score_runs.level_score(NBS_MAPPING, level) for level in (5, 4, 3, 2, 1)] == [100, 80, 60, 30, 0]
    assert score_runs.level_score(LINEAR_MAPPING, 4) == 75
    assert math.isclose(score_runs.level_score(LINEAR_MAPPING, 1), 0)


async def test_pass_one_split_into_unit_ranges_loses_nothing(db, make_unit) -> None:
    for code in ("U00", "U015", "U01", "U02"):  # cuts fall between U01 and U02
        await make_unit(code, f"单位{code}")
    seeded = await seed_campaign(excluded=2)
    assert queries._ranges(["U00", "U01", "U015", "U02"], 4) == [
        (None, "U01"),
        ("U01", "U015"),
        ("U015", "U02"),
        ("U02", None),
    ]
    run_id = await _compute()
    got = {s.unit_code: s for s in await run_queries.scores_of_runs([run_id])}
    expected = unit_index_from_records("U01", _keyed(seeded.records("U01")), SPEC, _frames(seeded))
    assert got["U01"].index_value == pytest.approx(expected.score, abs=1e-9)
    assert got["U01"].std_error == pytest.approx(estimate_of(expected).se, rel=1e-9)
    assert set(got) == {"U01", "U02"}


def test_ranges_cover_the_whole_key_space() -> None:
    assert queries._ranges([], 4) == [(None, None)]
    assert queries._ranges(["B", "A"], 4) == [(None, None)]
    ranges = queries._ranges([f"U{i:03d}" for i in range(100)], 4)
    assert ranges[0][0] is None and ranges[-1][1] is None
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
