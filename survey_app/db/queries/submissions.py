"""What the respondent path reads (invitations and open links by token, responses) and its
drafts; the rows a submission is made of. Submissions are written by queries/submission_store.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any, NamedTuple

from piccolo.querystring import QueryString

from survey_app.db.engine import direct_postgres, direct_sqlite
from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import (
    Draft,
    Invitation,
    Response,
)
from survey_app.db.turn_groups import GroupedReads, GroupedWrites


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


class AnswerRow(NamedTuple):
    question: str
    row: str
    unit_code: str
    dimension: str
    level: int | None


class RatingRow(NamedTuple):
    """A response's ratings of one unit (questionnaires/ratings.py)."""

    unit_code: str
    levels: str


class OpinionRow(NamedTuple):
    """A free-text opinion, already masked (services/submissions.prepare_answers)."""

    question: str
    unit_code: str
    text: str


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


_LINK_STATE_SQL = (
    "SELECT i.token, i.id, i.status, i.stratum, i.design_weight, i.campaign, c.name AS c_name,"
    " c.status AS c_status, c.opens_at AS c_opens, c.closes_at AS c_closes,"
    " c.version AS c_version, v.definition_hash AS v_hash, d.answers AS d_answers,"
    " d.section AS d_section"
    " FROM invitation i JOIN campaign c ON c.id = i.campaign"
    " JOIN questionnaire_version v ON v.id = c.version"
    " LEFT JOIN response_draft d ON d.invitation = i.id"
    " WHERE i.token = {}"
)


async def find_link_state(token: str) -> tuple[InvitationContext, dict[str, Any], str] | None:
    """The invitation, its campaign, version hash and saved draft in ONE query, as plain rows
    (no Piccolo objects: this runs on every respondent page)."""
    rows = await _point_read(_LINK_STATE_SQL, token, _LINK_STATES)
    if not rows:
        return None
    row = rows[0]
    context = InvitationContext(
        invitation_id=row["id"],
        token=token,
        invitation_status=row["status"],
        stratum=row["stratum"],
        design_weight=row["design_weight"],
        campaign_id=row["campaign"],
        campaign_name=row["c_name"],
        campaign_status=row["c_status"],
        opens_at=aware(_timestamp(row["c_opens"])),
        closes_at=aware(_timestamp(row["c_closes"])),
        version_id=row["c_version"],
        definition_hash=row["v_hash"],
    )
    return context, json_value(row["d_answers"], {}), row["d_section"] or ""


def _timestamp(value: Any) -> dt.datetime | None:
    """A timestamp column from a raw query: a datetime, or ISO text on some drivers."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


_OPEN_LINK_SQL = (
    "SELECT c.open_link_token, c.id, c.name, c.status, c.opens_at, c.closes_at, c.version,"
    " c.open_link_paused, v.definition_hash AS v_hash"
    " FROM campaign c JOIN questionnaire_version v ON v.id = c.version"
    " WHERE c.open_link_token = {}"
)


def _grouped(sql: str, key: str) -> GroupedReads:
    """The statement answering many point reads of `sql` at once (PostgreSQL)."""
    return GroupedReads(sql.replace("= {}", "= ANY($1::text[])"), key)


_LINK_STATES = _grouped(_LINK_STATE_SQL, "token")
_OPEN_LINKS = _grouped(_OPEN_LINK_SQL, "open_link_token")


async def _point_read(sql: str, value: Any, grouped: GroupedReads) -> list[dict[str, Any]]:
    """One indexed read with one parameter, as plain rows (the respondent pages' hot path):
    on SQLite on the event loop's thread, on PostgreSQL grouped with the reads of the same
    turn of the loop."""
    engine = Invitation._meta.db
    direct = direct_sqlite(engine)
    if direct is not None:
        return direct.select_now(sql.replace("{}", "?"), [value])
    pool = direct_postgres(engine)
    if pool is not None:
        row = await grouped.read(pool, value)
        return [] if row is None else [row]
    return await engine.run_querystring(QueryString(sql, value))  # type: ignore[no-any-return]


async def find_open_link_context(open_token: str) -> InvitationContext | None:
    rows = await _point_read(_OPEN_LINK_SQL, open_token, _OPEN_LINKS)
    if not rows:
        return None
    row = rows[0]
    return InvitationContext(
        invitation_id=None,
        token=open_token,
        invitation_status="paused" if row["open_link_paused"] else "open",
        stratum="",
        design_weight=1.0,
        campaign_id=row["id"],
        campaign_name=row["name"],
        campaign_status=row["status"],
        opens_at=aware(_timestamp(row["opens_at"])),
        closes_at=aware(_timestamp(row["closes_at"])),
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


_UPSERT_DRAFT = (" ON CONFLICT (invitation) DO UPDATE SET answers = excluded.answers,"
                 " section = excluded.section, updated_at = excluded.updated_at")
_SAVE_DRAFT_SQL = ("INSERT INTO response_draft (invitation, answers, section, updated_at)"  # noqa: S608
                   " VALUES ({}, {}, {}, {})" + _UPSERT_DRAFT)
_SAVE_DRAFTS_POSTGRES = (
    "INSERT INTO response_draft (invitation, answers, section, updated_at)"  # noqa: S608
    " SELECT i, CAST(a AS JSONB), s, u FROM unnest(CAST($1 AS INTEGER[]), CAST($2 AS TEXT[]),"
    " CAST($3 AS TEXT[]), CAST($4 AS TIMESTAMPTZ[])) AS t(i, a, s, u)" + _UPSERT_DRAFT
)


async def save_draft(invitation_id: int, answers_json: str, section: str) -> None:
    """An upsert on the unique invitation. Every 下一页 of every respondent saves one, so the
    drafts of one event-loop turn share one statement (SQLite: in the writer's group commit;
    PostgreSQL: one round trip). `answers_json`: the draft as services.submissions made and
    measured it."""
    draft = (invitation_id, answers_json, section, utcnow())
    engine = Draft._meta.db
    direct = direct_sqlite(engine)
    if direct is not None:
        await direct.write_grouped(_save_drafts_sqlite, draft)
        return
    pool = direct_postgres(engine)
    if pool is not None:
        await _GROUPED_DRAFTS.write(pool, draft)
        return
    await engine.run_querystring(QueryString(_SAVE_DRAFT_SQL, *draft))


def _latest(drafts: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One draft per invitation, the last saved (one statement cannot upsert a row twice)."""
    return list({draft[0]: draft for draft in drafts}.values())


def _save_drafts_sqlite(connection: sqlite3.Connection, drafts: list[tuple[Any, ...]]) -> list[Any]:
    rows = _latest(drafts)
    sql = ("INSERT INTO response_draft (invitation, answers, section, updated_at) VALUES "  # noqa: S608
           + ", ".join(["(?, ?, ?, ?)"] * len(rows)) + _UPSERT_DRAFT)
    try:
        connection.execute("SAVEPOINT drafts")
        connection.execute(sql, [value for row in rows for value in row])
        connection.execute("RELEASE drafts")
    except sqlite3.Error as error:  # e.g. an invitation deleted meanwhile: the others still save
        connection.execute("ROLLBACK TO drafts")
        connection.execute("RELEASE drafts")
        if len(drafts) == 1:
            return [error]
        return [_save_drafts_sqlite(connection, [draft])[0] for draft in drafts]
    return [None] * len(drafts)


async def _save_drafts_postgres(connection: Any, drafts: list[tuple[Any, ...]]) -> list[Any]:
    rows = _latest(drafts)
    try:
        await connection.execute(_SAVE_DRAFTS_POSTGRES, *map(list, zip(*rows, strict=True)))
    except Exception as error:  # e.g. an invitation deleted meanwhile: the others still save
        if len(drafts) == 1:
            return [error]
        return [(await _save_drafts_postgres(connection, [draft]))[0] for draft in drafts]
    return [None] * len(drafts)


def stored_response(row: dict) -> StoredResponse:
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
    return stored_response(row) if row else None


async def find_response_by_invitation(invitation_id: int) -> StoredResponse | None:
    row = await Response.select(*_STORED_COLUMNS).where(
        Response.invitation == invitation_id
    ).first()
    return stored_response(row) if row else None


async def device_has_responded(campaign_id: int, device_hash: str) -> bool:
    return bool(
        await Response.exists().where(
            (Response.campaign == campaign_id) & (Response.device_hash == device_hash)
        )
    )


_GROUPED_DRAFTS = GroupedWrites(_save_drafts_postgres)
