"""Installing the engine for the tables, and bringing the schema up to date."""

from __future__ import annotations

import contextlib
import io
from typing import Any

from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.table import Table

from survey_app import piccolo_conf
from survey_app.db.tables import ALL_TABLES


class MigrationFailed(RuntimeError):
    pass


def install_engine(engine: Engine[Any]) -> None:
    """Point every table (and Piccolo's migration runner) at this engine.

    Tables bind an engine when their class is created; re-binding lets one process (a test
    session, the CLI) choose the database from its own Settings rather than import order.
    """
    piccolo_conf.DB = engine
    tables: list[type[Table]] = [*ALL_TABLES, Migration]
    for table in tables:
        table._meta.db = engine


async def migrate_forwards() -> int:
    """Apply every pending migration; returns how many were applied.

    Piccolo's runner prints its own progress ("9 migrations already complete", then "9 not yet
    run" on an empty database, because it counts before creating its table); the CLI reports
    one consistent line instead.
    """
    before = await _applied_count()
    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards(app_name="survey", migration_id="all")
    if not result.success:
        raise MigrationFailed(f"数据库迁移失败：{result.message}")
    return await _applied_count() - before


async def _applied_count() -> int:
    if not await Migration.table_exists():
        return 0
    return await Migration.count().where(Migration.app_name == "survey")


async def migrate_backwards(migration_id: str = "all") -> None:
    result = await run_backwards(app_name="survey", migration_id=migration_id, auto_agree=True)
    if not result.success:
        raise MigrationFailed(f"数据库回退失败：{result.message}")
