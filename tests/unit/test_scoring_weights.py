"""Renormalised weights (items, components, periods) and the ACSI formula (§A1.1)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.scoring.acsi import OHIO_WEIGHTS, acsi_index
from analysis.scoring.errors import ScoringError
from analysis.scoring.weights import check_weights, weighted_mean_available

weights_strategy = st.lists(
    st.tuples(st.text(min_size=1, max_size=3), st.floats(0.01, 100)),
    min_size=1,
    max_size=8,
    unique_by=lambda pair: pair[0],
)


@given(weights_strategy, st.data())
def test_used_weights_sum_to_one_and_value_stays_in_range(
    weights: list[tuple[str, float]], data: st.DataObject
) -> None:
    values = {key: data.draw(st.one_of(st.none(), st.floats(0, 100))) for key, _ in weights}
    result = weighted_mean_available(values, weights)
    present = [v for v in values.values() if v is not None]
    if not present:
        assert result.value is None and result.weights == ()
        return
    assert sum(w for _, w in result.weights) == pytest.approx(1.0)
    assert result.value is not None and min(present) - 1e-9 <= result.value <= max(present) + 1e-9
    assert set(result.missing) == {k for k, v in values.items() if v is None}


def test_check_weights_messages() -> None:
    with pytest.raises(ScoringError, match="重复"):
        check_weights([("a", 1), ("a", 2)], "维度")
    with pytest.raises(ScoringError, match="非负数"):
        check_weights([("a", -1)], "维度")
    with pytest.raises(ScoringError, match="大于 0"):
        check_weights([("a", 0)], "维度")


def test_acsi_vectors() -> None:
    means = (8.2, 7.5, 7.1)
    assert acsi_index(means, OHIO_WEIGHTS) == pytest.approx(73.944, abs=5e-4)
    assert acsi_index(means) == pytest.approx(73.333, abs=5e-4)
    assert acsi_index(means) == pytest.approx((sum(means) - 3) / 27 * 100)


def test_acsi_rejects_bad_weights() -> None:
    with pytest.raises(ScoringError, match="合计为 1"):
        acsi_index((8, 8), (0.5, 0.6))
