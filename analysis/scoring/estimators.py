"""Weighted (Hájek) means with stratified linearisation variance, from sufficient statistics.

    ȳ_w = Σ w_i y_i / Σ w_i
    u_i = w_i z_i, with z_i the linearised variable; for one mean z_i = (y_i − ȳ_w) / Σ w
    V̂   = Σ_h (1 − f_h) · r_h/(r_h − 1) · Σ_{i∈h} (u_i − ū_h)²,   f_h = r_h / N_h
    SE = √V̂;  MOE = t_{0.975, df} · SE,  df = Σ r_h − H;  CI = ȳ_w ± MOE      (§A2.4)

The sum over i∈h runs over ALL r_h respondents of the stratum: those outside the group (did not
rate the unit, or answered 不了解) have u_i = 0. This is domain estimation, the right SE when a
unit is rated only by the respondents who know it; when everyone rated it, it is exactly §A2.4.

Everything here consumes per-stratum SUMS (`StratumMoments`, `LinearisedMoments`) that one SQL
GROUP BY produces, via Σ(u − ū)² = Σu² − (Σu)²/r. `variance_from_values` is the same formula on
explicit per-respondent values: the reference path used to check the sums (see reference.py).

Also reported: Kish weighting deff = n Σw²/(Σw)² and n_eff = (Σw)²/Σw² (a weighting diagnostic,
§A2.5), and the design effect V̂ / V̂_SRS against simple random sampling of the same n without
replacement, V̂_SRS = (1 − n/N̂) s²/n with s² the unweighted sample variance (§A2.4 vector 0.782).
A stratum with a single respondent cannot estimate its variance; it contributes 0 and is listed
in `singleton_strata` so a report can say so.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from scipy import stats

from analysis.scoring.errors import ScoringError
from analysis.scoring.weighting import StratumFrame


@dataclass(frozen=True)
class StratumMoments:
    """Sums over one stratum's respondents with a valid y (one GROUP BY row)."""

    stratum: str
    n: int
    sum_w: float
    sum_wy: float
    sum_w2: float
    sum_w2y: float
    sum_w2y2: float
    sum_y: float
    sum_y2: float


@dataclass(frozen=True)
class LinearisedMoments:
    """Sums of the linearised variable over one stratum's respondents in the group.

    z is the respondent's linearised value and u = w·z; sum_z/sum_z2 (unweighted) serve only the
    design effect against simple random sampling.
    """

    stratum: str
    n: int
    sum_w: float
    sum_w2: float
    sum_u: float
    sum_u2: float
    sum_z: float
    sum_z2: float


@dataclass(frozen=True)
class VarianceParts:
    """What both the sufficient-statistic and the per-respondent path produce."""

    variance: float
    df: int
    n: int
    sum_w: float
    sum_w2: float
    srs_variance: float | None
    singleton_strata: tuple[str, ...]


@dataclass(frozen=True)
class MeanEstimate:
    mean: float
    se: float | None  # None when df < 1
    moe: float | None
    ci_low: float | None
    ci_high: float | None
    df: int
    t_quantile: float | None
    confidence: float
    n: int  # respondents contributing
    weight_total: float  # Σ w = estimated population of the group
    deff_kish: float
    n_effective: float
    deff_design: float | None  # V̂ / V̂_SRS; None when the SRS variance is 0 or undefined
    singleton_strata: tuple[str, ...]


def stratum_design(
    stratum: str, n_in_group: int, frames: Mapping[str, StratumFrame]
) -> tuple[int, float]:
    """(r_h, f_h) for a stratum: from its frame, or (n, 0) when no frames are given at all."""
    if not frames:
        return n_in_group, 0.0
    frame = frames.get(stratum)
    if frame is None:
        raise ScoringError(f"层「{stratum}」不在抽样框信息中")
    if frame.respondents < n_in_group:
        raise ScoringError(
            f"层「{stratum}」有 {n_in_group} 人参与计算，超过该层受访人数 {frame.respondents}"
        )
    return frame.respondents, frame.sampling_fraction


def frames_by_stratum(frames: Sequence[StratumFrame]) -> dict[str, StratumFrame]:
    result: dict[str, StratumFrame] = {}
    for frame in frames:
        if frame.stratum in result:
            raise ScoringError(f"层「{frame.stratum}」在抽样框信息中重复出现")
        result[frame.stratum] = frame
    return result


def _fpc_known(strata: Iterable[str], frames: Mapping[str, StratumFrame]) -> bool:
    return bool(frames) and all(frames[s].population for s in strata)


def srs_variance(n: int, sum_w: float, sum_z: float, sum_z2: float, use_fpc: bool) -> float | None:
    """Variance of the same estimator under SRS without replacement of n from N̂ = Σw."""
    if n < 2 or sum_w <= 0:
        return None
    scale = sum_w / n  # equal weights N̂/n in place of the design weights
    spread = (sum_z2 - sum_z**2 / n) * scale**2
    fpc = 1 - n / sum_w if use_fpc else 1.0
    return max(fpc, 0.0) * n / (n - 1) * spread


def variance_from_moments(
    strata: Sequence[LinearisedMoments], frames: Sequence[StratumFrame]
) -> VarianceParts:
    frame_of = frames_by_stratum(frames)
    present = [m for m in strata if m.n > 0]
    variance, respondents, singles = 0.0, 0, []
    for m in present:
        r, f = stratum_design(m.stratum, m.n, frame_of)
        respondents += r
        if r < 2:
            singles.append(m.stratum)
            continue
        variance += (1 - f) * r / (r - 1) * max(m.sum_u2 - m.sum_u**2 / r, 0.0)
    n = sum(m.n for m in present)
    sum_w = sum(m.sum_w for m in present)
    use_fpc = _fpc_known((m.stratum for m in present), frame_of)
    return VarianceParts(
        variance=variance,
        df=respondents - len(present),
        n=n,
        sum_w=sum_w,
        sum_w2=sum(m.sum_w2 for m in present),
        srs_variance=srs_variance(
            n, sum_w, sum(m.sum_z for m in present), sum(m.sum_z2 for m in present), use_fpc
        ),
        singleton_strata=tuple(singles),
    )


def variance_from_values(
    values: Sequence[tuple[str, float, float]], frames: Sequence[StratumFrame]
) -> VarianceParts:
    """The same variance from explicit (stratum, w_i, z_i) per respondent (reference path)."""
    frame_of = frames_by_stratum(frames)
    by_stratum: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for stratum, weight, z in values:
        by_stratum[stratum].append((weight, z))
    variance, respondents, singles = 0.0, 0, []
    for stratum, members in by_stratum.items():
        r, f = stratum_design(stratum, len(members), frame_of)
        respondents += r
        if r < 2:
            singles.append(stratum)
            continue
        u = [w * z for w, z in members] + [0.0] * (r - len(members))  # non-members have u = 0
        u_bar = sum(u) / r
        variance += (1 - f) * r / (r - 1) * sum((x - u_bar) ** 2 for x in u)
    n = len(values)
    sum_w = sum(w for _, w, _ in values)
    srs: float | None = None
    if n >= 2 and sum_w > 0:
        v = [sum_w / n * z for _, _, z in values]
        v_bar = sum(v) / n
        fpc = 1 - n / sum_w if _fpc_known(by_stratum, frame_of) else 1.0
        srs = max(fpc, 0.0) * n / (n - 1) * sum((x - v_bar) ** 2 for x in v)
    return VarianceParts(
        variance=variance,
        df=respondents - len(by_stratum),
        n=n,
        sum_w=sum_w,
        sum_w2=sum(w * w for _, w, _ in values),
        srs_variance=srs,
        singleton_strata=tuple(singles),
    )


def summarise(point: float, parts: VarianceParts, confidence: float) -> MeanEstimate:
    """SE, MOE, t-based CI and design effects around a point estimate."""
    if parts.n == 0 or parts.sum_w <= 0:
        raise ScoringError("没有有效回答，无法计算均值")
    t_q = float(stats.t.ppf((1 + confidence) / 2, parts.df)) if parts.df >= 1 else None
    se = math.sqrt(parts.variance) if t_q is not None else None
    moe = t_q * se if t_q is not None and se is not None else None
    deff_design = (
        parts.variance / parts.srs_variance
        if parts.srs_variance and parts.srs_variance > 0
        else None
    )
    return MeanEstimate(
        mean=point,
        se=se,
        moe=moe,
        ci_low=point - moe if moe is not None else None,
        ci_high=point + moe if moe is not None else None,
        df=parts.df,
        t_quantile=t_q,
        confidence=confidence,
        n=parts.n,
        weight_total=parts.sum_w,
        deff_kish=parts.n * parts.sum_w2 / parts.sum_w**2,
        n_effective=parts.sum_w**2 / parts.sum_w2,
        deff_design=deff_design,
        singleton_strata=parts.singleton_strata,
    )


def linearise_mean(strata: Sequence[StratumMoments]) -> tuple[float, tuple[LinearisedMoments, ...]]:
    """ȳ_w and the per-stratum sums of z_i = (y_i − ȳ_w)/Σw, expanded algebraically."""
    total_w = sum(m.sum_w for m in strata)
    if total_w <= 0:
        raise ScoringError("权重之和为 0，无法计算加权均值")
    mean = sum(m.sum_wy for m in strata) / total_w
    linearised = tuple(
        LinearisedMoments(
            stratum=m.stratum,
            n=m.n,
            sum_w=m.sum_w,
            sum_w2=m.sum_w2,
            sum_u=(m.sum_wy - mean * m.sum_w) / total_w,
            sum_u2=(m.sum_w2y2 - 2 * mean * m.sum_w2y + mean**2 * m.sum_w2) / total_w**2,
            sum_z=(m.sum_y - m.n * mean) / total_w,
            sum_z2=(m.sum_y2 - 2 * mean * m.sum_y + m.n * mean**2) / total_w**2,
        )
        for m in strata
    )
    return mean, linearised


def estimate_mean(
    strata: Sequence[StratumMoments], frames: Sequence[StratumFrame] = (), confidence: float = 0.95
) -> MeanEstimate:
    """Hájek mean with SE, MOE and CI of one variable from per-stratum sufficient statistics."""
    mean, linearised = linearise_mean(strata)
    return summarise(mean, variance_from_moments(linearised, frames), confidence)


def wilson_interval(p: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion; pass n_eff for weighted data (§A2.4)."""
    if n <= 0:
        raise ScoringError("样本量必须大于 0")
    z = float(stats.norm.ppf((1 + confidence) / 2))
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return (centre - half) / denominator, (centre + half) / denominator
