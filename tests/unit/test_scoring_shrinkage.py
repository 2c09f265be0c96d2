"""Empirical-Bayes shrinkage against §A2.6 and the method-of-moments τ²."""

import statistics

import pytest

from analysis.scoring.errors import ScoringError
from analysis.scoring.shrinkage import UnitEstimate, shrink_scores


def test_vector_with_given_mean_and_tau2() -> None:
    result = shrink_scores(
        [UnitEstimate("A", 96.0, 10 / 8**0.5), UnitEstimate("B", 90.0, 12 / 200**0.5)],
        mean=88.0,
        tau2=9.0,
    )
    a, b = result.scores
    assert a.factor == pytest.approx(0.581, abs=5e-4) and a.shrunk == pytest.approx(91.35, abs=5e-3)
    assert b.factor == pytest.approx(0.074, abs=5e-4) and b.shrunk == pytest.approx(89.85, abs=5e-3)
    assert a.shrunk > b.shrunk and not result.estimated


def test_method_of_moments_estimates() -> None:
    units = [UnitEstimate("A", 80, 2), UnitEstimate("B", 90, 2), UnitEstimate("C", 85, 1)]
    result = shrink_scores(units)
    assert result.mean == pytest.approx(85)
    assert result.tau2 == pytest.approx(statistics.variance([80, 90, 85]) - (4 + 4 + 1) / 3)
    assert "μ = 85.00" in result.describe()


def test_tau2_floors_at_zero_and_everything_shrinks_to_the_mean() -> None:
    result = shrink_scores([UnitEstimate("A", 80, 10), UnitEstimate("B", 81, 10)])
    assert result.tau2 == 0
    assert [s.shrunk for s in result.scores] == pytest.approx([80.5, 80.5])


def test_bad_input() -> None:
    with pytest.raises(ScoringError):
        shrink_scores([])
    with pytest.raises(ScoringError, match="至少需要两个"):
        shrink_scores([UnitEstimate("A", 80, 1)])
