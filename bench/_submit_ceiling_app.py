"""The ceiling for final submissions: a bare Litestar app (same venv, same uvicorn, 1 worker)
that takes the same form POST as the real server and writes what a complete submission must:
one response row holding the answers as JSON and one answer row per answered field, in ONE
transaction (two statements; the answer rows in one multi-row INSERT). No validation, no
masking, no CSRF, no template: the database and HTTP alone. bench/submit_load.py --final
serves it beside the real server and reports the real figure as a ratio of it.

CEILING_DATABASE_URL: sqlite:///<file> (one sqlite3 connection, WAL + synchronous=NORMAL,
used on the event loop: the fastest Python path, see shared/research/performance.md) or
postgresql://… (an asyncpg pool of 20 connections, what Piccolo's PostgresEngine wraps).
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

from litestar import Litestar, Request, Response, get, post

URL = os.environ["CEILING_DATABASE_URL"]
_state: dict[str, Any] = {}

_TABLES = (
    "CREATE TABLE IF NOT EXISTS ceiling_response (id {serial} PRIMARY KEY, sid TEXT UNIQUE,"
    " answers {json}, submitted_at {ts})",
    "CREATE TABLE IF NOT EXISTS ceiling_answer (id {serial} PRIMARY KEY, response BIGINT,"
    " question TEXT, value TEXT)",
)


async def startup() -> None:
    if URL.startswith("sqlite"):
        connection = sqlite3.connect(URL.removeprefix("sqlite:///"), isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "busy_timeout = 10000"):
            connection.execute(f"PRAGMA {pragma}")
        for sql in _TABLES:
            connection.execute(sql.format(serial="INTEGER", json="TEXT", ts="TEXT"))
        _state["sqlite"] = connection
    else:
        import asyncpg

        pool = await asyncpg.create_pool(URL, min_size=20, max_size=20)
        assert pool is not None
        async with pool.acquire() as connection:
            for sql in _TABLES:
                await connection.execute(sql.format(serial="BIGSERIAL", json="JSONB",
                                                    ts="TIMESTAMPTZ DEFAULT now()"))
        _state["pool"] = pool


async def shutdown() -> None:
    if "pool" in _state:
        await _state["pool"].close()


def _placeholders(count: int, width: int, dollar: bool) -> str:
    if not dollar:
        return ", ".join(["(" + ", ".join("?" * width) + ")"] * count)
    return ", ".join("(" + ", ".join(f"${1 + i * width + k}" for k in range(width)) + ")"
                     for i in range(count))


@get("/healthz")
async def healthz() -> str:
    return "ok"


@post("/s/{token:str}", status_code=200)
async def submit(request: Request, token: str) -> Response[str]:
    form = await request.form()
    answers: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if not key.startswith("_"):
            answers.setdefault(key, []).append(str(value))
    sid = str(form.get("_submission_id", ""))
    payload = json.dumps(answers, ensure_ascii=False)
    if "sqlite" in _state:
        db: sqlite3.Connection = _state["sqlite"]
        db.execute("BEGIN IMMEDIATE")
        try:
            rid = db.execute("INSERT INTO ceiling_response (sid, answers, submitted_at) VALUES"
                             " (?, ?, datetime('now')) RETURNING id", (sid, payload)).fetchone()[0]
            db.execute("INSERT INTO ceiling_answer (response, question, value) VALUES "
                       + _placeholders(len(answers), 3, dollar=False),
                       [x for k, v in answers.items() for x in (rid, k, ",".join(v))])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    else:
        async with _state["pool"].acquire() as connection, connection.transaction():
            rid = await connection.fetchval(
                "INSERT INTO ceiling_response (sid, answers) VALUES ($1, $2) RETURNING id",
                sid, payload)
            await connection.execute(
                "INSERT INTO ceiling_answer (response, question, value) VALUES "
                + _placeholders(len(answers), 3, dollar=True),
                *[x for k, v in answers.items() for x in (rid, k, ",".join(v))])
    return Response(f"<p>回执编号：<b>{rid:06d}</b></p>", media_type="text/html; charset=utf-8")


app = Litestar(route_handlers=[healthz, submit], on_startup=[startup], on_shutdown=[shutdown])
