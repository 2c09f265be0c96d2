"""AAPOR RR1/RR2 against hand-computed values."""

from __future__ import annotations

import pytest

from analysis.response_rates import (
    DEFAULT_STATUS_DISPOSITIONS,
    Disposition,
    DispositionCounts,
    count_dispositions,
    response_rates,
)


def test_rr1_formula_by_hand() -> None:
    counts = DispositionCounts(
        complete=60,
        partial=10,
        refusal=5,
        non_contact=15,
        other=2,
        unknown_household=3,
        unknown_other=5,
        not_eligible=7,
    )
    # denominator = (60 + 10) + (5 + 15 + 2) + (3 + 5) = 100; NE does not count
    assert counts.denominator == 100
    assert counts.rr1 == pytest.approx(0.60)
    assert counts.rr2 == pytest.approx(0.70)


def test_empty_denominator_has_no_rate() -> None:
    counts = DispositionCounts(not_eligible=3)
    assert counts.denominator == 0
    assert counts.rr1 is None
    assert counts.rr2 is None


def test_status_mapping() -> None:
    statuses = [
        "completed", "completed", "completed", "partial", "started", "refused",
        "undeliverable", "sent", "opened", "closed",
    ]  # fmt: skip
    counts = count_dispositions(statuses)
    assert counts == DispositionCounts(
        complete=3, partial=1, refusal=2, non_contact=1, unknown_other=2, not_eligible=1
    )
    # 3 / (4 + 3 + 2) = 1/3
    assert counts.rr1 == pytest.approx(1 / 3)


def test_every_disposition_is_reachable_by_a_custom_mapping() -> None:
    mapping = {d.value: d for d in Disposition}
    counts = count_dispositions([d.value for d in Disposition], mapping)
    assert counts == DispositionCounts(1, 1, 1, 1, 1, 1, 1, 1)
    assert counts.denominator == 7


def test_per_stratum_and_overall() -> None:
    invitations = [
        ("制造业 / 规上", "completed"),
        ("制造业 / 规上", "completed"),
        ("制造业 / 规上", "sent"),
        ("制造业 / 规上", "closed"),
        ("批发业 / 规下", "completed"),
        ("批发业 / 规下", "refused"),
        ("批发业 / 规下", "wrong_contact"),
        ("批发业 / 规下", "partial"),
    ]
    report = response_rates(invitations)
    assert [s.stratum for s in report.by_stratum] == ["制造业 / 规上", "批发业 / 规下"]
    manufacturing, wholesale = report.by_stratum
    assert manufacturing.rr1 == pytest.approx(2 / 3)  # closed firm is not eligible
    assert wholesale.rr1 == pytest.approx(1 / 4)
    assert wholesale.counts.rr2 == pytest.approx(2 / 4)
    # overall: 3 complete out of 7 eligible-or-unknown
    assert report.overall.rr1 == pytest.approx(3 / 7)
    assert report.overall.not_eligible == 1


def test_unknown_status_is_a_chinese_error() -> None:
    with pytest.raises(ValueError, match="未知的邀请状态“lost”"):
        count_dispositions(["lost"])


def test_default_mapping_covers_documented_statuses() -> None:
    assert set(DEFAULT_STATUS_DISPOSITIONS.values()) == set(Disposition) - {
        Disposition.UNKNOWN_HOUSEHOLD
    }
