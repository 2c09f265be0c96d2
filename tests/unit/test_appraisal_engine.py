"""The engine end to end: components, periods, adjustments, grades, review, warnings."""

from typing import Any

import pytest

from analysis.appraisal.engine import ScoreRow, run_appraisal
from analysis.appraisal.errors import AppraisalError
from analysis.appraisal.grading import GradeRule
from analysis.appraisal.scheme import Scheme, parse_scheme
from analysis.appraisal.warnings import Card
from analysis.scoring.flags import Flag

SCHEME: dict[str, Any] = {
    "name": "测试方案",
    "year": 2026,
    "bonus": {"cap": 2},
    "classes": [
        {
            "name": "职能部门",
            "components": [
                {
                    "key": "满意度",
                    "weight": 0.5,
                    "parts": [
                        {"key": "企业评", "kind": "satisfaction", "weight": 0.6},
                        {"key": "单位评", "kind": "satisfaction", "weight": 0.4},
                    ],
                },
                {
                    "key": "办结率",
                    "weight": 0.5,
                    "normalisation": {"method": "target", "target": 90},
                },
            ],
            "grading": {
                "grades": [
                    {"name": "优秀", "ratio": 1, "rounding": "floor", "min_score": 90},
                    {"name": "良好", "ratio": 2},
                    {"name": "一般", "ratio": 1},
                ],
                "secondary_keys": [{"key": "满意度"}],
            },
            "warnings": {
                "basis": "满意度",
                "yellow": {"below": 80},
                "red": {"consecutive_yellow": 2},
            },
        }
    ],
}


def _scheme() -> Scheme:
    return parse_scheme(SCHEME)


def _row(
    unit: str, period: str, enterprise: float | None, office: float, rate: float, **extra: Any
) -> ScoreRow:
    values = {"企业评": enterprise, "单位评": office, "办结率": rate}
    return ScoreRow(unit, "职能部门", period, values, **extra)


def test_year_score_from_components_periods_and_bonus() -> None:
    rows = [
        _row("甲", "Q1", 90, 80, 90),
        _row("甲", "Q2", 92, 85, 81, bonuses={"加分": 1.5}),
        _row("甲", "Q3", 94, 90, 99, bonuses={"加分": 1.5}),
        _row("甲", "Q4", 96, 95, 90),
    ]
    (unit,) = run_appraisal(rows, _scheme()).classes[0].units
    period_scores = {p.period: p.value for p in unit.periods}
    # Q2: 0.5·(0.6·92 + 0.4·85) + 0.5·(100·81/90) = 0.5·89.2 + 0.5·90 = 89.6
    assert period_scores["Q2"] == pytest.approx(89.6)
    q = {"Q1": 0.5 * 86 + 50, "Q2": 89.6, "Q3": 0.5 * 92.4 + 50, "Q4": 0.5 * 95.6 + 50}
    base = 0.1 * q["Q1"] + 0.2 * q["Q2"] + 0.3 * q["Q3"] + 0.4 * q["Q4"]
    assert unit.period_weights.value == pytest.approx(base)
    assert unit.adjusted is not None and unit.adjusted.bonus == 2.0  # 3 across periods, cap 2
    assert unit.score == round(base + 2, 2)
    assert dict(unit.component_values)["办结率"] == pytest.approx(
        0.1 * 100 + 0.2 * 90 + 0.3 * 100 + 0.4 * 100
    )


def test_suppressed_input_is_left_out_and_missing_period_renormalises() -> None:
    rows = [
        _row("甲", "Q2", 99, 80, 90, flags={"企业评": frozenset({Flag.SUPPRESSED})}),
        _row("甲", "Q3", 90, 90, 90),
    ]
    (unit,) = run_appraisal(rows, _scheme()).classes[0].units
    q2 = unit.periods[0]
    assert q2.suppressed_parts == ("企业评",)
    assert q2.value == pytest.approx(0.5 * 80 + 0.5 * 100)
    assert dict(unit.period_weights.weights) == pytest.approx({"Q2": 0.4, "Q3": 0.6})
    assert unit.period_weights.missing == ("Q1", "Q4")


def _class_of_four(
    flags: dict[str, frozenset[Flag]] | None = None, moe: dict[str, float] | None = None
) -> list[ScoreRow]:
    return [
        _row("甲", "Q4", 98, 98, 90),
        _row("乙", "Q4", 90, 90, 90),
        _row("丙", "Q4", 85, 85, 90),
        _row("丁", "Q4", 70, 70, 90, flags=flags or {}, moe=moe or {}),
    ]


def test_grades_and_needs_review_for_low_precision_in_the_lowest_grade() -> None:
    result = run_appraisal(
        _class_of_four({"企业评": frozenset({Flag.LOW_PRECISION})}), _scheme()
    ).classes[0]
    grades = {u.unit: u.grade for u in result.units}
    assert grades == {"甲": "优秀", "乙": "良好", "丙": "良好", "丁": "一般"}
    lowest = next(u for u in result.units if u.unit == "丁")
    assert lowest.needs_review and "精度不足" in lowest.review_reasons[0]
    assert not any(u.needs_review for u in result.units if u.unit != "丁")
    assert [u.unit for u in result.units] == ["甲", "乙", "丙", "丁"]


def test_boundary_from_propagated_moe() -> None:
    scheme = _scheme()
    rows = _class_of_four()
    rows[1] = _row(
        "乙", "Q4", 80, 80, 90, moe={"企业评": 20.0}
    )  # 0.5·80 + 50 = 90; MOE 0.5·0.6·20 = 6
    result = run_appraisal(rows, scheme).classes[0]
    second = next(u for u in result.units if u.unit == "乙")
    assert second.moe == pytest.approx(6.0)
    assert Flag.BOUNDARY in second.flags  # |90 − 90| < 6


def test_veto_and_secondary_key_on_rounded_ties() -> None:
    rows = [
        _row("甲", "Q4", 98, 98, 90, veto=True),
        _row("乙", "Q4", 85, 85, 90),  # 0.5·85 + 0.5·100 = 92.5
        _row("戊", "Q4", 87, 87, 88.2),  # 0.5·87 + 0.5·98 = 92.5 after rounding, better 满意度
        _row("丙", "Q4", 80, 80, 90),
        _row("丁", "Q4", 70, 70, 90),
    ]
    result = run_appraisal(rows, _scheme()).classes[0]
    by_unit = {u.unit: u for u in result.units}
    assert by_unit["甲"].grade == "一般" and by_unit["甲"].assignment.rule is GradeRule.VETO
    assert not by_unit["甲"].needs_review
    assert by_unit["乙"].score == by_unit["戊"].score == 92.5
    assert by_unit["戊"].grade == "优秀" and by_unit["乙"].grade == "良好"
    assert by_unit["戊"].assignment.rule is GradeRule.SECONDARY_KEY
    assert result.grading.decisions[0].units == ("戊", "乙")
    assert [q.quota for q in result.grading.quotas] == [1, 3, 1]  # M = 5 with the vetoed unit


def test_warnings_use_the_basis_component() -> None:
    rows = [
        _row("甲", "Q1", 70, 80, 90),  # satisfaction 74 < 80
        _row("甲", "Q2", 75, 80, 90),  # 77 < 80 again: red
        _row("乙", "Q1", 90, 90, 90),
        _row("乙", "Q2", 60, 60, 90, flags={"企业评": frozenset({Flag.SUPPRESSED})}),
    ]
    cards = {(w.unit, w.period): w for w in run_appraisal(rows, _scheme()).classes[0].warnings}
    assert cards[("甲", "Q1")].card is Card.YELLOW
    assert cards[("甲", "Q2")].card is Card.RED
    assert cards[("乙", "Q2")].card is None and "不发布" in cards[("乙", "Q2")].note


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (ScoreRow("甲", "街道", "Q1", {}, source="第 2 行"), "第 2 行：类别「街道」不在考核方案中"),
        (ScoreRow("甲", "职能部门", "Q5", {}), "期间「Q5」不在考核方案中"),
        (_row("甲", "Q1", 101, 90, 90), "「企业评」应在 0–100 之间"),
        (_row("甲", "Q1", 90, 90, 90, moe={"企业评": -1.0}), "误差范围不能为负数"),
    ],
)
def test_row_errors(row: ScoreRow, message: str) -> None:
    with pytest.raises(AppraisalError, match=message):
        run_appraisal([row], _scheme())


def test_duplicate_unit_period_and_class_conflict() -> None:
    first = _row("甲", "Q1", 90, 90, 90)
    with pytest.raises(AppraisalError, match="重复出现"):
        run_appraisal([first, first], _scheme())
    data = dict(SCHEME)
    data["classes"] = [*SCHEME["classes"], {**SCHEME["classes"][0], "name": "街道"}]
    other = ScoreRow("甲", "街道", "Q2", {"企业评": 90, "单位评": 90, "办结率": 90})
    with pytest.raises(AppraisalError, match="同时属于"):
        run_appraisal([first, other], parse_scheme(data))
