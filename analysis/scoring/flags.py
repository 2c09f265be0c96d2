"""Unit-level flags for satisfaction scores (§A2.6) and their configurable thresholds.

The thresholds are design recommendations, not a standard, so they are settings and
`FlagThresholds.describe()` prints them in Chinese for every report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from analysis.scoring.errors import ScoringError


class Flag(StrEnum):
    SUPPRESSED = "SUPPRESSED"
    LOW_PRECISION = "LOW_PRECISION"
    LOW_RESPONSE = "LOW_RESPONSE"
    HIGH_DEFF = "HIGH_DEFF"
    LOW_AWARENESS = "LOW_AWARENESS"
    BOUNDARY = "BOUNDARY"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Flag.SUPPRESSED: "样本不足不发布",
    Flag.LOW_PRECISION: "精度不足",
    Flag.LOW_RESPONSE: "回收率低",
    Flag.HIGH_DEFF: "权重设计效应高",
    Flag.LOW_AWARENESS: "知晓率低",
    Flag.BOUNDARY: "边界待复核",
}


def parse_flag(text: str) -> Flag:
    """A flag from its code (LOW_PRECISION) or its Chinese label (精度不足)."""
    cleaned = text.strip()
    for flag in Flag:
        if cleaned.upper() == flag.value or cleaned == flag.label:
            return flag
    known = "、".join(f"{flag.value}（{flag.label}）" for flag in Flag)
    raise ScoringError(f"无法识别的标记「{cleaned}」，可用：{known}")


@dataclass(frozen=True)
class FlagReason:
    flag: Flag
    detail: str  # Chinese: which threshold was crossed, with the numbers


@dataclass(frozen=True)
class FlagThresholds:
    min_respondents: int = 10  # SUPPRESSED below this valid n
    min_item_answers: int = 5  # an item enters the index only with this many valid answers
    precise_respondents: int = 30  # LOW_PRECISION below this valid n …
    max_moe: float = 5.0  # … or above this margin of error
    min_response_rate: float = 0.5  # LOW_RESPONSE below this response rate …
    max_response_rate_gap: float = 0.3  # … or when strata rates differ by more (design choice)
    # Only strata with this many invitations take part in the gap: in a stratum of two, one
    # refusal is a 50-point swing that says nothing about non-response bias.
    gap_min_invited: int = 10
    max_deff: float = 2.0  # HIGH_DEFF above this Kish weighting design effect
    max_unaware_share: float = 0.5  # LOW_AWARENESS above this share of 不了解
    grade_cutoffs: tuple[float, ...] = ()  # BOUNDARY when |score − cut-off| < MOE

    def describe(self) -> str:
        cutoffs = "、".join(f"{c:g}" for c in self.grade_cutoffs) or "未设置"
        return "\n".join(
            [
                f"样本不足不发布：有效样本少于 {self.min_respondents} 人，"
                f"或没有任何题目达到 {self.min_item_answers} 个有效回答；",
                f"题目入选：有效回答不少于 {self.min_item_answers} 个的题目才计入指数，"
                "其余题目的权重按比例分给其他题目；",
                f"精度不足：有效样本少于 {self.precise_respondents} 人，"
                f"或误差范围超过 ±{self.max_moe:g} 分；",
                f"回收率低：回收率低于 {self.min_response_rate:.0%}，"
                f"或各层（邀请不少于 {self.gap_min_invited} 个的层）回收率相差超过 "
                f"{self.max_response_rate_gap * 100:g} 个百分点；",
                f"权重设计效应高：Kish 设计效应大于 {self.max_deff:g}；",
                f"知晓率低：「不了解」占比超过 {self.max_unaware_share:.0%}；",
                f"边界待复核：得分与等级分界线（{cutoffs}）之差小于误差范围。",
            ]
        )


def unit_flags(
    *,
    n_respondents: int,
    eligible_items: int,
    score: float | None,
    moe: float | None,
    response_rate: float | None,
    stratum_response_rates: Sequence[float],
    deff_kish: float | None,
    awareness: float | None,
    thresholds: FlagThresholds,
) -> tuple[FlagReason, ...]:
    """All flags that apply to one unit's index, each with the numbers that triggered it."""
    t = thresholds
    reasons: list[FlagReason] = []
    suppressed = n_respondents < t.min_respondents or eligible_items == 0
    if n_respondents < t.min_respondents:
        reasons.append(
            FlagReason(Flag.SUPPRESSED, f"有效样本 {n_respondents} 人，少于 {t.min_respondents} 人")
        )
    elif eligible_items == 0:
        reasons.append(
            FlagReason(Flag.SUPPRESSED, f"没有任何题目达到 {t.min_item_answers} 个有效回答")
        )
    if not suppressed:
        if n_respondents < t.precise_respondents:
            reasons.append(
                FlagReason(
                    Flag.LOW_PRECISION,
                    f"有效样本 {n_respondents} 人，少于 {t.precise_respondents} 人",
                )
            )
        elif moe is None:
            reasons.append(FlagReason(Flag.LOW_PRECISION, "自由度不足，无法计算误差范围"))
        elif moe > t.max_moe:
            reasons.append(
                FlagReason(Flag.LOW_PRECISION, f"误差范围 ±{moe:.2f}，超过 ±{t.max_moe:g}")
            )
    if response_rate is not None and response_rate < t.min_response_rate:
        reasons.append(
            FlagReason(
                Flag.LOW_RESPONSE, f"回收率 {response_rate:.1%}，低于 {t.min_response_rate:.0%}"
            )
        )
    elif stratum_response_rates:
        gap = max(stratum_response_rates) - min(stratum_response_rates)
        if gap > t.max_response_rate_gap:
            limit = t.max_response_rate_gap * 100
            reasons.append(
                FlagReason(
                    Flag.LOW_RESPONSE, f"各层回收率相差 {gap * 100:.1f} 个百分点，超过 {limit:g}"
                )
            )
    if deff_kish is not None and deff_kish > t.max_deff:
        reasons.append(
            FlagReason(Flag.HIGH_DEFF, f"Kish 设计效应 {deff_kish:.2f}，大于 {t.max_deff:g}")
        )
    if awareness is not None and 1 - awareness > t.max_unaware_share:
        reasons.append(
            FlagReason(
                Flag.LOW_AWARENESS,
                f"「不了解」占比 {1 - awareness:.1%}，超过 {t.max_unaware_share:.0%}",
            )
        )
    if not suppressed and score is not None and moe is not None:
        near = [c for c in t.grade_cutoffs if abs(score - c) < moe]
        if near:
            reasons.append(
                FlagReason(
                    Flag.BOUNDARY,
                    f"得分 {score:.2f} 距分界线 {near[0]:g} 不足误差范围 ±{moe:.2f}",
                )
            )
    return tuple(reasons)
