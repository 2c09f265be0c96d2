"""A campaign's lifecycle after the draw: drafts in progress, results publication."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from survey_app.db.queries._rows import aware, json_value
from survey_app.db.tables import Campaign, Draft, Invitation


async def draft_invitation_ids(campaign_id: int, statuses: Sequence[str]) -> set[int]:
    """Invitations of the campaign, in one of `statuses`, with a saved draft (started)."""
    rows = await Draft.select(Draft.invitation).where(
        (Draft.invitation.campaign == campaign_id)
        & Draft.invitation.status.is_in(list(statuses))
    )
    return {int(r["invitation"]) for r in rows}


async def draft_of(invitation_id: int) -> tuple[dict[str, Any], dt.datetime | None] | None:
    """An invitation's saved draft (answers, last saved) or None when nobody has started."""
    row = await Draft.select(Draft.answers, Draft.updated_at).where(
        Draft.invitation == invitation_id).first()
    if row is None:
        return None
    return json_value(row["answers"], {}), aware(row["updated_at"])


async def results_final_at(campaign_id: int) -> dt.datetime | None:
    row = await Campaign.select(Campaign.results_final_at).where(
        Campaign.id == campaign_id).first()
    return aware(row["results_final_at"]) if row else None


async def mark_results_final(campaign_id: int, at: dt.datetime) -> bool:
    """Only a closed campaign whose results are not final yet; False otherwise."""
    rows = await Campaign.update({Campaign.results_final_at: at}).where(
        (Campaign.id == campaign_id) & (Campaign.status == "closed")
        & Campaign.results_final_at.is_null()
    ).returning(Campaign.id)
    return bool(rows)


async def reopen(campaign_id: int) -> bool:
    """closed -> open, atomically, only while the results are not final."""
    rows = await Campaign.update({Campaign.status: "open"}).where(
        (Campaign.id == campaign_id) & (Campaign.status == "closed")
        & Campaign.results_final_at.is_null()
    ).returning(Campaign.id)
    return bool(rows)


async def invitation_ids(campaign_id: int, ids: Sequence[int]) -> set[int]:
    rows = await Invitation.select(Invitation.id).where(
        (Invitation.campaign == campaign_id) & Invitation.id.is_in(list(ids) or [0])
    )
    return {int(r["id"]) for r in rows}
