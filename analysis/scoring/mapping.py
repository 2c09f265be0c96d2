"""Answer levels → 0–100 item scores by a versioned mapping (§A1.3a–b).

The mapping changes the numbers and therefore the grades, so it is a named, versioned setting
that every result records. 不了解 is not a score: it leaves the denominator and is reported as
awareness (知晓率 = 1 − share 不了解). 满意率 is reported beside the score; which levels count as
"satisfied" is part of the mapping.

Scores are stored per answer row in the database, so 满意率 is recovered from a score by a
threshold: the lowest score among the satisfied levels (mappings are strictly decreasing, so this
is exact and robust to REAL rounding in SQL).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from analysis.scoring.errors import ScoringError

# The national 好差评 five levels (GB/T 39735-2020), best → worst, plus "don't know".
LEVELS: tuple[str, ...] = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
UNAWARE = "不了解"
TOP_TWO = frozenset(LEVELS[:2])
TOP_THREE = frozenset(LEVELS[:3])


@dataclass(frozen=True)
class ScoreMapping:
    """A named, versioned level → score table (best level first, strictly decreasing)."""

    key: str
    version: int
    label: str
    scores: tuple[tuple[str, float], ...]
    satisfied_levels: frozenset[str] = TOP_TWO
    broad_satisfied_levels: frozenset[str] = TOP_THREE
    unaware_levels: frozenset[str] = frozenset({UNAWARE})

    def __post_init__(self) -> None:
        values = [score for _, score in self.scores]
        if any(later >= earlier for earlier, later in itertools.pairwise(values)):
            raise ScoringError(f"赋值方案「{self.key}」的分值必须从最好到最差严格递减")
        levels = [level for level, _ in self.scores]
        for name, subset in (
            ("满意", self.satisfied_levels),
            ("基本满意及以上", self.broad_satisfied_levels),
        ):
            if set(levels[: len(subset)]) != subset:
                raise ScoringError(f"赋值方案「{self.key}」的「{name}」档必须是最好的若干档")

    @property
    def satisfied_min_score(self) -> float:
        return min(score for level, score in self.scores if level in self.satisfied_levels)

    @property
    def broad_satisfied_min_score(self) -> float:
        return min(score for level, score in self.scores if level in self.broad_satisfied_levels)

    def score(self, level: str) -> float | None:
        """The 0–100 score of an answer level; None for 不了解 (not a valid answer)."""
        return None if level in self.unaware_levels else self.valid_score(level)

    def valid_score(self, level: str) -> float:
        """The score of a rating level; 不了解 and unknown labels are errors here."""
        for known, value in self.scores:
            if known == level:
                return value
        allowed = "、".join([*(lvl for lvl, _ in self.scores), *sorted(self.unaware_levels)])
        raise ScoringError(f"答案「{level}」不在赋值方案「{self.key}」中，可用的档次：{allowed}")

    def label_of(self, score: float) -> str:
        """The level a stored score came from, or the score itself (e.g. a 0–10 item)."""
        for level, value in self.scores:
            if math.isclose(value, score, abs_tol=1e-9):
                return level
        return f"{score:g}分"

    def is_satisfied(self, score: float) -> bool:
        return score >= self.satisfied_min_score - 1e-9

    def is_broadly_satisfied(self, score: float) -> bool:
        return score >= self.broad_satisfied_min_score - 1e-9

    def describe(self) -> str:
        table = "，".join(f"{level}={value:g}" for level, value in self.scores)
        satisfied = "、".join(lvl for lvl, _ in self.scores if lvl in self.satisfied_levels)
        unaware = "、".join(sorted(self.unaware_levels))
        return (
            f"赋值方案 {self.key} 第{self.version}版（{self.label}）：{table}；"
            f"{unaware}不计入分母，单独报告知晓率；满意率统计「{satisfied}」的占比。"
        )


def _five_levels(values: tuple[float, float, float, float, float]) -> tuple[tuple[str, float], ...]:
    return tuple(zip(LEVELS, values, strict=True))


NBS_MAPPING = ScoreMapping("nbs", 1, "国家统计局赋值加权法", _five_levels((100, 80, 60, 30, 0)))
LINEAR_MAPPING = ScoreMapping(
    "linear", 1, "线性等距 (x−1)/(k−1)×100", _five_levels((100, 75, 50, 25, 0))
)
TIMES20_MAPPING = ScoreMapping("times20", 1, "五分制×20", _five_levels((100, 80, 60, 40, 20)))
MAPPINGS: Mapping[str, ScoreMapping] = {
    m.key: m for m in (NBS_MAPPING, LINEAR_MAPPING, TIMES20_MAPPING)
}


def get_mapping(key: str) -> ScoreMapping:
    try:
        return MAPPINGS[key]
    except KeyError:
        raise ScoringError(f"没有名为「{key}」的赋值方案，可选：{'、'.join(MAPPINGS)}") from None


@dataclass(frozen=True)
class DistributionSummary:
    """Score and rates of an (unweighted or weighted) answer distribution."""

    mapping_key: str
    mapping_version: int
    score: float | None  # Σ share × level score over valid answers
    sd: float | None  # population SD on the mapped scale (planning value for sample sizes)
    satisfaction_rate: float | None  # share of valid answers in the satisfied levels
    broad_satisfaction_rate: float | None  # … including 基本满意
    awareness: float | None  # 1 − share 不了解 among all answers


def summarise_distribution(
    counts: Mapping[str, float], mapping: ScoreMapping
) -> DistributionSummary:
    """Summarise counts (or shares) per answer level; 不了解 is kept out of the denominator."""
    valid = {level: count for level, count in counts.items() if level not in mapping.unaware_levels}
    unaware = sum(count for level, count in counts.items() if level in mapping.unaware_levels)
    if any(count < 0 for count in counts.values()):
        raise ScoringError("各档次的人数或占比不能为负数")
    valid_total = sum(valid.values())
    asked = valid_total + unaware
    awareness = valid_total / asked if asked > 0 else None
    if valid_total <= 0:
        return DistributionSummary(mapping.key, mapping.version, None, None, None, None, awareness)
    scored = [(mapping.valid_score(level), count / valid_total) for level, count in valid.items()]
    mean = sum(score * share for score, share in scored)
    variance = sum(share * (score - mean) ** 2 for score, share in scored)
    return DistributionSummary(
        mapping_key=mapping.key,
        mapping_version=mapping.version,
        score=mean,
        sd=math.sqrt(variance),
        satisfaction_rate=sum(c for lvl, c in valid.items() if lvl in mapping.satisfied_levels)
        / valid_total,
        broad_satisfaction_rate=sum(
            c for lvl, c in valid.items() if lvl in mapping.broad_satisfied_levels
        )
        / valid_total,
        awareness=awareness,
    )
