"""Everything the respondent path reads and writes: invitations by token, drafts, responses.

A submission (response + answer, rating and opinion rows + invitation status) is written in ONE
transaction by `store_submission`; the caller shows "thank you" only after it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import (
    Campaign,
    Draft,
    Invitation,
    Response,
)


@dataclass(frozen=True)
class InvitationContext:
    invitation_id: int | None
    token: str
    invitation_status: str
    stratum: str
    design_weight: float
    campaign_id: int
    campaign_name: str
    campaign_status: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    version_id: int
    definition_hash: str


@dataclass(frozen=True)
class StoredResponse:
    id: int
    submission_id: str
    payload_hash: str
    invitation_id: int | None
    campaign_id: int
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class AnswerRow:
    question: str
    row: str
    unit_code: str
    dimension: str
    level: int | None


@dataclass(frozen=True)
class RatingRow:
    """A response's ratings of one unit (questionnaires/ratings.py)."""

    unit_code: str
    levels: str


@dataclass(frozen=True)
class OpinionRow:
    question: str
    unit_code: str
    text: str
    sentiment: float | None


@dataclass(frozen=True)
class NewResponse:
    campaign_id: int
    version_id: int
    invitation_id: int | None
    submission_id: str
    payload_hash: str
    channel: str
    answers: dict[str, Any]
    stratum: str
    design_weight: float
    started_at: dt.datetime | None
    duration_seconds: int | None
    entered_by: int | None
    device_hash: str
    answer_rows: list[AnswerRow]
    rating_rows: list[RatingRow]
    opinion_rows: list[OpinionRow]


_CONTEXT_COLUMNS = (
    Invitation.id,
    Invitation.token,
    Invitation.status,
    Invitation.stratum,
    Invitation.design_weight,
    Invitation.campaign,
    Invitation.campaign.name.as_alias("c_name"),
    Invitation.campaign.status.as_alias("c_status"),
    Invitation.campaign.opens_at.as_alias("c_opens"),
    Invitation.campaign.closes_at.as_alias("c_closes"),
    Invitation.campaign.version.as_alias("c_version"),
    Invitation.campaign.version.definition_hash.as_alias("v_hash"),  # type: ignore[union-attr]
)


async def find_invitation_context(token: str) -> InvitationContext | None:
    row = await Invitation.select(*_CONTEXT_COLUMNS).where(Invitation.token == token).first()
    if row is None:
        return None
    return InvitationContext(
        invitation_id=row["id"],
        token=row["token"],
        invitation_status=row["status"],
        stratum=row["stratum"],
        design_weight=row["design_weight"],
        campaign_id=row["campaign"],
        campaign_name=row["c_name"],
        campaign_status=row["c_status"],
        opens_at=aware(row["c_opens"]),
        closes_at=aware(row["c_closes"]),
        version_id=row["c_version"],
        definition_hash=row["v_hash"],
    )


async def find_open_link_context(open_token: str) -> InvitationContext | None:
    row = await Campaign.select(
        *Campaign.all_columns(), Campaign.version.definition_hash.as_alias("v_hash")
    ).where(Campaign.open_link_token == open_token).first()
    if row is None:
        return None
    return InvitationContext(
        invitation_id=None,
        token=open_token,
        invitation_status="paused" if row.get("open_link_paused") else "open",
        stratum="",
        design_weight=1.0,
        campaign_id=row["id"],
        campaign_name=row["name"],
        campaign_status=row["status"],
        opens_at=aware(row["opens_at"]),
        closes_at=aware(row["closes_at"]),
        version_id=row["version"],
        definition_hash=row["v_hash"],
    )


async def load_draft(invitation_id: int) -> tuple[dict[str, Any], str]:
    row = await Draft.select(Draft.answers, Draft.section).where(
        Draft.invitation == invitation_id
    ).first()
    if row is None:
        return {}, ""
    return json_value(row["answers"], {}), row["section"]


async def save_draft(invitation_id: int, answers: dict[str, Any], section: str) -> None:
    async with Draft._meta.db.transaction():
        updated = await Draft.update(
            {Draft.answers: answers, Draft.section: section, Draft.updated_at: utcnow()}
        ).where(Draft.invitation == invitation_id).returning(Draft.id)
        if not updated:
            await Draft.insert(Draft(invitation=invitation_id, answers=answers, section=section))


def _stored(row: dict) -> StoredResponse:
    return StoredResponse(
        id=row["id"],
        submission_id=row["submission_id"],
        payload_hash=row["payload_hash"],
        invitation_id=row["invitation"],
        campaign_id=row["campaign"],
        submitted_at=aware(row["submitted_at"]),
    )


_STORED_COLUMNS = (
    Response.id,
    Response.submission_id,
    Response.payload_hash,
    Response.invitation,
    Response.campaign,
    Response.submitted_at,
)


async def find_response_by_submission(submission_id: str) -> StoredResponse | None:
    row = await Response.select(*_STORED_COLUMNS).where(
        Response.submission_id == submission_id
    ).first()
    return _stored(row) if row else None


async def find_response_by_invitation(invitation_id: int) -> StoredResponse | None:
    row = await Response.select(*_STORED_COLUMNS).where(
        Response.invitation == invitation_id
    ).first()
    return _stored(row) if row else None


async def device_has_responded(campaign_id: int, device_hash: str) -> bool:
    return bool(
        await Response.exists().where(
            (Response.campaign == campaign_id) & (Response.device_hash == device_hash)
        )
    )


async def _insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """One parameterised multi-row INSERT: a submission's ~40 answer rows go in one statement
    without building a Piccolo object per row (that was half of the write path's CPU)."""
    placeholders = "(" + ", ".join("{}" for _ in columns) + ")"
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES " + ", ".join(placeholders for _ in rows)  # noqa: S608
    await Response._meta.db.run_querystring(
        QueryString(sql, *[value for row in rows for value in row])
    )


async def store_submission(new: NewResponse) -> StoredResponse:
    """Write the response, its answer and opinion rows and the invitation status atomically.

    Raises the driver's integrity error when the submission id or the invitation already has a
    response (the unique constraints are the final arbiter under concurrency).
    """
    engine: Engine[Any] = Response._meta.db
    async with engine.transaction():
        rows = await Response.insert(
            Response(
                campaign=new.campaign_id,
                version=new.version_id,
                invitation=new.invitation_id,
                submission_id=new.submission_id,
                payload_hash=new.payload_hash,
                channel=new.channel,
                answers=new.answers,
                stratum=new.stratum,
                design_weight=new.design_weight,
                started_at=new.started_at,
                duration_seconds=new.duration_seconds,
                entered_by=new.entered_by,
                device_hash=new.device_hash,
            )
        ).returning(*_STORED_COLUMNS)
        stored = _stored(rows[0])
        if new.answer_rows:
            await _insert_rows(
                "answer",
                ("response", "campaign", "question", "row", "unit_code", "dimension", "level",
                 "stratum", "weight"),
                [(stored.id, new.campaign_id, a.question, a.row, a.unit_code, a.dimension,
                  a.level, new.stratum, new.design_weight) for a in new.answer_rows],
            )
        if new.rating_rows:
            await _insert_rows(
                "unit_rating",
                ("response", "campaign", "unit_code", "stratum", "weight", "levels"),
                [(stored.id, new.campaign_id, r.unit_code, new.stratum, new.design_weight, r.levels)
                 for r in new.rating_rows],
            )
        if new.opinion_rows:
            await _insert_rows(
                "opinion",
                ("response", "campaign", "question", "unit_code", "channel", "text", "sentiment",
                 "theme_locked", "created_at"),
                [(stored.id, new.campaign_id, o.question, o.unit_code, new.channel, o.text,
                  o.sentiment, False, utcnow()) for o in new.opinion_rows],
            )
        if new.invitation_id is not None:
            await Invitation.update(
                {Invitation.status: "responded", Invitation.responded_at: utcnow()}
            ).where(Invitation.id == new.invitation_id)
            await Draft.delete().where(Draft.invitation == new.invitation_id)
    return stored
