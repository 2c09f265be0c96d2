"""Retention of personal information: which campaigns are due, and cutting their roster links.

After a campaign's results are final and the retention period has passed, nobody needs to know
which roster entry an invitation went to. Responses and answer rows stay: they carry the stratum
and design weight, so scores can still be recomputed and audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from survey_app.db.queries._rows import aware
from survey_app.db.tables import Campaign, Draft, Invitation


@dataclass(frozen=True)
class DueCampaign:
    id: int
    code: str
    results_final_at: dt.datetime


@dataclass(frozen=True)
class PurgeCounts:
    unlinked_invitations: int
    deleted_drafts: int


async def campaigns_final_before(cutoff: dt.datetime) -> list[DueCampaign]:
    rows = (
        await Campaign.select(Campaign.id, Campaign.code, Campaign.results_final_at)
        .where(Campaign.results_final_at.is_not_null() & (Campaign.results_final_at < cutoff))
        .order_by(Campaign.id)
    )
    return [DueCampaign(r["id"], r["code"], aware(r["results_final_at"]) or cutoff) for r in rows]


async def purge_roster_links(campaign_id: int) -> PurgeCounts:
    """Set every invitation's respondent to NULL and delete the drafts, in one transaction."""
    engine = Invitation._meta.db
    async with engine.transaction():
        unlinked = await Invitation.update({Invitation.respondent: None}).where(
            (Invitation.campaign == campaign_id) & Invitation.respondent.is_not_null()
        ).returning(Invitation.id)
        campaign_invitations = Invitation.select(Invitation.id).where(
            Invitation.campaign == campaign_id
        )
        drafts = await Draft.delete().where(
            Draft.invitation.is_in(campaign_invitations)  # type: ignore[arg-type]
        ).returning(Draft.id)
    return PurgeCounts(len(unlinked), len(drafts))
