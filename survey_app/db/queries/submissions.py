"""Everything the respondent path reads and writes: invitations by token, drafts, responses.

A submission (response + answer, rating and opinion rows + invitation status + the queued
sentiment job) is written atomically by `store_submission`; the caller shows "thank you" only
after it returns. Opinions are stored with sentiment NULL ("not yet computed"): the
"opinions.sentiment" job queued in the same transaction scores them (queries/opinion_sentiment).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, NamedTuple

from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

from survey_app.db.engine import GroupedReads, GroupedWrites, direct_postgres, direct_sqlite
from survey_app.db.errors import is_unique_violation
from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.queries.opinion_sentiment import ENQUEUE_SQL, ENQUEUE_VALUES
from survey_app.db.tables import (
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


_RESPONSE_COLUMNS = ("campaign", "version", "invitation", "submission_id", "payload_hash",
                     "channel", "answers", "stratum", "design_weight", "started_at",
                     "submitted_at", "duration_seconds", "entered_by", "device_hash")
_RETURNING = " RETURNING id, submission_id, payload_hash, invitation, campaign, submitted_at"


def _insert_sql(table: str, columns: tuple[str, ...], count: int, first: str = "{}") -> str:
    """A parameterised multi-row INSERT with Piccolo's `{}` placeholders (`first`: the first
    column's value expression)."""
    placeholders = "(" + ", ".join([first] + ["{}"] * (len(columns) - 1)) + ")"
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES " + ", ".join([placeholders] * count)  # noqa: S608


_CHILD_COLUMNS = {
    "answer": ("response", "campaign", "question", "row", "unit_code", "dimension", "level",
               "stratum", "weight"),
    "unit_rating": ("response", "campaign", "unit_code", "stratum", "weight", "levels"),
    "opinion": ("response", "campaign", "question", "unit_code", "channel", "text",
                "theme_locked", "created_at"),
}


def _child_rows(new: NewResponse, response: Any, now: dt.datetime) -> dict[str, list[tuple[Any, ...]]]:
    """The answer, rating and opinion rows of a submission, `response` in their first column."""
    return {
        "answer": [(response, new.campaign_id, a.question, a.row, a.unit_code, a.dimension,
                    a.level, new.stratum, new.design_weight) for a in new.answer_rows],
        "unit_rating": [(response, new.campaign_id, r.unit_code, new.stratum, new.design_weight,
                         r.levels) for r in new.rating_rows],
        "opinion": [(response, new.campaign_id, o.question, o.unit_code, new.channel, o.text,
                     False, now) for o in new.opinion_rows],
    }


def submission_statements(
    new: NewResponse, response_id: int
) -> list[tuple[str, list[Any]]]:
    """Everything written after the response row, one statement per table: a submission's ~40
    answer rows go in one multi-row INSERT without building a Piccolo object per row."""
    now = utcnow()
    statements = [(_insert_sql(table, _CHILD_COLUMNS[table], len(rows)),
                   [value for row in rows for value in row])
                  for table, rows in _child_rows(new, response_id, now).items() if rows]
    if new.opinion_rows:
        statements.append((ENQUEUE_SQL, list(ENQUEUE_VALUES)))
    if new.invitation_id is not None:
        statements.append(('UPDATE invitation SET status = {}, responded_at = {} WHERE id = {}',
                           ["responded", now, new.invitation_id]))
        statements.append(("DELETE FROM response_draft WHERE invitation = {}",
                           [new.invitation_id]))
    return statements


def _response_values(new: NewResponse) -> list[Any]:
    return [new.campaign_id, new.version_id, new.invitation_id, new.submission_id,
            new.payload_hash, new.channel, json.dumps(new.answers, ensure_ascii=False),
            new.stratum, new.design_weight, new.started_at, utcnow(), new.duration_seconds,
            new.entered_by, new.device_hash]


def _store_sqlite(connection: sqlite3.Connection, new: NewResponse) -> dict[str, Any]:
    """The whole submission in one call to the writer connection, one statement per table."""
    insert = _insert_sql("response", _RESPONSE_COLUMNS, 1) + _RETURNING
    row = connection.execute(insert.replace("{}", "?"), _response_values(new)).fetchone()
    for sql, values in submission_statements(new, row["id"]):
        connection.execute(sql.replace("{}", "?"), values)
    return dict(row)


# A statement's parameters at most (SQLite's limit is 32,766 in older builds, 250,000 here).
MAX_PARAMETERS = 30_000


def _many_rows(sql_for: Any, rows: list[tuple[Any, ...]]) -> list[tuple[str, list[Any]]]:
    """Multi-row statements of `rows`, split to stay under MAX_PARAMETERS."""
    if not rows:
        return []
    per_statement = max(1, MAX_PARAMETERS // len(rows[0]))
    return [(sql_for(len(chunk)), [value for row in chunk for value in row])
            for chunk in (rows[i:i + per_statement] for i in range(0, len(rows), per_statement))]


def _group_statements(news: list[NewResponse], ids: list[int]) -> list[tuple[str, list[Any]]]:
    """What the submissions of a group commit write after their response rows (`ids`), a few
    statements for them all."""
    now = utcnow()
    statements: list[tuple[str, list[Any]]] = []
    children = [_child_rows(new, response, now) for new, response in zip(news, ids, strict=True)]
    for table, columns in _CHILD_COLUMNS.items():
        rows = [row for child in children for row in child[table]]
        statements += _many_rows(lambda n, t=table, c=columns: _insert_sql(t, c, n).replace(
            "{}", "?"), rows)
    if any(new.opinion_rows for new in news):
        statements.append((ENQUEUE_SQL.replace("{}", "?"), list(ENQUEUE_VALUES)))
    invitations = [new.invitation_id for new in news if new.invitation_id is not None]
    return statements + _for_ids(_RESPONDED, invitations, now) + _for_ids(_DRAFTS_GONE, invitations)


_RESPONDED = "UPDATE invitation SET status = 'responded', responded_at = ? WHERE id IN ({ids})"
_DRAFTS_GONE = "DELETE FROM response_draft WHERE invitation IN ({ids})"


def _for_ids(sql: str, ids: list[int], *leading: Any) -> list[tuple[str, list[Any]]]:
    """`sql` for every chunk of `ids` (its `{ids}` a list of placeholders), after `leading`."""
    return [(sql.replace("{ids}", ", ".join("?" * len(chunk))), [*leading, *chunk])
            for chunk in (ids[i:i + MAX_PARAMETERS] for i in range(0, len(ids), MAX_PARAMETERS))]


def store_submissions_sqlite(connection: sqlite3.Connection,
                             news: list[NewResponse]) -> list[dict[str, Any] | Exception]:
    """A group of submissions in the group commit (engine.write_grouped): the response rows in
    one statement, then one statement per table for all of them. When one of them
    breaks a unique constraint (a replay, a second response for an invitation), the group is
    undone and written again one submission at a time, each in its own savepoint, so that only
    that one fails."""
    connection.execute("SAVEPOINT submissions")
    try:
        stored: dict[str, dict[str, Any]] = {}
        for sql, values in _many_rows(
                lambda n: (_insert_sql("response", _RESPONSE_COLUMNS, n) + _RETURNING
                           ).replace("{}", "?"), [tuple(_response_values(new)) for new in news]):
            stored.update((row["submission_id"], row) for row in connection.execute(sql, values))
        ids = [stored[new.submission_id]["id"] for new in news]
        for sql, values in _group_statements(news, ids):
            connection.execute(sql, values)
    except sqlite3.IntegrityError:
        connection.execute("ROLLBACK TO submissions")
        connection.execute("RELEASE submissions")
        return [_store_alone(connection, new) for new in news]
    connection.execute("RELEASE submissions")
    return [stored[new.submission_id] for new in news]


def _store_alone(connection: sqlite3.Connection, new: NewResponse) -> dict[str, Any] | Exception:
    connection.execute("SAVEPOINT submission")
    try:
        row = _store_sqlite(connection, new)
    except sqlite3.Error as error:
        connection.execute("ROLLBACK TO submission")
        connection.execute("RELEASE submission")
        return error
    connection.execute("RELEASE submission")
    return row


# PostgreSQL: the submissions that arrive during one turn of the event loop are written by ONE
# statement (data-modifying CTEs): one round trip, one commit (one WAL flush) for them all, and
# atomic (a unique violation undoes every part; they are then written one by one, so that only
# the offending one fails). Every column comes as an array through unnest(), so the SQL text is
# the same for every group and asyncpg's per-connection statement cache plans it once; child
# rows find their response by its (unique) submission id.
@functools.lru_cache(maxsize=16)
def _numbered(sql: str) -> str:
    """Piccolo's `{}` placeholders as asyncpg's $1, $2, … (asyncpg prepares each text once
    per connection)."""
    pieces = sql.split("{}")
    return "".join(f"{piece}${i}" for i, piece in enumerate(pieces[:-1], start=1)) + pieces[-1]


_GROUP_SQL = (
    'WITH r AS (INSERT INTO response ("campaign", "version", "invitation", "submission_id",'  # noqa: S608
    ' "payload_hash", "channel", "answers", "stratum", "design_weight", "started_at",'
    ' "submitted_at", "duration_seconds", "entered_by", "device_hash")'
    " SELECT c, v, i, s, h, ch, CAST(a AS JSONB), st, w, sa, su, du, eb, dh FROM unnest("
    "CAST({} AS INTEGER[]), CAST({} AS INTEGER[]), CAST({} AS INTEGER[]), CAST({} AS TEXT[]),"
    " CAST({} AS TEXT[]), CAST({} AS TEXT[]), CAST({} AS TEXT[]), CAST({} AS TEXT[]),"
    " CAST({} AS DOUBLE PRECISION[]), CAST({} AS TIMESTAMPTZ[]), CAST({} AS TIMESTAMPTZ[]),"
    " CAST({} AS INTEGER[]), CAST({} AS INTEGER[]), CAST({} AS TEXT[]))"
    " AS t(c, v, i, s, h, ch, a, st, w, sa, su, du, eb, dh)"
    + _RETURNING + ", stratum, design_weight, channel),"
    ' a AS (INSERT INTO answer ("response", "campaign", "question", "row", "unit_code",'
    ' "dimension", "level", "stratum", "weight") SELECT r.id, r.campaign, t.q, t.rw, t.u, t.d,'
    " t.l, r.stratum, r.design_weight FROM unnest(CAST({} AS TEXT[]), CAST({} AS TEXT[]),"
    " CAST({} AS TEXT[]), CAST({} AS TEXT[]), CAST({} AS TEXT[]), CAST({} AS SMALLINT[]))"
    " AS t(sid, q, rw, u, d, l) JOIN r ON r.submission_id = t.sid),"
    ' u AS (INSERT INTO unit_rating ("response", "campaign", "unit_code", "stratum", "weight",'
    ' "levels") SELECT r.id, r.campaign, t.u, r.stratum, r.design_weight, t.lv FROM'
    " unnest(CAST({} AS TEXT[]), CAST({} AS TEXT[]), CAST({} AS TEXT[])) AS t(sid, u, lv)"
    " JOIN r ON r.submission_id = t.sid),"
    ' o AS (INSERT INTO opinion ("response", "campaign", "question", "unit_code", "channel",'
    ' "text", "theme_locked", "created_at") SELECT r.id, r.campaign, t.q, t.u, r.channel, t.tx,'
    " false, r.submitted_at FROM unnest(CAST({} AS TEXT[]), CAST({} AS TEXT[]),"
    " CAST({} AS TEXT[]), CAST({} AS TEXT[])) AS t(sid, q, u, tx)"
    " JOIN r ON r.submission_id = t.sid),"
    " i AS (UPDATE invitation SET status = 'responded', responded_at = r.submitted_at FROM r"
    " WHERE invitation.id = r.invitation),"
    " d AS (DELETE FROM response_draft USING r WHERE response_draft.invitation = r.invitation)"
)
_JOB_CTE = ", j AS (" + ENQUEUE_SQL + ")"
_SELECT_RESPONSE = " SELECT id, submission_id, payload_hash, invitation, campaign, submitted_at FROM r"


def _postgres_statement(news: list[NewResponse]) -> tuple[str, list[Any]]:
    """The group's statement (Piccolo's `{}` placeholders) and its arrays."""
    opinions = any(new.opinion_rows for new in news)
    responses = list(zip(*(_response_values(new) for new in news), strict=True))
    answers = [(new.submission_id, *a) for new in news for a in new.answer_rows]
    ratings = [(new.submission_id, *r) for new in news for r in new.rating_rows]
    texts = [(new.submission_id, *o) for new in news for o in new.opinion_rows]
    values: list[Any] = [list(column) for column in responses]
    for rows, width in ((answers, 6), (ratings, 3), (texts, 4)):
        values += [list(column) for column in zip(*rows, strict=True)] or [[]] * width
    if opinions:
        values += ENQUEUE_VALUES
    return _GROUP_SQL + (_JOB_CTE if opinions else "") + _SELECT_RESPONSE, values


async def store_submissions_postgres(connection: Any,
                                     news: list[NewResponse]) -> list[dict[str, Any] | Exception]:
    """A group of submissions on one pooled asyncpg connection (engine.GroupedWrites)."""
    sql, values = _postgres_statement(news)
    try:
        rows = await connection.fetch(_numbered(sql), *values)
    except Exception as error:
        if not is_unique_violation(error) or len(news) == 1:
            return [error] * len(news)
        return [(await store_submissions_postgres(connection, [new]))[0] for new in news]
    stored = {row["submission_id"]: dict(row) for row in rows}
    return [stored[new.submission_id] for new in news]


_GROUPED_POSTGRES = GroupedWrites(store_submissions_postgres)
_GROUPED_DRAFTS = GroupedWrites(_save_drafts_postgres)


async def store_submission(new: NewResponse) -> StoredResponse:
    """Write the response, its answer, rating and opinion rows, the invitation status and the
    sentiment job atomically: on SQLite in one transaction on the writer connection, one
    statement per table; on PostgreSQL as one statement.

    Raises the driver's integrity error when the submission id or the invitation already has a
    response (the unique constraints are the final arbiter under concurrency).
    """
    engine: Engine[Any] = Response._meta.db
    direct = direct_sqlite(engine)
    if direct is not None:
        return _stored(await direct.write_grouped(store_submissions_sqlite, new))
    pool = direct_postgres(engine)
    if pool is not None:
        return _stored(await _GROUPED_POSTGRES.write(pool, new))
    if engine.engine_type == "postgres":  # inside a transaction
        sql, values = _postgres_statement([new])
        rows = await engine.run_querystring(QueryString(sql, *values))
        return _stored(rows[0])
    async with engine.transaction():  # SQLite inside an open transaction (the demo's load)
        insert = _insert_sql("response", _RESPONSE_COLUMNS, 1) + _RETURNING
        rows = await engine.run_querystring(QueryString(insert, *_response_values(new)))
        stored = _stored(rows[0])
        for sql, values in submission_statements(new, stored.id):
            await engine.run_querystring(QueryString(sql, *values))
    return stored
