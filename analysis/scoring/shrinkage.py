"""Empirical-Bayes shrinkage of unit indices toward the overall mean, for ranking (§A2.6).

    θ̂_u = B_u · μ̂ + (1 − B_u) · ȳ_u,   B_u = SE_u² / (SE_u² + τ̂²)
    τ̂²  = max(0, Var_u(ȳ_u) − mean_u(SE_u²))     (method of moments)

A unit measured on 8 answers moves a lot toward μ̂, one measured on 200 hardly at all, so a
lucky tiny sample cannot top the ranking. μ̂ defaults to the plain mean of the unit indices and
Var_u uses the n − 1 divisor; both can be fixed by the caller (e.g. from a prior year).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.scoring.errors import ScoringError


@dataclass(frozen=True)
class UnitEstimate:
    unit: str
    score: float
    se: float


@dataclass(frozen=True)
class ShrunkScore:
    unit: str
    score: float  # ȳ_u
    se: float
    factor: float  # B_u: 0 = keep the unit's own score, 1 = take the overall mean
    shrunk: float  # θ̂_u


@dataclass(frozen=True)
class Shrinkage:
    mean: float  # μ̂
    tau2: float  # τ̂², between-unit variance
    estimated: bool  # False when μ̂ and τ̂² were supplied by the caller
    scores: tuple[ShrunkScore, ...]

    def describe(self) -> str:
        source = "由各单位得分按矩估计" if self.estimated else "按设定值"
        return (
            f"经验贝叶斯收缩（{source}）：总体均值 μ = {self.mean:.2f}，"
            f"单位间方差 τ² = {self.tau2:.2f}；收缩系数 B = SE²/(SE² + τ²)。"
        )


def shrink_scores(
    estimates: Sequence[UnitEstimate], *, mean: float | None = None, tau2: float | None = None
) -> Shrinkage:
    if not estimates:
        raise ScoringError("没有可收缩的单位得分")
    if any(e.se < 0 for e in estimates) or (tau2 is not None and tau2 < 0):
        raise ScoringError("标准误和单位间方差不能为负数")
    estimated = mean is None or tau2 is None
    if mean is None:
        mean = statistics.fmean(e.score for e in estimates)
    if tau2 is None:
        if len(estimates) < 2:
            raise ScoringError("至少需要两个单位才能估计单位间方差")
        between = statistics.variance([e.score for e in estimates])
        tau2 = max(0.0, between - statistics.fmean(e.se**2 for e in estimates))
    shrunk = []
    for e in estimates:
        total = e.se**2 + tau2
        factor = e.se**2 / total if total > 0 else 0.0
        shrunk.append(
            ShrunkScore(e.unit, e.score, e.se, factor, factor * mean + (1 - factor) * e.score)
        )
    return Shrinkage(mean=mean, tau2=tau2, estimated=estimated, scores=tuple(shrunk))
