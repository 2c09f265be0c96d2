"""Writing a submission: the response, its answer, rating and opinion rows, the invitation's
status and the queued sentiment job, atomically; "thank you" is shown only after
`store_submission` returns. Opinions are stored with sentiment NULL ("not yet computed"): the
"opinions.sentiment" job queued in the same transaction scores them (queries/opinion_sentiment).

A district's links go out at once, so submissions come in bursts: those of one event-loop turn
share their statements (SQLite: in the writer's group commit; PostgreSQL: one statement, one
round trip, one commit), and are written one by one only when one of them breaks a unique
constraint, so that only that one fails.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

from survey_app.db.engine import direct_postgres, direct_sqlite
from survey_app.db.errors import is_unique_violation
from survey_app.db.queries._rows import utcnow
from survey_app.db.queries.opinion_sentiment import ENQUEUE_SQL, ENQUEUE_VALUES
from survey_app.db.queries.submissions import NewResponse, StoredResponse, stored_response
from survey_app.db.tables import Response
from survey_app.db.turn_groups import GroupedWrites

_RESPONSE_COLUMNS = ("campaign", "version", "invitation", "submission_id", "payload_hash",
                     "channel", "answers", "stratum", "design_weight", "started_at",
                     "submitted_at", "duration_seconds", "entered_by", "device_hash")
_RETURNING = " RETURNING id, submission_id, payload_hash, invitation, campaign, submitted_at"


def _insert_sql(table: str, columns: tuple[str, ...], count: int) -> str:
    """A parameterised multi-row INSERT with Piccolo's `{}` placeholders."""
    placeholders = "(" + ", ".join(["{}"] * len(columns)) + ")"
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES " + ", ".join([placeholders] * count)  # noqa: S608


_CHILD_COLUMNS = {
    "answer": ("response", "campaign", "question", "row", "unit_code", "dimension", "level",
               "stratum", "weight"),
    "unit_rating": ("response", "campaign", "unit_code", "stratum", "weight", "levels"),
    "opinion": ("response", "campaign", "question", "unit_code", "channel", "text",
                "theme_locked", "created_at"),
}


def _child_rows(new: NewResponse, response: int, now: dt.datetime) -> dict[str, list[tuple[Any, ...]]]:
    """The answer, rating and opinion rows of a submission, `response` in their first column."""
    return {
        "answer": [(response, new.campaign_id, a.question, a.row, a.unit_code, a.dimension,
                    a.level, new.stratum, new.design_weight) for a in new.answer_rows],
        "unit_rating": [(response, new.campaign_id, r.unit_code, new.stratum, new.design_weight,
                         r.levels) for r in new.rating_rows],
        "opinion": [(response, new.campaign_id, o.question, o.unit_code, new.channel, o.text,
                     False, now) for o in new.opinion_rows],
    }


def _response_values(new: NewResponse) -> list[Any]:
    return [new.campaign_id, new.version_id, new.invitation_id, new.submission_id,
            new.payload_hash, new.channel, json.dumps(new.answers, ensure_ascii=False),
            new.stratum, new.design_weight, new.started_at, utcnow(), new.duration_seconds,
            new.entered_by, new.device_hash]


# A statement's parameters at most (SQLite's limit is 32,766 in older builds, 250,000 here).
MAX_PARAMETERS = 30_000


def _many_rows(sql_for: Callable[[int], str],
               rows: list[tuple[Any, ...]]) -> list[tuple[str, list[Any]]]:
    """Multi-row statements of `rows` (`sql_for(count)`), split under MAX_PARAMETERS."""
    if not rows:
        return []
    per_statement = max(1, MAX_PARAMETERS // len(rows[0]))
    return [(sql_for(len(chunk)), [value for row in chunk for value in row])
            for chunk in (rows[i:i + per_statement] for i in range(0, len(rows), per_statement))]


def _child_statements(news: list[NewResponse], ids: list[int]) -> list[tuple[str, list[Any]]]:
    """What submissions write after their response rows (`ids`): one statement per table for
    them all, with Piccolo's `{}` placeholders."""
    now = utcnow()
    statements: list[tuple[str, list[Any]]] = []
    children = [_child_rows(new, response, now) for new, response in zip(news, ids, strict=True)]
    for table, columns in _CHILD_COLUMNS.items():
        rows = [row for child in children for row in child[table]]
        statements += _many_rows(functools.partial(_insert_sql, table, columns), rows)
    if any(new.opinion_rows for new in news):
        statements.append((ENQUEUE_SQL, list(ENQUEUE_VALUES)))
    invitations = [new.invitation_id for new in news if new.invitation_id is not None]
    return statements + _for_ids(_RESPONDED, invitations, now) + _for_ids(_DRAFTS_GONE, invitations)


_RESPONDED = "UPDATE invitation SET status = 'responded', responded_at = {} WHERE id IN ({ids})"
_DRAFTS_GONE = "DELETE FROM response_draft WHERE invitation IN ({ids})"


def _for_ids(sql: str, ids: list[int], *leading: Any) -> list[tuple[str, list[Any]]]:
    """`sql` for every chunk of `ids` (its `{ids}` a list of placeholders), after `leading`."""
    return [(sql.replace("{ids}", ", ".join(["{}"] * len(chunk))), [*leading, *chunk])
            for chunk in (ids[i:i + MAX_PARAMETERS] for i in range(0, len(ids), MAX_PARAMETERS))]


def _write_sqlite(connection: sqlite3.Connection,
                  news: list[NewResponse]) -> dict[str, dict[str, Any]]:
    """The response rows in one statement, then one statement per table for all of them;
    the stored responses by submission id. Raises on a broken constraint."""
    stored: dict[str, dict[str, Any]] = {}
    for sql, values in _many_rows(
            lambda count: _insert_sql("response", _RESPONSE_COLUMNS, count) + _RETURNING,
            [tuple(_response_values(new)) for new in news]):
        stored.update((row["submission_id"], row)
                      for row in connection.execute(sql.replace("{}", "?"), values))
    for sql, values in _child_statements(news, [stored[new.submission_id]["id"] for new in news]):
        connection.execute(sql.replace("{}", "?"), values)
    return stored


def store_submissions_sqlite(connection: sqlite3.Connection,
                             news: list[NewResponse]) -> list[dict[str, Any] | Exception]:
    """A group of submissions in the group commit (engine.write_grouped). When one of them
    breaks a unique constraint (a replay, a second response for an invitation), the group is
    undone and written again one submission at a time, each in its own savepoint, so that only
    that one fails."""
    connection.execute("SAVEPOINT submissions")
    try:
        stored = _write_sqlite(connection, news)
    except sqlite3.IntegrityError:
        connection.execute("ROLLBACK TO submissions")
        connection.execute("RELEASE submissions")
        return [_store_alone(connection, new) for new in news]
    connection.execute("RELEASE submissions")
    return [stored[new.submission_id] for new in news]


def _store_alone(connection: sqlite3.Connection, new: NewResponse) -> dict[str, Any] | Exception:
    connection.execute("SAVEPOINT submission")
    try:
        row = _write_sqlite(connection, [new])[new.submission_id]
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
        return stored_response(await direct.write_grouped(store_submissions_sqlite, new))
    pool = direct_postgres(engine)
    if pool is not None:
        return stored_response(await _GROUPED_POSTGRES.write(pool, new))
    if engine.engine_type == "postgres":  # inside a transaction
        sql, values = _postgres_statement([new])
        rows = await engine.run_querystring(QueryString(sql, *values))
        return stored_response(rows[0])
    async with engine.transaction():  # SQLite inside an open transaction (the demo's load)
        insert = _insert_sql("response", _RESPONSE_COLUMNS, 1) + _RETURNING
        rows = await engine.run_querystring(QueryString(insert, *_response_values(new)))
        stored = stored_response(rows[0])
        for sql, values in _child_statements([new], [stored.id]):
            await engine.run_querystring(QueryString(sql, *values))
    return stored
