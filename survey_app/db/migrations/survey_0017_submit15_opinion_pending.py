"""Hand-written (branch submit15): a partial index over the opinions whose sentiment is not yet
computed. Submissions store opinions with sentiment NULL and the "opinions.sentiment" job scores
them after the commit; the index lets the job find them without scanning every opinion (it only
ever holds the few rows still waiting)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T14:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index of opinions awaiting their sentiment"

NAME = "opinion_sentiment_pending_idx"


async def create_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON opinion (id) WHERE sentiment IS NULL")


async def drop_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(f"DROP INDEX IF EXISTS {NAME}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
