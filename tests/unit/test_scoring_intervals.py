"""Bounded (logit-scale) 95 % intervals, checked against values worked out by hand.

ȳ = 95, SE = 2, t = 2: p = 0.95, ℓ = ln 19 = 2.944439, SE_ℓ = 0.02 / (0.95 · 0.05) = 0.421053,
ℓ ± 2 · SE_ℓ = 2.102334 and 3.786544, expit → 0.891130 and 0.977834 → [89.113, 97.783]
(the t interval would be [91, 99]).
ȳ = 50, SE = 5, t = 2: p = 0.5, ℓ = 0, SE_ℓ = 0.05 / 0.25 = 0.2, expit(±0.4) = 0.401312 / 0.598688
→ [40.131, 59.869]: symmetric in the middle of the scale.
The issue's unit (96.28, MOE 4.93 with t = 2.0244, so SE = 2.43529): the t interval 91.35–101.21
leaves the scale; on the logit scale p = 0.9628, SE_ℓ = 0.0243529 / (0.9628 · 0.0372) = 0.679940,
ℓ = ln(0.9628 / 0.0372) = 3.253648, ℓ ± 2.0244 · 0.679940 = 1.877179 and 4.630117
→ expit 0.867277 and 0.990340 → [86.728, 99.034].
"""

import pytest

from analysis.scoring.intervals import bounded_interval


@pytest.mark.parametrize(
    ("mean", "se", "t", "expected"),
    [
        (95.0, 2.0, 2.0, (89.113, 97.783)),
        (50.0, 5.0, 2.0, (40.131, 59.869)),
        (96.28, 4.93 / 2.0244, 2.0244, (86.728, 99.034)),
    ],
)
def test_hand_computed_values(mean: float, se: float, t: float, expected: tuple[float, float]) -> None:
    assert bounded_interval(mean, se, t) == pytest.approx(expected, abs=1e-3)


def test_the_interval_never_leaves_the_scale_and_narrows_towards_the_nearer_end() -> None:
    for mean in (0.5, 3.0, 50.0, 97.0, 99.5):
        low, high = bounded_interval(mean, 6.0, 2.0)
        assert 0.0 < low < mean < high < 100.0
    low, high = bounded_interval(97.0, 2.0, 2.0)
    assert high - 97.0 < 97.0 - low


def test_at_the_ends_of_the_scale_the_t_interval_is_clipped() -> None:
    assert bounded_interval(100.0, 1.0, 2.0) == (98.0, 100.0)
    assert bounded_interval(0.0, 1.0, 2.0) == (0.0, 2.0)
