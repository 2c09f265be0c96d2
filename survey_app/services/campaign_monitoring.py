"""Following a campaign: response rates per stratum and unit, the invitation list, the sampling
report, and keying in paper questionnaires."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis.response_rates import (
    DEFAULT_STATUS_DISPOSITIONS,
    Disposition,
    DispositionCounts,
    response_rates,
)
from survey_app.db.queries import audit
from survey_app.db.queries import campaigns as queries
from survey_app.db.queries import invitations as invitation_queries
from survey_app.db.queries import roster as roster_queries
from survey_app.db.queries import units as unit_queries
from survey_app.services.campaign_draws import recorded_allocations
from survey_app.services.campaigns import (
    AWAITING_STATUSES,
    INVITATION_STATUS_LABELS,
    REPLACEMENT_REASONS,
    CampaignError,
    CampaignRecord,
    InvitationLine,
    campaign_questionnaire,
)
from survey_app.services.roster import (
    Actor,
    display_key,
    display_name,
    mask_name,
    mask_phone,
)

# Our invitation statuses mapped onto AAPOR dispositions (analysis.response_rates). A replaced
# invitation counts by its reason (closed firm = not eligible, unreachable = non-contact), so
# replacement cannot hide non-contacts from RR1.
INVITATION_DISPOSITIONS: Mapping[str, Disposition] = {
    **DEFAULT_STATUS_DISPOSITIONS,
    "pending": Disposition.UNKNOWN_OTHER,
    "responded": Disposition.COMPLETE,
    "withdrawn": Disposition.NOT_ELIGIBLE,
}


# --- monitor ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumProgress:
    label: str
    invited: int  # current invitations (replaced ones not counted)
    responded: int
    replaced: int
    rr1: float | None


@dataclass(frozen=True)
class UnitProgress:
    code: str
    name: str
    responses: int
    rated: int
    rr1: float | None  # rated / eligible invitations


@dataclass(frozen=True)
class Monitor:
    overall: DispositionCounts
    strata: list[StratumProgress]
    units: list[UnitProgress]
    channels: dict[str, int]
    invited: int
    responded: int
    awaiting: int


def _disposition_status(count: invitation_queries.StatusCount) -> str:
    if count.status == invitation_queries.STATUS_REPLACED:
        reason = REPLACEMENT_REASONS.get(count.replacement_reason)
        return reason.disposition_status if reason else "other"
    return count.status if count.status in INVITATION_DISPOSITIONS else "other"


async def monitor(campaign: CampaignRecord) -> Monitor:
    counts = await invitation_queries.status_counts(campaign.id)
    pairs = [(c.stratum, _disposition_status(c)) for c in counts for _ in range(c.count)]
    report = response_rates(pairs, INVITATION_DISPOSITIONS)
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        tally[c.stratum][c.status] += c.count
    strata = [
        StratumProgress(
            label=rate.stratum,
            invited=sum(n for s, n in tally[rate.stratum].items()
                        if s != invitation_queries.STATUS_REPLACED),
            responded=tally[rate.stratum]["responded"],
            replaced=tally[rate.stratum][invitation_queries.STATUS_REPLACED],
            rr1=rate.rr1,
        )
        for rate in report.by_stratum
    ]
    questionnaire = await campaign_questionnaire(campaign)
    answered = {u.unit_code: u for u in await queries.unit_answer_counts(campaign.id)}
    names = {u.code: u.name for u in await unit_queries.list_units()}
    denominator = report.overall.denominator
    units = [
        UnitProgress(
            code=code, name=names.get(code, code),
            responses=answered[code].responses if code in answered else 0,
            rated=answered[code].rated if code in answered else 0,
            rr1=(answered[code].rated if code in answered else 0) / denominator
            if denominator else None,
        )
        for code in sorted(questionnaire.referenced_unit_codes())
    ]
    return Monitor(
        overall=report.overall, strata=strata, units=units,
        channels=await queries.response_channel_counts(campaign.id),
        invited=sum(s.invited for s in strata), responded=sum(s.responded for s in strata),
        awaiting=sum(c.count for c in counts if c.status in AWAITING_STATUSES),
    )


@dataclass(frozen=True)
class InvitationView:
    """An invitation as staff see it: respondent identity, masked contact, no answers."""

    id: int
    name: str
    key: str
    place: str
    stratum: str
    status: str
    reminder_count: int
    last_reminded_at: dt.datetime | None
    respondent_id: int | None
    contact_name: str  # masked
    phone: str  # masked

    @property
    def status_label(self) -> str:
        return INVITATION_STATUS_LABELS.get(self.status, self.status)


async def invitation_views(lines: Sequence[InvitationLine]) -> list[InvitationView]:
    contacts = await roster_queries.contacts_of(
        [line.respondent_id for line in lines if line.respondent_id is not None]
    )
    views = []
    for line in lines:
        contact = contacts.get(line.respondent_id) if line.respondent_id else None
        views.append(InvitationView(
            id=line.id, name=display_name(line.respondent_kind, line.respondent_name),
            key=display_key(line.respondent_kind, line.respondent_key),
            place=" ".join(p for p in (line.park or line.street, line.community) if p),
            stratum=line.stratum, status=line.status, reminder_count=line.reminder_count,
            last_reminded_at=line.last_reminded_at, respondent_id=line.respondent_id,
            contact_name=mask_name(contact.contact_name) if contact else "",
            phone=mask_phone(contact.phone) if contact else "",
        ))
    return views


# --- sampling report -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    label: str
    frame_size: int  # N_h at the draw
    excluded: int
    quota: int  # n_h
    design_weight: float
    invited: int
    replaced: int
    responded: int
    rr1: float | None


async def sampling_report(campaign: CampaignRecord) -> tuple[list[ReportRow], Monitor]:
    """Frame vs sample vs respondents per stratum."""
    progress = await monitor(campaign)
    by_label = {s.label: s for s in progress.strata}
    rows = []
    for allocation in recorded_allocations(campaign):
        stratum = by_label.get(allocation.label)
        rows.append(ReportRow(
            label=allocation.label, frame_size=allocation.frame_size,
            excluded=allocation.excluded, quota=allocation.quota,
            design_weight=allocation.design_weight,
            invited=stratum.invited if stratum else 0,
            replaced=stratum.replaced if stratum else 0,
            responded=stratum.responded if stratum else 0,
            rr1=stratum.rr1 if stratum else None,
        ))
    return rows, progress


# --- paper entry -----------------------------------------------------------------------------

ENTRY_SEARCH_LIMIT = 30
_TOKEN_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])")


async def entry_candidates(campaign_id: int, text: str) -> list[InvitationView]:
    """Invitations matching what the operator typed: a link or token (scanned from the QR
    code), the invitation number printed on the sheet, or part of the respondent's name."""
    text = text.strip()
    if not text:
        return []
    token = _TOKEN_IN_TEXT.search(text)
    if token:
        line = await invitation_queries.find_by_token(campaign_id, token.group(1))
        return await invitation_views([line] if line else [])
    if text.isdigit():
        line = await invitation_queries.find_invitation(int(text))
        found = [line] if line and line.campaign_id == campaign_id else []
        return await invitation_views(found)
    return await invitation_views(
        await invitation_queries.search_by_respondent_name(campaign_id, text[:64],
                                                           ENTRY_SEARCH_LIMIT)
    )


async def entry_invitation(campaign_id: int, invitation_id: int) -> InvitationLine:
    line = await invitation_queries.find_invitation(invitation_id)
    if line is None or line.campaign_id != campaign_id:
        raise CampaignError("邀请不存在")
    return line


async def record_entry(
    campaign: CampaignRecord, invitation_id: int, channel: str, actor: Actor,
    discarded: list[str] | None = None,
) -> None:
    """`discarded`: the questions ("第 4 题") whose answers on paper the clerk confirmed are not
    stored because the questionnaire's conditions skip them."""
    detail: dict[str, object] = {"invitation": invitation_id, "channel": channel}
    if discarded:
        detail["discarded"] = discarded
    await audit.record_event(
        "entry.submit", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip, detail=detail,
    )
