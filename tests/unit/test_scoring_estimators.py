"""Stratified Hájek mean, linearisation SE and design effects against §A2.4."""

import math

import pytest

from analysis.scoring.errors import ScoringError
from analysis.scoring.estimators import StratumMoments, estimate_mean, wilson_interval
from analysis.scoring.reference import mean_from_records
from analysis.scoring.weighting import StratumFrame, nonresponse_weights, overall_response_rate

# fmt: off
SCORES = {
    "large": [90, 85, 95, 80, 100],
    "medium": [80, 75, 90, 60, 85, 70, 95, 80, 75, 65, 85, 90],
    "small": [70, 60, 80, 75, 55, 90, 65, 70, 85, 60, 75, 80,
              50, 70, 65, 95, 60, 75, 80, 70, 55, 85, 70, 65],
}
# fmt: on
FRAMES = (
    StratumFrame("large", respondents=5, population=20, sampled=6),
    StratumFrame("medium", respondents=12, population=60, sampled=18),
    StratumFrame("small", respondents=24, population=120, sampled=36),
)


def _weights() -> dict[str, float]:
    return {w.stratum: w.weight for w in nonresponse_weights(FRAMES)}


def _moments() -> list[StratumMoments]:
    """What `GROUP BY stratum` with SUM(w), SUM(w*y) … returns for the vector."""
    weights = _weights()
    result = []
    for stratum, ys in SCORES.items():
        w = weights[stratum]
        result.append(
            StratumMoments(
                stratum,
                n=len(ys),
                sum_w=w * len(ys),
                sum_wy=w * sum(ys),
                sum_w2=w * w * len(ys),
                sum_w2y=w * w * sum(ys),
                sum_w2y2=w * w * sum(y * y for y in ys),
                sum_y=sum(ys),
                sum_y2=sum(y * y for y in ys),
            )
        )
    return result


def test_nonresponse_adjustment_factors_and_weights() -> None:
    weights = nonresponse_weights(FRAMES)
    assert [w.adjustment for w in weights] == pytest.approx([1.2, 1.5, 1.5])
    assert [w.weight for w in weights] == pytest.approx([4, 5, 5])
    assert sum(w.weight * len(SCORES[w.stratum]) for w in weights) == pytest.approx(200)
    assert overall_response_rate(FRAMES) == pytest.approx(41 / 60)


def test_adjustment_is_capped_and_sparse_strata_are_reported() -> None:
    (weight,) = nonresponse_weights([StratumFrame("x", respondents=2, population=100, sampled=10)])
    assert weight.adjustment == 3.0 and weight.capped and weight.collapse_suggested
    assert weight.weight == pytest.approx(30.0)


@pytest.mark.parametrize("path", ["sufficient statistics", "records"])
def test_stratified_vector(path: str) -> None:
    if path == "records":
        weights = _weights()
        values = [(h, weights[h], float(y)) for h, ys in SCORES.items() for y in ys]
        estimate = mean_from_records(values, FRAMES)
    else:
        estimate = estimate_mean(_moments(), FRAMES)
    assert estimate.mean == pytest.approx(75.375)
    assert estimate.se is not None and estimate.se**2 == pytest.approx(2.3618, abs=1e-4)
    assert estimate.se == pytest.approx(1.5368, abs=1e-4)
    assert estimate.df == 38
    assert estimate.t_quantile == pytest.approx(2.0244, abs=1e-4)
    assert estimate.moe == pytest.approx(3.111, abs=5e-4)
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((72.264, 78.486), abs=5e-4)
    assert estimate.deff_kish == pytest.approx(1.0045)
    assert estimate.n_effective == pytest.approx(40.82, abs=5e-3)
    assert estimate.deff_design == pytest.approx(0.782, abs=5e-4)
    assert estimate.n == 41 and estimate.weight_total == pytest.approx(200)


def test_unweighted_mean_differs_from_weighted() -> None:
    all_scores = [y for ys in SCORES.values() for y in ys]
    assert sum(all_scores) / len(all_scores) == pytest.approx(75.732, abs=5e-4)


def test_domain_estimation_counts_non_raters_of_the_stratum() -> None:
    # r = 4 respondents, 2 rated: y = 80, 60, w = 1 → ȳ = 70, u = (5, −5, 0, 0),
    # V = 4/3 · 50 = 66.667 (no FPC: population unknown).
    frames = [StratumFrame("h", respondents=4)]
    estimate = mean_from_records([("h", 1.0, 80.0), ("h", 1.0, 60.0)], frames)
    assert estimate.mean == 70
    assert estimate.se is not None and estimate.se**2 == pytest.approx(200 / 3)
    assert estimate.df == 3


def test_singleton_stratum_is_reported_and_contributes_zero() -> None:
    values = [("a", 1.0, 80.0), ("b", 1.0, 60.0), ("b", 1.0, 70.0)]
    estimate = mean_from_records(values)
    assert estimate.singleton_strata == ("a",)
    # only stratum b: u = (60−70, 70−70)/3 → ū = −5/3 … V = 2·((−10/3+5/3)² + (5/3)²) = 100/9
    assert estimate.se is not None and estimate.se**2 == pytest.approx(100 / 9)


def test_stratum_missing_from_frames_is_a_chinese_error() -> None:
    with pytest.raises(ScoringError, match="不在抽样框"):
        mean_from_records([("zz", 1.0, 80.0), ("zz", 1.0, 70.0)], FRAMES)


def test_more_raters_than_respondents_is_an_error() -> None:
    with pytest.raises(ScoringError, match="超过该层受访人数"):
        mean_from_records([("h", 1.0, 80.0)] * 3, [StratumFrame("h", respondents=2)])


def test_wilson_interval_hand_value() -> None:
    # p = .7, n = 10, z = 1.959964: centre .7 + z²/20, half z·√(.021 + z²/400), over 1 + z²/10
    z = 1.959963984540054
    centre, half = 0.7 + z * z / 20, z * math.sqrt(0.021 + z * z / 400)
    low, high = wilson_interval(0.7, 10)
    assert (low, high) == pytest.approx(
        ((centre - half) / (1 + z * z / 10), (centre + half) / (1 + z * z / 10))
    )
    assert low == pytest.approx(0.3968, abs=1e-4) and high == pytest.approx(0.8922, abs=1e-4)
