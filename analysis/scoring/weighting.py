"""Strata of the design and weighting-class nonresponse adjustment by stratum (§A2.2–A2.3).

Base weight d = N_h / n_h; adjustment a_h = n_h / r_h (sampled weight over responding weight,
which is this simple ratio because d is constant within a stratum); final weight for a
respondent w = d · a_h = N_h / r_h. The adjustment is capped (a_h ≤ 3 by default) so one odd
stratum cannot dominate; strata with fewer than 5 respondents are marked for collapsing, which
is a human decision about which neighbour to merge with, so it is reported, not done here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analysis.scoring.errors import ScoringError


@dataclass(frozen=True)
class StratumFrame:
    """What the design knows about one stratum (from the sampling plan and the responses)."""

    stratum: str
    respondents: int  # r_h: all respondents of the survey in this stratum
    population: int | None = None  # N_h: frame size (enables the finite-population correction)
    sampled: int | None = None  # n_h: invited (enables response rates and NR adjustment)

    def __post_init__(self) -> None:
        if self.respondents < 0:
            raise ScoringError(f"层「{self.stratum}」的受访人数不能为负数")
        if self.sampled is not None and self.respondents > self.sampled:
            raise ScoringError(
                f"层「{self.stratum}」的受访人数 {self.respondents} 超过抽中人数 {self.sampled}"
            )
        if (
            self.population is not None
            and self.sampled is not None
            and self.sampled > self.population
        ):
            raise ScoringError(
                f"层「{self.stratum}」的抽中人数 {self.sampled} 超过总体 {self.population}"
            )

    @property
    def response_rate(self) -> float | None:
        return self.respondents / self.sampled if self.sampled else None

    @property
    def sampling_fraction(self) -> float:
        """f_h = r_h / N_h as in the linearisation variance; 0 when N_h is unknown."""
        if not self.population:
            return 0.0
        return min(1.0, self.respondents / self.population)


@dataclass(frozen=True)
class StratumWeight:
    stratum: str
    base_weight: float  # d = N_h / n_h
    adjustment: float  # a_h = n_h / r_h, after capping
    weight: float  # w = d · a_h, for every respondent of the stratum
    capped: bool  # a_h hit the cap
    collapse_suggested: bool  # fewer respondents than the collapsing threshold


def nonresponse_weights(
    frames: Sequence[StratumFrame], *, max_adjustment: float = 3.0, min_respondents: int = 5
) -> tuple[StratumWeight, ...]:
    """Final respondent weight per stratum: N_h / r_h with a capped adjustment factor."""
    weights = []
    for frame in frames:
        if not frame.population or not frame.sampled:
            raise ScoringError(f"层「{frame.stratum}」缺少总体数或抽中数，无法计算设计权重")
        if frame.respondents == 0:
            raise ScoringError(f"层「{frame.stratum}」没有受访者，需要与相邻层合并后再计算权重")
        base = frame.population / frame.sampled
        raw_adjustment = frame.sampled / frame.respondents
        adjustment = min(raw_adjustment, max_adjustment)
        weights.append(
            StratumWeight(
                stratum=frame.stratum,
                base_weight=base,
                adjustment=adjustment,
                weight=base * adjustment,
                capped=raw_adjustment > max_adjustment,
                collapse_suggested=frame.respondents < min_respondents,
            )
        )
    return tuple(weights)


def overall_response_rate(frames: Sequence[StratumFrame]) -> float | None:
    """Σ r_h / Σ n_h over strata with a known sample size."""
    known = [f for f in frames if f.sampled]
    sampled = sum(f.sampled or 0 for f in known)
    return sum(f.respondents for f in known) / sampled if sampled else None
