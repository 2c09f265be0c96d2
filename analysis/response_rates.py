"""AAPOR response rates per stratum and overall.

RR1 = I / ((I + P) + (R + NC + O) + (UH + UO))      (AAPOR Standard Definitions)
RR2 = (I + P) / the same denominator                 (partials count as responses)

Invitation statuses map to AAPOR final dispositions as follows (DEFAULT_STATUS_DISPOSITIONS):

    completed                       -> I   complete
    partial                         -> P   partial: at least half of the applicable items
                                           answered (the service decides and sets it)
    started, refused, opted_out     -> R   break-off below the partial threshold / refusal
    undeliverable, wrong_contact    -> NC  non-contact: the invitation never reached them
    other                           -> O   eligible, other reason
    created, sent, opened           -> UO  no reply; eligibility unknown
    ineligible, closed              -> NE  not eligible (e.g. the firm closed); not counted

For RR1 it does not matter whether a silent invitation counts as NC or UO: both are in
the denominator (the split only matters for RR3, which is not computed here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Disposition(StrEnum):
    COMPLETE = "I"
    PARTIAL = "P"
    REFUSAL = "R"
    NON_CONTACT = "NC"
    OTHER = "O"
    UNKNOWN_HOUSEHOLD = "UH"
    UNKNOWN_OTHER = "UO"
    NOT_ELIGIBLE = "NE"


DEFAULT_STATUS_DISPOSITIONS: Mapping[str, Disposition] = {
    "completed": Disposition.COMPLETE,
    "partial": Disposition.PARTIAL,
    "started": Disposition.REFUSAL,
    "refused": Disposition.REFUSAL,
    "opted_out": Disposition.REFUSAL,
    "undeliverable": Disposition.NON_CONTACT,
    "wrong_contact": Disposition.NON_CONTACT,
    "other": Disposition.OTHER,
    "created": Disposition.UNKNOWN_OTHER,
    "sent": Disposition.UNKNOWN_OTHER,
    "opened": Disposition.UNKNOWN_OTHER,
    "ineligible": Disposition.NOT_ELIGIBLE,
    "closed": Disposition.NOT_ELIGIBLE,
}


@dataclass(frozen=True)
class DispositionCounts:
    complete: int = 0
    partial: int = 0
    refusal: int = 0
    non_contact: int = 0
    other: int = 0
    unknown_household: int = 0
    unknown_other: int = 0
    not_eligible: int = 0

    @property
    def denominator(self) -> int:
        return (
            (self.complete + self.partial)
            + (self.refusal + self.non_contact + self.other)
            + (self.unknown_household + self.unknown_other)
        )

    @property
    def rr1(self) -> float | None:
        """None when nothing is in the denominator (no eligible invitation yet)."""
        return self.complete / self.denominator if self.denominator else None

    @property
    def rr2(self) -> float | None:
        return (self.complete + self.partial) / self.denominator if self.denominator else None


@dataclass(frozen=True)
class StratumResponseRate:
    stratum: str
    counts: DispositionCounts

    @property
    def rr1(self) -> float | None:
        return self.counts.rr1


@dataclass(frozen=True)
class ResponseRateReport:
    by_stratum: tuple[StratumResponseRate, ...]  # sorted by stratum label
    overall: DispositionCounts


_FIELD_OF = {
    Disposition.COMPLETE: "complete",
    Disposition.PARTIAL: "partial",
    Disposition.REFUSAL: "refusal",
    Disposition.NON_CONTACT: "non_contact",
    Disposition.OTHER: "other",
    Disposition.UNKNOWN_HOUSEHOLD: "unknown_household",
    Disposition.UNKNOWN_OTHER: "unknown_other",
    Disposition.NOT_ELIGIBLE: "not_eligible",
}


def count_dispositions(
    statuses: Iterable[str],
    mapping: Mapping[str, Disposition] = DEFAULT_STATUS_DISPOSITIONS,
) -> DispositionCounts:
    tally = Counter(_disposition(status, mapping) for status in statuses)
    return DispositionCounts(**{_FIELD_OF[d]: count for d, count in tally.items()})


def response_rates(
    invitations: Iterable[tuple[str, str]],
    mapping: Mapping[str, Disposition] = DEFAULT_STATUS_DISPOSITIONS,
) -> ResponseRateReport:
    """RR per stratum and overall from (stratum label, invitation status) pairs."""
    statuses_by_stratum: dict[str, list[str]] = {}
    for stratum, status in invitations:
        statuses_by_stratum.setdefault(stratum, []).append(status)
    by_stratum = tuple(
        StratumResponseRate(stratum, count_dispositions(statuses, mapping))
        for stratum, statuses in sorted(statuses_by_stratum.items())
    )
    all_statuses = (s for statuses in statuses_by_stratum.values() for s in statuses)
    return ResponseRateReport(by_stratum, count_dispositions(all_statuses, mapping))


def _disposition(status: str, mapping: Mapping[str, Disposition]) -> Disposition:
    try:
        return mapping[status]
    except KeyError:
        known = "、".join(mapping)
        raise ValueError(f"未知的邀请状态“{status}”，可用状态：{known}") from None
