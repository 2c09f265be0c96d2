"""Unit index: renormalisation (§A1.3c), the two-pass SQL path against the per-record
reference, the complete-data identity, and a jackknife cross-check of the composite SE."""

import random
import sqlite3
import statistics

import pytest

from analysis.scoring.errors import ScoringError
from analysis.scoring.estimators import LinearisedMoments
from analysis.scoring.flags import Flag
from analysis.scoring.items import ItemCell, item_estimates
from analysis.scoring.reference import AnswerRecord, mean_from_records, unit_index_from_records
from analysis.scoring.unit_index import IndexSpec, UnitIndex, finish_unit_index, plan_unit_index
from analysis.scoring.weighting import StratumFrame
from analysis.scoring.weights import weighted_mean_available

LEVEL_SCORES = (100.0, 80.0, 60.0, 30.0, 0.0)

PASS_1 = """
SELECT item_id, stratum, score, COUNT(*), SUM(weight), SUM(weight * weight)
FROM answer_rows WHERE unit_code = ? GROUP BY item_id, stratum, score
"""
PASS_2 = """
WITH z AS (
  SELECT a.response_id, a.stratum, a.weight, SUM(p.coefficient * (a.score - p.centre)) AS z
  FROM answer_rows a JOIN plan_terms p ON p.unit_code = a.unit_code AND p.item_id = a.item_id
  WHERE a.score IS NOT NULL AND a.unit_code = ?
  GROUP BY a.response_id, a.unit_code, a.stratum, a.weight)
SELECT stratum, COUNT(*), SUM(weight), SUM(weight * weight), SUM(weight * z),
       SUM(weight * weight * z * z), SUM(z), SUM(z * z)
FROM z GROUP BY stratum
"""


def test_renormalisation_vector() -> None:
    result = weighted_mean_available(
        {"q1": 80, "q2": None, "q3": 60}, [("q1", 0.4), ("q2", 0.3), ("q3", 0.3)]
    )
    assert result.value == pytest.approx(71.43, abs=5e-3)
    assert result.missing == ("q2",)
    assert dict(result.weights) == pytest.approx({"q1": 0.4 / 0.7, "q3": 0.3 / 0.7})


def test_renormalisation_through_the_unit_plan_flags_the_thin_item() -> None:
    cells = [
        ItemCell("q1", "h", 80.0, 10, 10.0, 10.0),
        ItemCell("q2", "h", 100.0, 3, 3.0, 3.0),  # 3 < 5 valid answers: left out
        ItemCell("q3", "h", 60.0, 10, 10.0, 10.0),
    ]
    spec = IndexSpec.by_item([("q1", 0.4), ("q2", 0.3), ("q3", 0.3)])
    plan = plan_unit_index("U", item_estimates(cells), spec)
    assert plan.raw_score == pytest.approx(71.4286, abs=1e-4)
    assert plan.suppressed_items == ("q2",)
    assert sum(w for _, w in plan.item_weights) == pytest.approx(1.0)


def test_dimension_weight_is_split_among_its_eligible_items() -> None:
    spec = IndexSpec(
        dimension_weights=(("服务态度", 0.5), ("办事效率", 0.5)),
        item_dimensions=(("a1", "服务态度"), ("a2", "服务态度"), ("b1", "办事效率")),
    )
    assert dict(spec.item_weights({"a1", "a2", "b1"})) == pytest.approx(
        {"a1": 0.25, "a2": 0.25, "b1": 0.5}
    )
    assert dict(spec.item_weights({"a1", "b1"})) == pytest.approx({"a1": 0.5, "b1": 0.5})
    assert dict(spec.item_weights({"a2"})) == pytest.approx({"a2": 1.0})


def test_spec_errors_are_chinese() -> None:
    with pytest.raises(ScoringError, match="没有设置权重"):
        IndexSpec((("d", 1.0),), (("q", "other"),))
    with pytest.raises(ScoringError, match="不在指标体系"):
        plan_unit_index(
            "U",
            item_estimates([ItemCell("zz", "h", 80.0, 6, 6.0, 6.0)]),
            IndexSpec.by_item([("q", 1)]),
        )


def _survey(seed: int, respondents: int = 240) -> tuple[list[AnswerRecord], list[StratumFrame]]:
    """Random 5-level answers for one unit: some skip items, some say 不了解, some skip the unit."""
    rng = random.Random(seed)
    strata = {"大型": (60, 4.0), "中型": (90, 6.0), "小型": (respondents - 150, 9.0)}
    records, frames = [], []
    for stratum, (count, weight) in strata.items():
        frames.append(StratumFrame(stratum, respondents=count, population=int(count * weight)))
        for index in range(count):
            if rng.random() < 0.2:  # does not rate this unit at all
                continue
            base = rng.randrange(5)
            for item in ("q1", "q2", "q3", "q4"):
                roll = rng.random()
                if roll < 0.1:
                    continue  # skipped
                score = (
                    None
                    if roll < 0.2
                    else LEVEL_SCORES[min(4, max(0, base + rng.choice((-1, 0, 0, 1))))]
                )
                records.append(AnswerRecord(f"{stratum}-{index}", item, stratum, weight, score))
    return records, frames


SPEC = IndexSpec(
    dimension_weights=(("服务态度", 0.5), ("办事效率", 0.3), ("政策落实", 0.2)),
    item_dimensions=(
        ("q1", "服务态度"),
        ("q2", "服务态度"),
        ("q3", "办事效率"),
        ("q4", "政策落实"),
    ),
)


def _via_sql(records: list[AnswerRecord], frames: list[StratumFrame]) -> UnitIndex:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE answer_rows"
        " (response_id, unit_code, item_id, stratum, weight REAL, score REAL)"
    )
    db.executemany(
        "INSERT INTO answer_rows VALUES (?, 'U', ?, ?, ?, ?)",
        [(r.response_id, r.item, r.stratum, r.weight, r.score) for r in records],
    )
    cells = [ItemCell(*row) for row in db.execute(PASS_1, ("U",))]
    plan = plan_unit_index("U", item_estimates(cells, frames), SPEC)
    db.execute("CREATE TABLE plan_terms (unit_code, item_id, coefficient REAL, centre REAL)")
    db.executemany(
        "INSERT INTO plan_terms VALUES ('U', ?, ?, ?)",
        [(t.item, t.coefficient, t.centre) for t in plan.terms],
    )
    residuals = [LinearisedMoments(*row) for row in db.execute(PASS_2, ("U",))]
    return finish_unit_index(plan, residuals, frames)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_two_pass_equals_per_record_reference(seed: int) -> None:
    records, frames = _survey(seed)
    sql = _via_sql(records, frames)
    reference = unit_index_from_records("U", records, SPEC, frames)
    assert sql.estimate is not None and reference.estimate is not None
    assert sql.score == pytest.approx(reference.score, rel=1e-12)
    for field in ("se", "moe", "ci_low", "ci_high", "deff_kish", "n_effective", "deff_design"):
        assert getattr(sql.estimate, field) == pytest.approx(
            getattr(reference.estimate, field), rel=1e-9
        )
    assert sql.estimate.df == reference.estimate.df
    assert sql.n_respondents == reference.n_respondents
    assert sql.satisfaction_rate == pytest.approx(reference.satisfaction_rate)
    assert sql.awareness == pytest.approx(reference.awareness)
    assert [i.distribution for i in sql.items] == [i.distribution for i in reference.items]
    # and the index is item means first, then renormalised weights
    means = {i.item: i.mean or 0.0 for i in reference.items}
    expected = 0.5 * (means["q1"] + means["q2"]) / 2 + 0.3 * means["q3"] + 0.2 * means["q4"]
    assert reference.score == pytest.approx(expected)


def test_complete_answers_equal_the_per_respondent_mean_exactly() -> None:
    rng = random.Random(7)
    records = []
    per_respondent = []
    for respondent in range(60):
        stratum, weight = ("a", 2.0) if respondent < 20 else ("b", 3.0)
        scores = [rng.choice(LEVEL_SCORES) for _ in range(4)]
        records += [
            AnswerRecord(str(respondent), f"q{j + 1}", stratum, weight, s)
            for j, s in enumerate(scores)
        ]
        composite = 0.25 * scores[0] + 0.25 * scores[1] + 0.3 * scores[2] + 0.2 * scores[3]
        per_respondent.append((stratum, weight, composite))
    frames = [StratumFrame("a", 20, population=40), StratumFrame("b", 40, population=120)]
    index = unit_index_from_records("U", records, SPEC, frames)
    direct = mean_from_records(per_respondent, frames)
    assert index.estimate is not None
    assert index.score == pytest.approx(direct.mean)
    assert index.estimate.se == pytest.approx(direct.se)
    assert index.estimate.deff_design == pytest.approx(direct.deff_design)


def test_composite_se_agrees_with_a_jackknife() -> None:
    # One stratum, no FPC: the linearised and the delete-one jackknife variance of a smooth
    # statistic agree to O(1/n); with n ≈ 1900 the gap is about 0.03 %.
    records, _ = _survey(11, respondents=2400)
    records = [AnswerRecord(r.response_id, r.item, "all", r.weight, r.score) for r in records]
    index = unit_index_from_records("U", records, SPEC)
    by_respondent: dict[str, list[AnswerRecord]] = {}
    for r in records:
        by_respondent.setdefault(r.response_id, []).append(r)
    totals = {item: [0.0, 0.0] for item in SPEC.items}  # Σ w y, Σ w per item
    for r in records:
        if r.score is not None:
            totals[r.item][0] += r.weight * r.score
            totals[r.item][1] += r.weight

    def composite(drop: list[AnswerRecord]) -> float:
        t = {k: list(v) for k, v in totals.items()}
        for r in drop:
            if r.score is not None:
                t[r.item][0] -= r.weight * r.score
                t[r.item][1] -= r.weight
        m = {k: v[0] / v[1] for k, v in t.items()}
        return 0.25 * (m["q1"] + m["q2"]) + 0.3 * m["q3"] + 0.2 * m["q4"]

    replicates = [
        composite(rs) for rs in by_respondent.values() if any(r.score is not None for r in rs)
    ]
    n = len(replicates)
    jackknife = (n - 1) / n * sum((x - statistics.fmean(replicates)) ** 2 for x in replicates)
    assert index.estimate is not None and index.estimate.se is not None
    assert index.estimate.se**2 == pytest.approx(jackknife, rel=0.005)


def test_flags_suppressed_unit_has_no_published_score() -> None:
    records = [AnswerRecord(str(i), "q1", "h", 1.0, 80.0) for i in range(8)]
    index = unit_index_from_records("U", records, IndexSpec.by_item([("q1", 1.0)]))
    assert index.score is None and index.raw_score == 80.0
    assert index.has(Flag.SUPPRESSED) and not index.has(Flag.LOW_PRECISION)


def test_flags_low_precision_awareness_and_boundary() -> None:
    from analysis.scoring.flags import FlagThresholds
    from analysis.scoring.settings import ScoringSettings

    records = [AnswerRecord(str(i), "q1", "h", 1.0, LEVEL_SCORES[i % 3]) for i in range(20)]
    records += [AnswerRecord(f"x{i}", "q1", "h", 1.0, None) for i in range(25)]
    settings = ScoringSettings(thresholds=FlagThresholds(grade_cutoffs=(80.0,)))
    index = unit_index_from_records(
        "U", records, IndexSpec.by_item([("q1", 1.0)]), settings=settings
    )
    assert index.score is not None
    assert index.has(Flag.LOW_PRECISION)  # 20 < 30
    assert index.has(Flag.LOW_AWARENESS)  # 25 / 45 > 50 %
    assert index.has(Flag.BOUNDARY)  # mean 81 (7×100, 7×80, 6×60), MOE ≈ 7.7 > |81 − 80|
    assert index.awareness == pytest.approx(20 / 45)


def test_item_cells_reproduce_the_distribution_vector() -> None:
    # 40/30/15/10/5 answers with weight 1 → NBS 76.0 and 满意率 70 %
    cells = [
        ItemCell("q", "h", s, n, float(n), float(n))
        for s, n in zip(LEVEL_SCORES, (40, 30, 15, 10, 5), strict=True)
    ]
    cells.append(ItemCell("q", "h", None, 20, 20.0, 20.0))
    (item,) = item_estimates(cells)
    assert item.mean == pytest.approx(76.0)
    assert item.satisfaction_rate == pytest.approx(0.70)
    assert item.broad_satisfaction_rate == pytest.approx(0.85)
    assert item.awareness == pytest.approx(100 / 120)
    assert item.distribution[0] == ("非常满意", pytest.approx(0.4))
    # SE of a mean of iid answers with SD √774 (population) — matches the plain formula s/√n
    assert item.estimate is not None and item.estimate.se == pytest.approx(
        (774 * 100 / 99 / 100) ** 0.5
    )
