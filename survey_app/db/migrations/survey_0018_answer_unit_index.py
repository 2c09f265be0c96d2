"""Hand-written (issue 15): the answer table's index, in the order submissions append to it.

`answer_scoring_idx` (migration 0002) ordered a campaign's answers by unit, question, row,
stratum and LEVEL before the response, so every answer row of a submission landed at a random
place in it: 5.3 µs of SQLite's time per row against 2.1 µs for an index that orders by unit and
then response (a new submission's rows go to the end of each unit's range). Scores no longer
read that index (they read unit_rating, migration 0009); what reads the answer table now is the
campaign monitor's per-unit counts and the straight-lining check of a score run, which the new
index covers as well (campaign, unit, response, level, question, row).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "answer index in submission order"

NEW = ("answer_unit_response_idx",
       "ON answer (campaign, unit_code, response, level, question, \"row\")")
OLD = ("answer_scoring_idx",
       "ON answer (campaign, unit_code, question, \"row\", stratum, level, weight, response)")


async def _swap(create: tuple[str, str], drop: tuple[str, str]) -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {create[0]} {create[1]}")
    await engine.run_ddl(f"DROP INDEX IF EXISTS {drop[0]}")


async def to_new() -> None:
    await _swap(NEW, OLD)


async def to_old() -> None:
    await _swap(OLD, NEW)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_raw(to_new)
    manager.add_raw_backwards(to_old)
    return manager
