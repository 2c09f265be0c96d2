"""Indicator normalisation, nested composites with renormalisation, period weights (§A3.1–A3.3)."""

import pytest

from analysis.appraisal.adjustments import (
    AdjustmentItem,
    AdjustmentPolicy,
    AdjustmentRule,
    apply_adjustments,
    round_half_up,
)
from analysis.appraisal.components import (
    ComponentKind,
    ComponentSpec,
    ComponentValue,
    Method,
    Normalisation,
    evaluate,
    normalise,
)
from analysis.appraisal.errors import AppraisalError
from analysis.appraisal.periods import combine_periods, combined_moe

VALUES = {"A": 80.0, "B": 90.0, "C": 100.0}


def test_target_normalisation_caps_at_100() -> None:
    result = normalise({"A": 95.0, "B": 76.0, "C": 99.0}, Normalisation(Method.TARGET, target=95))
    assert result == pytest.approx({"A": 100.0, "B": 80.0, "C": 100.0})


def test_minmax_and_reverse() -> None:
    assert normalise(VALUES, Normalisation(Method.MINMAX)) == pytest.approx(
        {"A": 0, "B": 50, "C": 100}
    )
    reverse = normalise(VALUES, Normalisation(Method.MINMAX, lower_is_better=True))
    assert reverse == pytest.approx({"A": 100, "B": 50, "C": 0})
    assert normalise({"A": 5.0, "B": 5.0}, Normalisation(Method.MINMAX)) == {"A": 100.0, "B": 100.0}


def test_rank_normalisation_with_ties() -> None:
    result = normalise(
        {"A": 80.0, "B": 90.0, "C": 90.0, "D": 70.0, "E": 60.0}, Normalisation(Method.RANK)
    )
    # ranks B=C=1, A=3, D=4, E=5 of M=5 → 100·(5 − rank)/4
    assert result == pytest.approx({"B": 100, "C": 100, "A": 50, "D": 25, "E": 0})
    assert normalise({"A": 1.0}, Normalisation(Method.RANK)) == {"A": 100.0}


def _tree() -> ComponentSpec:
    satisfaction = ComponentSpec(
        "满意度",
        "满意度",
        0.4,
        ComponentKind.GROUP,
        parts=(
            ComponentSpec("企业评", "企业评", 0.6, ComponentKind.SATISFACTION, "企业评"),
            ComponentSpec("单位评", "单位评", 0.4, ComponentKind.SATISFACTION, "单位评"),
        ),
    )
    kpi = ComponentSpec("重点工作", "重点工作", 0.6, column="重点工作")
    return ComponentSpec("total", "总分", 1.0, ComponentKind.GROUP, parts=(satisfaction, kpi))


def test_nested_composite() -> None:
    leaves = {
        "企业评": ComponentValue("企业评", 90.0, moe=3.0),
        "单位评": ComponentValue("单位评", 80.0, moe=4.0),
        "重点工作": ComponentValue("重点工作", 95.0),
    }
    total = evaluate(_tree(), leaves)
    assert total.value == pytest.approx(0.4 * (0.6 * 90 + 0.4 * 80) + 0.6 * 95)
    satisfaction = total.find("满意度")
    assert satisfaction is not None and satisfaction.moe is not None
    assert satisfaction.moe == pytest.approx((1.8**2 + 1.6**2) ** 0.5)
    assert total.moe == pytest.approx(0.4 * satisfaction.moe)


def test_missing_part_keeps_its_weight_inside_the_group() -> None:
    leaves = {
        "单位评": ComponentValue("单位评", 80.0),
        "重点工作": ComponentValue("重点工作", 95.0),
    }
    total = evaluate(_tree(), leaves)
    assert total.value == pytest.approx(0.4 * 80 + 0.6 * 95)  # satisfaction still 40 %
    satisfaction = total.find("满意度")
    assert satisfaction is not None and satisfaction.missing == ("企业评",)
    assert satisfaction.weights == (("单位评", 1.0),)


def test_missing_group_renormalises_at_the_top() -> None:
    total = evaluate(_tree(), {"重点工作": ComponentValue("重点工作", 95.0)})
    assert total.value == pytest.approx(95.0) and total.missing == ("满意度",)
    assert total.moe is None


def test_quarterly_vector() -> None:
    assert combine_periods({"Q1": 88, "Q2": 90, "Q3": 92, "Q4": 94}).value == pytest.approx(92.0)
    without_q1 = combine_periods({"Q2": 90, "Q3": 92, "Q4": 94})
    assert without_q1.value == pytest.approx(83.2 / 0.9)
    assert round(without_q1.value or 0, 3) == 92.444
    assert without_q1.missing == ("Q1",)
    assert dict(without_q1.weights) == pytest.approx({"Q2": 2 / 9, "Q3": 3 / 9, "Q4": 4 / 9})


def test_combined_moe_of_independent_periods() -> None:
    used = combine_periods({"Q3": 90, "Q4": 92})
    assert combined_moe({"Q3": 3.0, "Q4": 4.0}, used) == pytest.approx(
        ((3 / 7 * 3) ** 2 + (4 / 7 * 4) ** 2) ** 0.5
    )
    assert combined_moe({}, used) is None


POLICY = AdjustmentPolicy(
    bonus=AdjustmentRule(
        (AdjustmentItem("加分", "创新", cap=3), AdjustmentItem("表彰", "表彰")), cap=5
    ),
    deduction=AdjustmentRule((AdjustmentItem("扣分", "扣分"),), cap=10),
)


def test_caps_per_item_and_in_total() -> None:
    result = apply_adjustments(90.0, {"加分": 4, "表彰": 3}, {"扣分": 12}, POLICY)
    assert result.bonus_items == 6 and result.bonus == 5  # 3 (item cap) + 3, total cap 5
    assert result.deduction == 10
    assert result.final == pytest.approx(85.0) and not result.clamped
    assert next((r.item, r.raw, r.applied, r.capped) for r in result.records) == (
        "创新",
        4,
        3,
        True,
    )


def test_clamp_and_rounding_last() -> None:
    result = apply_adjustments(98.0, {"加分": 3}, {}, POLICY)
    assert result.final == 100.0 and result.clamped
    rounded = apply_adjustments(92.4449999, {}, {}, POLICY)
    assert rounded.rounded == 92.44 and rounded.final == 92.4449999


def test_round_half_up_is_not_bankers() -> None:
    assert round_half_up(92.445, 2) == 92.45
    assert round_half_up(2.675, 2) == 2.68
    assert round_half_up(92.125, 2) == 92.13


def test_adjustment_errors() -> None:
    with pytest.raises(AppraisalError, match="不能为负数"):
        apply_adjustments(90.0, {"加分": -1}, {}, POLICY)
    with pytest.raises(AppraisalError, match="不在考核方案中"):
        apply_adjustments(90.0, {"奖励": 1}, {}, POLICY)
