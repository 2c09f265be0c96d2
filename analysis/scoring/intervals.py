"""Confidence intervals that stay inside the 0–100 score scale.

The t interval ȳ ± t·SE of §A2.4 is symmetric, so near the ends of the scale it leaves it
(a unit at 96.28 with MOE 4.93 would show 91.35–101.21). The interval is therefore built on the
logit scale, where the score has no bounds, and mapped back (delta method):

    p = (ȳ − lo) / (hi − lo)            the score as a share of the scale
    ℓ = ln(p / (1 − p))                 its logit
    SE_ℓ = SE / ((hi − lo) · p (1 − p))  the standard error carried to the logit scale
    CI = lo + (hi − lo) · expit(ℓ ± t · SE_ℓ)

The result always lies strictly inside (lo, hi), is asymmetric (shorter towards the nearer end)
and tends to the t interval when p is near 1/2 or SE is small. At the very ends (p = 0 or 1,
where every answer was the lowest or the highest) the logit is infinite: the symmetric interval
is then clipped to [lo, hi].
"""

from __future__ import annotations

import math


def bounded_interval(
    mean: float, se: float, t_quantile: float, low: float = 0.0, high: float = 100.0
) -> tuple[float, float]:
    width = high - low
    p = (mean - low) / width
    if not 0.0 < p < 1.0 or se <= 0:
        margin = t_quantile * max(se, 0.0)
        return max(low, mean - margin), min(high, mean + margin)
    centre = math.log(p / (1 - p))
    spread = t_quantile * se / (width * p * (1 - p))
    return low + width * _expit(centre - spread), low + width * _expit(centre + spread)


def _expit(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
