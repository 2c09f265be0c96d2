"""Hand-written (issue 15): answer, unit_rating and opinion rows go with their response through
a trigger instead of a per-row foreign key.

A submission writes one response and ~65 child rows; PostgreSQL checked each child's key by
a query of its own (a row lock on the response just written in the same statement). The rows
are only ever written by `queries/submission_store.py`, from the response rows of the same
statement or transaction, so those checks could never fail; they took 27 % of PostgreSQL's CPU
per submission (0.52 → 0.38 ms, alternating runs on one database, bench/NOTE_submissions.md).

What the keys did on delete stays: deleting responses (the app never does; an operator might)
deletes their rows, by one statement-level trigger on PostgreSQL and a row trigger on SQLite,
both through the indexes that lead with the campaign. Response ids never change, so ON UPDATE
has nothing to follow. The Piccolo columns stay ForeignKey: the ORM still joins through them.
"""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from survey_app.db.migrations._foreign_keys import engine, set_keys

ID = "2026-12-06T20:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "child rows of a response deleted by a trigger, not checked per row"

TABLES = ("answer", "unit_rating", "opinion")
TRIGGER = "response_children_gone"  # written out in the statements below

_POSTGRES_TRIGGER = (
    "CREATE FUNCTION response_children_gone() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " DELETE FROM answer a USING gone g WHERE a.campaign = g.campaign AND a.response = g.id;"
    " DELETE FROM unit_rating u USING gone g WHERE u.response = g.id;"
    " DELETE FROM opinion o USING gone g WHERE o.campaign = g.campaign AND o.response = g.id;"
    " RETURN NULL; END $$",
    "CREATE TRIGGER response_children_gone AFTER DELETE ON response REFERENCING OLD TABLE AS"
    " gone FOR EACH STATEMENT EXECUTE FUNCTION response_children_gone()",
)
_SQLITE_TRIGGER = (
    "CREATE TRIGGER response_children_gone AFTER DELETE ON response FOR EACH ROW BEGIN"
    " DELETE FROM answer WHERE campaign = OLD.campaign AND response = OLD.id;"
    " DELETE FROM unit_rating WHERE response = OLD.id;"
    " DELETE FROM opinion WHERE campaign = OLD.campaign AND response = OLD.id; END",
)


async def unkeyed() -> None:
    await set_keys(TABLES, "response", keyed=False)
    db = engine()
    for sql in _POSTGRES_TRIGGER if db.engine_type == "postgres" else _SQLITE_TRIGGER:
        await db.run_ddl(sql)


async def keyed() -> None:
    db = engine()
    await db.run_ddl(f"DROP TRIGGER IF EXISTS {TRIGGER}"
                     + (" ON response" if db.engine_type == "postgres" else ""))
    if db.engine_type == "postgres":
        await db.run_ddl(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    await set_keys(TABLES, "response", keyed=True)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_raw(unkeyed)
    manager.add_raw_backwards(keyed)
    return manager
