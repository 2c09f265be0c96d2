"""Unit flags: each threshold fires on its side of the line and is reportable in Chinese."""

import pytest

from analysis.scoring.errors import ScoringError
from analysis.scoring.flags import Flag, FlagThresholds, parse_flag, unit_flags


def _flags(**overrides: object) -> set[Flag]:
    arguments: dict[str, object] = {
        "n_respondents": 40,
        "eligible_items": 3,
        "score": 85.0,
        "moe": 3.0,
        "response_rate": 0.7,
        "stratum_response_rates": [0.7, 0.65],
        "deff_kish": 1.2,
        "awareness": 0.9,
        "thresholds": FlagThresholds(),
    }
    arguments.update(overrides)
    return {reason.flag for reason in unit_flags(**arguments)}  # type: ignore[arg-type]


def test_clean_unit_has_no_flags() -> None:
    assert _flags() == set()


@pytest.mark.parametrize(
    ("overrides", "flag", "fires"),
    [
        ({"n_respondents": 9}, Flag.SUPPRESSED, True),
        ({"n_respondents": 10}, Flag.SUPPRESSED, False),
        ({"eligible_items": 0}, Flag.SUPPRESSED, True),
        ({"n_respondents": 29}, Flag.LOW_PRECISION, True),
        ({"n_respondents": 30}, Flag.LOW_PRECISION, False),
        ({"moe": 5.01}, Flag.LOW_PRECISION, True),
        ({"moe": 5.0}, Flag.LOW_PRECISION, False),
        ({"response_rate": 0.49}, Flag.LOW_RESPONSE, True),
        ({"stratum_response_rates": [0.9, 0.55]}, Flag.LOW_RESPONSE, True),
        ({"stratum_response_rates": [0.9, 0.65]}, Flag.LOW_RESPONSE, False),
        ({"deff_kish": 2.1}, Flag.HIGH_DEFF, True),
        ({"awareness": 0.49}, Flag.LOW_AWARENESS, True),
        ({"awareness": 0.5}, Flag.LOW_AWARENESS, False),
        ({"thresholds": FlagThresholds(grade_cutoffs=(87.0,))}, Flag.BOUNDARY, True),
        ({"thresholds": FlagThresholds(grade_cutoffs=(88.0,))}, Flag.BOUNDARY, False),
    ],
)
def test_each_threshold(overrides: dict[str, object], flag: Flag, fires: bool) -> None:
    assert (flag in _flags(**overrides)) is fires


def test_suppressed_unit_gets_no_precision_or_boundary_flag() -> None:
    flags = _flags(n_respondents=5, thresholds=FlagThresholds(grade_cutoffs=(85.0,)))
    assert flags == {Flag.SUPPRESSED}


def test_thresholds_are_configurable_and_described() -> None:
    strict = FlagThresholds(min_respondents=50, max_moe=2.0, grade_cutoffs=(90.0, 60.0))
    assert Flag.SUPPRESSED in _flags(thresholds=strict)
    text = strict.describe()
    assert "少于 50 人" in text and "±2" in text and "90、60" in text
    assert "少于 10 人" in FlagThresholds().describe()


def test_reasons_carry_numbers() -> None:
    (reason,) = unit_flags(
        n_respondents=40,
        eligible_items=2,
        score=80.0,
        moe=6.5,
        response_rate=None,
        stratum_response_rates=[],
        deff_kish=None,
        awareness=None,
        thresholds=FlagThresholds(),
    )
    assert reason.flag is Flag.LOW_PRECISION and "±6.50" in reason.detail


def test_parse_flag_accepts_code_or_label() -> None:
    assert parse_flag(" low_precision ") is Flag.LOW_PRECISION
    assert parse_flag("边界待复核") is Flag.BOUNDARY
    with pytest.raises(ScoringError, match="无法识别"):
        parse_flag("差")


def test_response_rate_gap_ignores_strata_too_small_to_judge() -> None:
    """Two strata: 40 invited / 30 answered (75 %) and 2 invited / 0 answered (0 %).

    A 75-point gap, but one refusal pair in a stratum of two says nothing about bias; with the
    tiny stratum counted the unit would be flagged, without it it is not.
    """
    from analysis.scoring.reference import AnswerRecord, unit_index_from_records
    from analysis.scoring.settings import ScoringSettings
    from analysis.scoring.unit_index import IndexSpec
    from analysis.scoring.weighting import StratumFrame

    records = [AnswerRecord(f"r{i}", "q1", "big", 1.0, 80.0 + i % 3) for i in range(30)]
    frames = [StratumFrame("big", 30, population=400, sampled=40),
              StratumFrame("tiny", 0, population=20, sampled=2)]
    spec = IndexSpec.by_item([("q1", 1.0)])
    lenient = unit_index_from_records("U01", records, spec, frames)
    assert Flag.LOW_RESPONSE not in {reason.flag for reason in lenient.flags}
    strict = ScoringSettings(thresholds=FlagThresholds(gap_min_invited=1))
    flagged = unit_index_from_records("U01", records, spec, frames, strict)
    assert [reason.detail for reason in flagged.flags] == ["各层回收率相差 75.0 个百分点，超过 30"]
