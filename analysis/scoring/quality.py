"""Response data-quality flags: speeders and straight-lining (§A2.7).

Flags only. Excluding a response is a human decision taken after review elsewhere, and the
counts are published; nothing here drops or reweights a response.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from analysis.scoring.errors import ScoringError


class QualityIssue(StrEnum):
    SPEEDER = "SPEEDER"
    STRAIGHT_LINE = "STRAIGHT_LINE"

    @property
    def label(self) -> str:
        return "答题过快" if self is QualityIssue.SPEEDER else "矩阵题整齐划一"


@dataclass(frozen=True)
class QualityThresholds:
    speeder_fraction_of_median: float = 1 / 3  # faster than this share of the median time
    speeder_min_seconds: float | None = None  # optional absolute floor as well
    straight_line_min_rows: int = 3  # a matrix needs at least this many answered rows

    def describe(self) -> str:
        floor = (
            f"，或少于 {self.speeder_min_seconds:g} 秒"
            if self.speeder_min_seconds is not None
            else ""
        )
        return (
            f"答题过快：用时少于全部答卷中位用时的 {self.speeder_fraction_of_median:.0%}{floor}；"
            f"整齐划一：同一矩阵题至少 {self.straight_line_min_rows} 行有效回答且全部相同。"
            "被标记的答卷须人工复核后才决定是否剔除。"
        )


@dataclass(frozen=True)
class ResponseDuration:
    response_id: str
    seconds: float


@dataclass(frozen=True)
class MatrixAnswers:
    """One respondent's answers to the rows of one matrix question (None = skipped/不了解)."""

    response_id: str
    matrix: str
    answers: tuple[str | None, ...]


@dataclass(frozen=True)
class QualityFlag:
    response_id: str
    issue: QualityIssue
    detail: str  # Chinese, with the numbers


def flag_speeders(
    durations: Sequence[ResponseDuration], thresholds: QualityThresholds | None = None
) -> tuple[QualityFlag, ...]:
    t = thresholds or QualityThresholds()
    if not durations:
        return ()
    if any(d.seconds < 0 for d in durations):
        raise ScoringError("答题用时不能为负数")
    median = statistics.median(d.seconds for d in durations)
    limit = median * t.speeder_fraction_of_median
    if t.speeder_min_seconds is not None:
        limit = max(limit, t.speeder_min_seconds)
    return tuple(
        QualityFlag(
            d.response_id,
            QualityIssue.SPEEDER,
            f"用时 {d.seconds:g} 秒，低于阈值 {limit:.1f} 秒（中位用时 {median:g} 秒）",
        )
        for d in durations
        if d.seconds < limit
    )


def flag_straight_lines(
    matrices: Sequence[MatrixAnswers],
    thresholds: QualityThresholds | None = None,
    unaware: frozenset[str] = frozenset({"不了解"}),
) -> tuple[QualityFlag, ...]:
    """Identical answers across ≥ min rows of a matrix; skipped rows and 不了解 are ignored."""
    t = thresholds or QualityThresholds()
    flags = []
    for matrix in matrices:
        valid = [a for a in matrix.answers if a is not None and a not in unaware]
        if len(valid) >= t.straight_line_min_rows and len(set(valid)) == 1:
            flags.append(
                QualityFlag(
                    matrix.response_id,
                    QualityIssue.STRAIGHT_LINE,
                    f"矩阵题「{matrix.matrix}」{len(valid)} 行全部回答「{valid[0]}」",
                )
            )
    return tuple(flags)
