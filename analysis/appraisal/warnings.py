"""Red and yellow card warnings (亮牌预警) per period (§A3.5), with configurable rules.

Yellow (any): score below T_yellow; bottom-k in the class; drop of more than Δ since the
previous period. Red (any): score below T_red (and the same kinds of rules if configured);
yellow in n consecutive periods; a veto event in the period.

A score rule never fires on a SUPPRESSED score. On a LOW_PRECISION score it fires only when the
whole confidence interval is beyond the line: it is evaluated at the favourable end of the CI
(score + MOE now, previous score − its MOE for a drop); without a MOE it does not fire and the
card says why. A veto is an event, not a score, so it fires regardless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Card(StrEnum):
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return "黄牌" if self is Card.YELLOW else "红牌"


@dataclass(frozen=True)
class CardRule:
    below: float | None = None  # score below this
    bottom_k: int | None = None  # among the k lowest of the class (competition rank)
    drop: float | None = None  # fell by more than this since the previous period
    consecutive_yellow: int | None = None  # red only: yellow in this many periods in a row
    on_veto: bool = False  # red only: a veto event in the period

    def describe(self, card: Card) -> str:
        parts = []
        if self.below is not None:
            parts.append(f"得分低于 {self.below:g}")
        if self.bottom_k is not None:
            parts.append(f"本类别倒数 {self.bottom_k} 名")
        if self.drop is not None:
            parts.append(f"较上期下降超过 {self.drop:g} 分")
        if self.consecutive_yellow is not None:
            parts.append(f"连续 {self.consecutive_yellow} 期黄牌")
        if self.on_veto:
            parts.append("发生一票否决事项")
        return f"{card.label}：" + ("、".join(parts) + "（任一）" if parts else "不启用")


@dataclass(frozen=True)
class WarningRules:
    enabled: bool = True
    basis: str = "total"  # "total" = period score before bonus/deduction, or a component key
    basis_label: str = "期间得分"
    yellow: CardRule = field(default_factory=lambda: CardRule(below=85.0, drop=5.0))
    red: CardRule = field(default_factory=lambda: CardRule(consecutive_yellow=2, on_veto=True))

    @property
    def score_name(self) -> str:
        """What a reason calls the score it quotes. The period score is before 加减分, which
        differs from the year's 考核得分 shown beside the card, so the name says so."""
        if self.basis == "total":
            return "期间得分（未计加减分）"
        return self.basis_label if self.basis_label.endswith("得分") else f"{self.basis_label}得分"

    def describe(self) -> str:
        if not self.enabled:
            return "预警：不启用。"
        return (
            f"预警（依据{self.score_name}，每期评估）：{self.yellow.describe(Card.YELLOW)}；"
            f"{self.red.describe(Card.RED)}。得分不发布时不按得分亮牌；精度不足时仅当整个"
            "置信区间越过界线才亮牌。"
        )


@dataclass(frozen=True)
class Observation:
    unit: str
    period: str
    score: float | None
    moe: float | None = None
    suppressed: bool = False
    low_precision: bool = False
    veto: bool = False


@dataclass(frozen=True)
class WarningCard:
    unit: str
    period: str
    card: Card | None
    reasons: tuple[str, ...]  # every rule that fired, Chinese
    note: str = ""  # why score rules were not (fully) applied


def evaluate_warnings(
    observations: Sequence[Observation], periods: Sequence[str], rules: WarningRules
) -> tuple[WarningCard, ...]:
    """Cards for one class, period by period in scheme order, one per unit observed."""
    if not rules.enabled:
        return ()
    by_period = {p: {o.unit: o for o in observations if o.period == p} for p in periods}
    streak: dict[str, int] = {}
    cards: list[WarningCard] = []
    for index, period in enumerate(periods):
        current = by_period[period]
        previous = by_period[periods[index - 1]] if index else {}
        scored = {
            u: o.score for u, o in current.items() if o.score is not None and not o.suppressed
        }
        next_streak = {}
        for unit in sorted(current):
            card, yellow = _card(
                current[unit], previous.get(unit), scored, rules, streak.get(unit, 0)
            )
            next_streak[unit] = streak.get(unit, 0) + 1 if yellow else 0
            cards.append(card)
        streak = next_streak
    return tuple(cards)


def _card(
    obs: Observation,
    prev: Observation | None,
    scored: Mapping[str, float],
    rules: WarningRules,
    yellow_streak: int,
) -> tuple[WarningCard, bool]:
    """The card for one observation, and whether the yellow rules fired (for streaks)."""
    red: list[str] = []
    yellow: list[str] = []
    note = ""
    if obs.veto and rules.red.on_veto:
        red.append("本期发生一票否决事项")
    if obs.score is None or obs.suppressed:
        note = "本期得分不发布（样本不足），不按得分亮牌"
    elif obs.low_precision and obs.moe is None:
        note = "本期得分精度不足且缺少误差范围，不按得分亮牌，需人工复核"
    else:
        if obs.low_precision:
            note = "得分精度不足：仅当整个置信区间越过界线时亮牌"
        yellow = _score_reasons(obs, prev, scored, rules.yellow, "黄牌", rules.score_name)
        red += _score_reasons(obs, prev, scored, rules.red, "红牌", rules.score_name)
        n = rules.red.consecutive_yellow
        if n is not None and yellow and yellow_streak + 1 >= n:
            red.append(f"连续 {n} 期触发黄牌")
    card = Card.RED if red else Card.YELLOW if yellow else None
    return WarningCard(obs.unit, obs.period, card, tuple(red + yellow), note), bool(yellow)


def _score_reasons(
    obs: Observation,
    prev: Observation | None,
    scored: Mapping[str, float],
    rule: CardRule,
    name: str,
    score_name: str,
) -> list[str]:
    score = obs.score if obs.score is not None else 0.0
    # the favourable end of the CI for a LOW_PRECISION score, the point otherwise
    best = score + (obs.moe or 0.0) if obs.low_precision else score
    shown = f"{score:.2f}" + (f"（区间上限 {best:.2f}）" if best != score else "")
    reasons = []
    if rule.below is not None and best < rule.below:
        reasons.append(f"{score_name} {shown} 低于{name}线 {rule.below:g}")
    if rule.bottom_k is not None and len(scored) > rule.bottom_k:
        # competition rank from the bottom, taking this unit at its favourable score
        rank = 1 + sum(1 for unit, other in scored.items() if unit != obs.unit and other < best)
        if rank <= rule.bottom_k:
            reasons.append(
                f"{score_name} {shown} 在本类别倒数 {rule.bottom_k} 名内（共 {len(scored)} 个单位）"
            )
    prev_worst = _unfavourable_end(prev)
    if rule.drop is not None and prev is not None and prev_worst is not None:
        prev_score = prev.score or 0.0  # not None: prev_worst exists
        if prev_worst - best > rule.drop:
            reasons.append(
                f"{score_name}较上期（{prev.period} {prev_score:.2f}）下降 {prev_score - score:.2f} 分，"
                f"超过 {rule.drop:g} 分"
            )
    return reasons


def _unfavourable_end(obs: Observation | None) -> float | None:
    """A previous score as used for a drop: the low end of its CI if LOW_PRECISION."""
    if obs is None or obs.score is None or obs.suppressed:
        return None
    if not obs.low_precision:
        return obs.score
    return obs.score - obs.moe if obs.moe is not None else None
