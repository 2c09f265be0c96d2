"""Score mappings and distribution summaries against §A1.3 test vectors."""

import pytest

from analysis.scoring.errors import ScoringError
from analysis.scoring.mapping import (
    LINEAR_MAPPING,
    NBS_MAPPING,
    TIMES20_MAPPING,
    ScoreMapping,
    get_mapping,
    summarise_distribution,
)

# §A1.3a: (40 %, 30 %, 15 %, 10 %, 5 %) best → worst.
DISTRIBUTION = {"非常满意": 40, "满意": 30, "基本满意": 15, "不满意": 10, "非常不满意": 5}


@pytest.mark.parametrize(
    ("mapping", "expected"), [(NBS_MAPPING, 76.0), (LINEAR_MAPPING, 72.5), (TIMES20_MAPPING, 78.0)]
)
def test_distribution_score_per_mapping(mapping: ScoreMapping, expected: float) -> None:
    assert summarise_distribution(DISTRIBUTION, mapping).score == pytest.approx(expected)


def test_satisfaction_rates_and_sd_of_the_vector() -> None:
    summary = summarise_distribution(DISTRIBUTION, NBS_MAPPING)
    assert summary.satisfaction_rate == pytest.approx(0.70)
    assert summary.broad_satisfaction_rate == pytest.approx(0.85)
    # variance = .4·24² + .3·4² + .15·16² + .1·46² + .05·76² = 774
    assert summary.sd == pytest.approx(774**0.5)
    assert summary.sd is not None and round(summary.sd, 1) == 27.8


def test_unaware_leaves_the_denominator_and_becomes_awareness() -> None:
    with_unaware = summarise_distribution({**DISTRIBUTION, "不了解": 25}, NBS_MAPPING)
    assert with_unaware.score == pytest.approx(76.0)
    assert with_unaware.satisfaction_rate == pytest.approx(0.70)
    assert with_unaware.awareness == pytest.approx(100 / 125)


def test_only_unaware_answers_give_no_score() -> None:
    summary = summarise_distribution({"不了解": 4}, NBS_MAPPING)
    assert summary.score is None and summary.awareness == 0.0


def test_level_scores_and_unknown_label_error() -> None:
    assert NBS_MAPPING.score("基本满意") == 60
    assert NBS_MAPPING.score("不了解") is None
    with pytest.raises(ScoringError, match="不在赋值方案"):
        NBS_MAPPING.score("很满意")


def test_satisfaction_thresholds_follow_the_mapping() -> None:
    assert LINEAR_MAPPING.is_satisfied(75) and not LINEAR_MAPPING.is_satisfied(74.9)
    assert NBS_MAPPING.is_broadly_satisfied(60) and not NBS_MAPPING.is_broadly_satisfied(30)


def test_mapping_must_be_strictly_decreasing() -> None:
    with pytest.raises(ScoringError, match="严格递减"):
        ScoreMapping("bad", 1, "坏", (("非常满意", 100), ("满意", 100)))


def test_registry_and_description() -> None:
    assert get_mapping("linear") is LINEAR_MAPPING
    with pytest.raises(ScoringError, match="可选"):
        get_mapping("nope")
    text = NBS_MAPPING.describe()
    assert "非常满意=100" in text and "不满意=30" in text and "知晓率" in text
