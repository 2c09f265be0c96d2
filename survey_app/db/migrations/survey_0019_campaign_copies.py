"""Hand-written (issue 15): no database-level foreign key on the `campaign` copies of answer,
unit_rating and opinion.

Those columns copy their response's campaign so that scores, monitors and themes aggregate one
table. Integrity is kept by what they copy: response.campaign references campaign (ON DELETE
RESTRICT, so a campaign with responses is never deleted) and each row references its response
(ON DELETE CASCADE). The copies' own keys were checked once per row: ~40 checks per submission,
each taking a KEY SHARE lock on the SAME campaign row on PostgreSQL, which serialised a
campaign's concurrent submissions (measured: 1.4x the submissions/s without them), and 1/6 of
SQLite's write. The Piccolo columns stay ForeignKey: the ORM still joins through them.

SQLite cannot drop a constraint: each table is rebuilt from its own CREATE statement without
that clause (nothing references these tables), its rows copied and its indexes made again.
"""

from __future__ import annotations

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-06T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "campaign copies without their own foreign keys"

TABLES = ("answer", "unit_rating", "opinion")
REFERENCE = ' REFERENCES "campaign" ("id") ON DELETE CASCADE ON UPDATE CASCADE'
COLUMN = '"campaign" INTEGER NOT NULL'


def _engine() -> Any:
    engine = engine_finder()
    assert engine is not None
    return engine


async def _postgres(keyed: bool) -> None:
    engine = _engine()
    for table in TABLES:
        if keyed:
            await engine.run_ddl(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_campaign_fkey FOREIGN KEY (campaign)"
                " REFERENCES campaign (id) ON DELETE CASCADE ON UPDATE CASCADE")
            continue
        rows = await engine.run_querystring(QueryString(
            "SELECT conname FROM pg_constraint WHERE conrelid = CAST(CAST({} AS TEXT) AS regclass)"
            " AND confrelid = CAST('campaign' AS regclass) AND contype = 'f'", table))
        for row in rows:
            await engine.run_ddl(f'ALTER TABLE {table} DROP CONSTRAINT "{row["conname"]}"')


async def _sqlite(keyed: bool) -> None:
    engine = _engine()
    for table in TABLES:
        rows = await engine.run_querystring(QueryString(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = {} AND sql IS NOT NULL",
            table))
        create = next(r["sql"] for r in rows if r["type"] == "table")
        if (COLUMN + REFERENCE in create) == keyed:
            continue  # already as wanted
        old, new = (COLUMN, COLUMN + REFERENCE) if keyed else (COLUMN + REFERENCE, COLUMN)
        rebuilt = create.replace(old, new, 1).replace(f'TABLE "{table}"', f'TABLE "{table}__new"', 1)
        await engine.run_ddl(rebuilt)
        await engine.run_ddl(f'INSERT INTO "{table}__new" SELECT * FROM "{table}"')  # noqa: S608 (constant names)
        await engine.run_ddl(f'DROP TABLE "{table}"')
        await engine.run_ddl(f'ALTER TABLE "{table}__new" RENAME TO "{table}"')
        for index in (r for r in rows if r["type"] == "index"):
            await engine.run_ddl(index["sql"])


async def unkeyed() -> None:
    await (_postgres(False) if _engine().engine_type == "postgres" else _sqlite(False))


async def keyed() -> None:
    await (_postgres(True) if _engine().engine_type == "postgres" else _sqlite(True))


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_raw(unkeyed)
    manager.add_raw_backwards(keyed)
    return manager
