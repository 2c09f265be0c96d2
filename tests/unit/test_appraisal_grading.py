"""Forced distribution and thresholds against §A3.4, plus property tests."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.appraisal.components import competition_ranks
from analysis.appraisal.errors import SchemeError
from analysis.appraisal.grading import (
    Candidate,
    ClassGrading,
    GradeRule,
    GradeSpec,
    GradingMethod,
    GradingSpec,
    QuotaRounding,
    SortKey,
    TieRule,
    forced_quotas,
    grade_class,
)

LR, FLOOR, CEIL = QuotaRounding.LARGEST_REMAINDER, QuotaRounding.FLOOR, QuotaRounding.CEIL
SCORES_17 = [
    95.2,
    94.8,
    93.1,
    92.7,
    92.0,
    92.0,
    91.5,
    90.8,
    90.1,
    89.9,
    89.0,
    88.7,
    88.2,
    87.5,
    86.0,
    85.1,
    85.1,
]


def _spec(
    top_tie: TieRule = TieRule.INCLUDE, keys: tuple[SortKey, ...] = (), **top: object
) -> GradingSpec:
    return GradingSpec(
        GradingMethod.FORCED,
        (GradeSpec("优秀", 3, tie=top_tie, **top), GradeSpec("良好", 6), GradeSpec("一般", 1)),  # type: ignore[arg-type]
        keys,
    )


def _candidates(
    scores: list[float], keys: list[tuple[float | None, ...]] | None = None
) -> list[Candidate]:
    return [Candidate(f"U{i + 1:02d}", s, keys[i] if keys else ()) for i, s in enumerate(scores)]


def _counts(grading: ClassGrading) -> tuple[int, int, int]:
    return grading.count("优秀"), grading.count("良好"), grading.count("一般")


@pytest.mark.parametrize(
    ("m", "largest_remainder", "floor_top_ceil_bottom"),
    [
        (10, (3, 6, 1), (3, 6, 1)),
        (17, (5, 10, 2), (5, 10, 2)),
        (21, (6, 13, 2), (6, 12, 3)),
        (38, (11, 23, 4), (11, 23, 4)),
    ],
)
def test_quota_table(
    m: int, largest_remainder: tuple[int, ...], floor_top_ceil_bottom: tuple[int, ...]
) -> None:
    plain = forced_quotas(m, [GradeSpec("a", 3), GradeSpec("b", 6), GradeSpec("c", 1)])
    assert tuple(q.quota for q in plain) == largest_remainder
    assert [q.raw for q in plain] == pytest.approx([m * 0.3, m * 0.6, m * 0.1])
    policy = forced_quotas(
        m, [GradeSpec("a", 3, FLOOR), GradeSpec("b", 6), GradeSpec("c", 1, CEIL)]
    )
    assert tuple(q.quota for q in policy) == floor_top_ceil_bottom


def test_ratios_as_fractions_do_not_drift() -> None:
    # 0.3 · 10 is 3.0000000000000004 in floats; exact arithmetic keeps FLOOR at 3
    quotas = forced_quotas(
        10, [GradeSpec("a", 0.3, FLOOR), GradeSpec("b", 0.6), GradeSpec("c", 0.1, CEIL)]
    )
    assert [q.quota for q in quotas] == [3, 6, 1]


def test_competition_ranks_of_the_vector() -> None:
    ranks = competition_ranks({f"U{i}": s for i, s in enumerate(SCORES_17)})
    assert list(ranks.values()) == [1, 2, 3, 4, 5, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16]


def test_tie_at_the_top_boundary_exclude() -> None:
    grading = grade_class(_candidates(SCORES_17), _spec(TieRule.EXCLUDE))
    assert [q.quota for q in grading.quotas] == [5, 10, 2]
    assert _counts(grading) == (4, 11, 2)
    top = grading.decisions[0]
    assert top.rule is GradeRule.TIE_EXCLUDE and top.units == ("U05", "U06") and top.filled == 4
    assert "整组不进入" in top.detail
    by_unit = {a.unit: a for a in grading.assignments}
    assert by_unit["U05"].grade == "良好" and by_unit["U05"].rule is GradeRule.TIE_EXCLUDE
    assert by_unit["U05"].rank == by_unit["U06"].rank == 5
    assert {by_unit["U16"].grade, by_unit["U17"].grade} == {"一般"}


def test_tie_at_the_top_boundary_include() -> None:
    grading = grade_class(_candidates(SCORES_17), _spec(TieRule.INCLUDE))
    assert _counts(grading) == (6, 9, 2)
    assert grading.decisions[0].rule is GradeRule.TIE_INCLUDE
    assert "上一等次顺延 -1" in grading.decisions[1].detail


def test_secondary_key_resolves_the_tie() -> None:
    keys: list[tuple[float | None, ...]] = [(80.0,)] * 17
    keys[4], keys[5] = (85.0,), (90.0,)  # U06 has the better key-task score
    spec = _spec(TieRule.EXCLUDE, (SortKey("重点工作", "重点工作"),))
    grading = grade_class(_candidates(SCORES_17, keys), spec)
    assert _counts(grading) == (5, 10, 2)
    decision = grading.decisions[0]
    assert decision.rule is GradeRule.SECONDARY_KEY and "重点工作" in decision.detail
    by_unit = {a.unit: a for a in grading.assignments}
    assert by_unit["U06"].grade == "优秀" and by_unit["U05"].grade == "良好"


def test_ascending_key_and_missing_values_sort_last() -> None:
    spec = _spec(TieRule.EXCLUDE, (SortKey("deduction", "扣分", descending=False),))
    keys: list[tuple[float | None, ...]] = [(0.0,)] * 17
    keys[4], keys[5] = (None,), (2.0,)
    grading = grade_class(_candidates(SCORES_17, keys), spec)
    assert {a.unit: a.grade for a in grading.assignments}["U06"] == "优秀"


def test_top_gate_carries_places_down_and_floor_gate() -> None:
    spec = GradingSpec(
        GradingMethod.FORCED,
        (
            GradeSpec("优秀", 3, min_score=90),
            GradeSpec("良好", 6, min_score=60),
            GradeSpec("一般", 1),
        ),
    )
    scores = [91.0, 89.0, 88.0, 87.0, 86.0, 85.0, 84.0, 83.0, 59.0, 58.0]
    grading = grade_class(_candidates(scores), spec)
    assert _counts(grading) == (1, 7, 2)
    assert (
        grading.decisions[0].rule is GradeRule.GATE and "空余 2 个" in grading.decisions[0].detail
    )
    by_unit = {a.unit: a for a in grading.assignments}
    assert by_unit["U09"].rule is GradeRule.GATE and "60" in by_unit["U09"].detail


@pytest.mark.parametrize(("in_quota", "expected"), [(True, (3, 6, 1)), (False, (3, 5, 2))])
def test_veto_goes_to_lowest_and_counts_per_setting(
    in_quota: bool, expected: tuple[int, int, int]
) -> None:
    # in quota: M = 10 → 3/6/1 and the vetoed unit fills the 一般 place;
    # not in quota: M = 9 → 2.7/5.4/0.9 → 3/5/1, plus the vetoed unit in 一般
    candidates = _candidates([99.0, 98.0, 97.0, 96.0, 95.0, 94.0, 93.0, 92.0, 91.0, 90.0])
    candidates[0] = Candidate("U01", 99.0, (), veto=True)
    spec = GradingSpec(GradingMethod.FORCED, _spec().grades, veto_in_quota=in_quota)
    grading = grade_class(candidates, spec)
    assert grading.size == (10 if in_quota else 9)
    assert _counts(grading) == expected
    assert grading.assignments[0].grade == "一般" and grading.assignments[0].rule is GradeRule.VETO


def test_thresholds_method() -> None:
    spec = GradingSpec(
        GradingMethod.THRESHOLDS,
        (GradeSpec("优秀", min_score=90), GradeSpec("合格", min_score=60), GradeSpec("不合格")),
    )
    grading = grade_class(_candidates([95.0, 90.0, 89.99, 60.0, 59.99]), spec)
    assert [a.grade for a in grading.assignments] == ["优秀", "优秀", "合格", "合格", "不合格"]
    assert all(a.rule is GradeRule.THRESHOLD for a in grading.assignments)
    assert "低于合格分数线 60" in grading.assignments[-1].detail


def test_unit_without_score_is_not_graded() -> None:
    grading = grade_class([Candidate("A", None), *_candidates([90.0, 80.0])], _spec())
    assert (
        grading.assignments[0].grade is None and grading.assignments[0].rule is GradeRule.NO_SCORE
    )
    assert grading.size == 2


@pytest.mark.parametrize(
    ("grades", "method", "message"),
    [
        ((GradeSpec("优秀", 1),), GradingMethod.FORCED, "至少需要两个等次"),
        ((GradeSpec("A", 1, FLOOR), GradeSpec("B", 1, CEIL)), GradingMethod.FORCED, "最大余数法"),
        ((GradeSpec("A", None), GradeSpec("B", 1)), GradingMethod.FORCED, "正的比例"),
        (
            (GradeSpec("A", min_score=60), GradeSpec("B", min_score=90), GradeSpec("C")),
            GradingMethod.THRESHOLDS,
            "递减",
        ),
        ((GradeSpec("A"), GradeSpec("B")), GradingMethod.THRESHOLDS, "必须设最低分"),
        ((GradeSpec("A", 1), GradeSpec("A", 1)), GradingMethod.FORCED, "不能重复"),
    ],
)
def test_spec_validation(
    grades: tuple[GradeSpec, ...], method: GradingMethod, message: str
) -> None:
    with pytest.raises(SchemeError, match=message):
        GradingSpec(method, grades)


roundings = st.sampled_from([LR, FLOOR, CEIL])
grade_lists = st.lists(
    st.tuples(st.integers(1, 9), roundings, st.sampled_from(list(TieRule))), min_size=2, max_size=5
).filter(lambda gs: any(r is LR for _, r, _ in gs))


@given(st.integers(0, 60), grade_lists)
def test_quotas_always_sum_to_m(m: int, grades: list[tuple[int, QuotaRounding, TieRule]]) -> None:
    quotas = forced_quotas(
        m, [GradeSpec(f"g{i}", r, rounding) for i, (r, rounding, _) in enumerate(grades)]
    )
    assert sum(q.quota for q in quotas) == m
    assert all(q.quota >= 0 for q in quotas)


@given(
    st.lists(
        st.tuples(st.sampled_from([70.0, 80.0, 85.0, 90.0, 95.0]), st.booleans()), max_size=40
    ),
    grade_lists,
    st.booleans(),
)
def test_every_unit_gets_exactly_one_grade(
    units: list[tuple[float, bool]],
    grades: list[tuple[int, QuotaRounding, TieRule]],
    veto_in_quota: bool,
) -> None:
    specs = tuple(
        GradeSpec(f"g{i}", r, rounding, tie) for i, (r, rounding, tie) in enumerate(grades)
    )
    spec = GradingSpec(GradingMethod.FORCED, specs, veto_in_quota=veto_in_quota)
    candidates = [
        Candidate(f"u{i}", score, (), veto=veto and i % 7 == 0)
        for i, (score, veto) in enumerate(units)
    ]
    grading = grade_class(candidates, spec)
    assert [a.unit for a in grading.assignments] == [c.unit for c in candidates]
    assert sum(grading.count(g.name) for g in specs) == len(candidates)
    assert sum(q.quota for q in grading.quotas) == grading.size
    # grades are monotone in score among units that were not vetoed
    order = {g.name: i for i, g in enumerate(specs)}
    graded = sorted(
        (c.score, order[a.grade])
        for c, a in zip(candidates, grading.assignments, strict=True)
        if not c.veto and a.grade
    )
    assert all(later[1] <= earlier[1] for earlier, later in itertools.pairwise(graded))


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=40, unique=True))
def test_without_ties_or_gates_counts_equal_quotas(scores: list[float]) -> None:
    grading = grade_class(_candidates(scores), _spec())
    assert tuple(q.quota for q in grading.quotas) == _counts(grading)
