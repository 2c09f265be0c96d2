"""Dropping and restoring a column's foreign key on both engines, for hand-written migrations
(0019, 0020). Not a migration itself: it has no ID, so Piccolo's loader skips it.

PostgreSQL drops the constraint by what it references and adds it back by name. SQLite cannot
drop a constraint: the table is rebuilt from its own CREATE statement without that clause
(nothing references these tables), its rows copied and its indexes made again.
"""

from __future__ import annotations

from typing import Any

from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

_ACTIONS = " ON DELETE CASCADE ON UPDATE CASCADE"


def engine() -> Any:
    found = engine_finder()
    assert found is not None
    return found


async def set_keys(tables: tuple[str, ...], column: str, keyed: bool) -> None:
    """Give each table's `column` a foreign key to the table of the same name (keyed=True), or
    take it away; a table already as wanted is left alone."""
    run = _postgres if engine().engine_type == "postgres" else _sqlite
    for table in tables:
        await run(table, column, keyed)


async def _postgres(table: str, column: str, keyed: bool) -> None:
    db = engine()
    rows = await db.run_querystring(QueryString(
        "SELECT conname FROM pg_constraint WHERE conrelid = CAST(CAST({} AS TEXT) AS regclass)"
        " AND confrelid = CAST(CAST({} AS TEXT) AS regclass) AND contype = 'f'", table, column))
    if not keyed:
        for row in rows:
            await db.run_ddl(f'ALTER TABLE {table} DROP CONSTRAINT "{row["conname"]}"')
    elif not rows:
        await db.run_ddl(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY"
                         f" ({column}) REFERENCES {column} (id)" + _ACTIONS)


async def _sqlite(table: str, column: str, keyed: bool) -> None:
    db = engine()
    rows = await db.run_querystring(QueryString(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = {} AND sql IS NOT NULL",
        table))
    create = next(r["sql"] for r in rows if r["type"] == "table")
    bare = f'"{column}" INTEGER NOT NULL'
    with_key = f'{bare} REFERENCES "{column}" ("id")' + _ACTIONS
    if (with_key in create) == keyed:
        return  # already as wanted
    old, new = (bare, with_key) if keyed else (with_key, bare)
    rebuilt = create.replace(old, new, 1).replace(f'TABLE "{table}"', f'TABLE "{table}__new"', 1)
    await db.run_ddl(rebuilt)
    await db.run_ddl(f'INSERT INTO "{table}__new" SELECT * FROM "{table}"')  # noqa: S608 (constant names)
    await db.run_ddl(f'DROP TABLE "{table}"')
    await db.run_ddl(f'ALTER TABLE "{table}__new" RENAME TO "{table}"')
    for index in (r for r in rows if r["type"] == "index"):
        await db.run_ddl(index["sql"])
