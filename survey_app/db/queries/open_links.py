"""Open links (posters): the campaign's token and pause flag, and drafts per device."""

from __future__ import annotations

from typing import Any

from survey_app.db.queries._rows import json_value, utcnow
from survey_app.db.tables import Campaign, OpenDraft


async def open_link_state(campaign_id: int) -> tuple[str | None, bool]:
    row = await Campaign.select(Campaign.open_link_token, Campaign.open_link_paused).where(
        Campaign.id == campaign_id).first()
    if row is None:
        return None, False
    return row["open_link_token"], bool(row["open_link_paused"])


async def set_token(campaign_id: int, token: str) -> bool:
    """Only when the campaign has no open link yet."""
    rows = await Campaign.update({Campaign.open_link_token: token, Campaign.open_link_paused: False}
                                 ).where((Campaign.id == campaign_id)
                                         & Campaign.open_link_token.is_null()
                                         ).returning(Campaign.id)
    return bool(rows)


async def set_paused(campaign_id: int, paused: bool) -> bool:
    rows = await Campaign.update({Campaign.open_link_paused: paused}).where(
        (Campaign.id == campaign_id) & Campaign.open_link_token.is_not_null()
    ).returning(Campaign.id)
    return bool(rows)


async def revoke(campaign_id: int) -> None:
    await Campaign.update({Campaign.open_link_token: None, Campaign.open_link_paused: False}
                          ).where(Campaign.id == campaign_id)
    await OpenDraft.delete().where(OpenDraft.campaign == campaign_id)


async def load_draft(key: str) -> tuple[dict[str, Any], str]:
    row = await OpenDraft.select(OpenDraft.answers, OpenDraft.section).where(
        OpenDraft.key == key).first()
    if row is None:
        return {}, ""
    return json_value(row["answers"], {}), row["section"]


async def save_draft(campaign_id: int, key: str, answers: dict[str, Any], section: str) -> None:
    async with OpenDraft._meta.db.transaction():
        updated = await OpenDraft.update(
            {OpenDraft.answers: answers, OpenDraft.section: section, OpenDraft.updated_at: utcnow()}
        ).where(OpenDraft.key == key).returning(OpenDraft.id)
        if not updated:
            await OpenDraft.insert(OpenDraft(campaign=campaign_id, key=key, answers=answers,
                                             section=section))


async def delete_draft(key: str) -> None:
    await OpenDraft.delete().where(OpenDraft.key == key)
