"""Bonus and deduction items with caps, clamping and the final rounding step (§A3.3).

    S_final = clamp(S_base + min(Σ bonus, B_max) − min(Σ deduction, D_max), lo, hi)

Each item may have its own cap as well. Rounding (half up, to the configured decimals) is the
last step; the unrounded value is kept because ties in grading depend on the rounded one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from analysis.appraisal.errors import AppraisalError


@dataclass(frozen=True)
class AdjustmentItem:
    column: str
    label: str
    cap: float | None = None


@dataclass(frozen=True)
class AdjustmentRule:
    items: tuple[AdjustmentItem, ...]
    cap: float | None = None  # cap on the sum over items

    def describe(self, name: str) -> str:
        items = "、".join(
            item.label + (f"（单项上限 {item.cap:g} 分）" if item.cap is not None else "")
            for item in self.items
        )
        cap = f"合计上限 {self.cap:g} 分" if self.cap is not None else "合计不设上限"
        return f"{name}：{items}；{cap}"


@dataclass(frozen=True)
class AdjustmentPolicy:
    bonus: AdjustmentRule = field(
        default_factory=lambda: AdjustmentRule((AdjustmentItem("加分", "加分"),))
    )
    deduction: AdjustmentRule = field(
        default_factory=lambda: AdjustmentRule((AdjustmentItem("扣分", "扣分"),))
    )
    lower: float | None = 0.0
    upper: float | None = 100.0
    decimals: int = 2

    def describe(self) -> str:
        low = "不设下限" if self.lower is None else f"{self.lower:g}"
        high = "不设上限" if self.upper is None else f"{self.upper:g}"
        return (
            f"{self.bonus.describe('加分')}。{self.deduction.describe('扣分')}。"
            f"最终得分限定在 {low}–{high}，最后一步四舍五入保留 {self.decimals} 位小数。"
        )


@dataclass(frozen=True)
class AdjustmentRecord:
    kind: str  # 加分 or 扣分
    item: str
    raw: float
    applied: float  # after the item's own cap

    @property
    def capped(self) -> bool:
        return self.applied < self.raw


@dataclass(frozen=True)
class AdjustedScore:
    base: float
    bonus_items: float  # Σ item-capped bonuses
    bonus: float  # after the total cap
    deduction_items: float
    deduction: float
    records: tuple[AdjustmentRecord, ...]
    clamped: bool
    final: float  # unrounded
    rounded: float


def round_half_up(value: float, decimals: int) -> float:
    """Decimal rounding as a person does it on paper (92.445 → 92.45), not banker's rounding."""
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def apply_adjustments(
    base: float,
    bonuses: Mapping[str, float],
    deductions: Mapping[str, float],
    policy: AdjustmentPolicy,
) -> AdjustedScore:
    """Apply capped bonus and deduction items (by column) to a base score, clamp, round."""
    bonus_records = _records("加分", policy.bonus, bonuses)
    deduction_records = _records("扣分", policy.deduction, deductions)
    bonus_items = sum(r.applied for r in bonus_records)
    deduction_items = sum(r.applied for r in deduction_records)
    bonus = _capped(bonus_items, policy.bonus.cap)
    deduction = _capped(deduction_items, policy.deduction.cap)
    unclamped = base + bonus - deduction
    final = unclamped
    if policy.lower is not None:
        final = max(policy.lower, final)
    if policy.upper is not None:
        final = min(policy.upper, final)
    return AdjustedScore(
        base=base,
        bonus_items=bonus_items,
        bonus=bonus,
        deduction_items=deduction_items,
        deduction=deduction,
        records=bonus_records + deduction_records,
        clamped=final != unclamped,
        final=final,
        rounded=round_half_up(final, policy.decimals),
    )


def _records(
    kind: str, rule: AdjustmentRule, values: Mapping[str, float]
) -> tuple[AdjustmentRecord, ...]:
    unknown = sorted(set(values) - {item.column for item in rule.items})
    if unknown:
        raise AppraisalError(f"{kind}项「{'、'.join(unknown)}」不在考核方案中")
    records = []
    for item in rule.items:
        raw = values.get(item.column, 0.0)
        if raw < 0:
            raise AppraisalError(f"{kind}项「{item.label}」不能为负数：{raw:g}")
        if raw:
            records.append(AdjustmentRecord(kind, item.label, raw, _capped(raw, item.cap)))
    return tuple(records)


def _capped(value: float, cap: float | None) -> float:
    return value if cap is None else min(value, cap)
