"""Hand-written: indexes for the second scoring pass and for leaving out excluded responses.

* `answer_response_idx` orders a unit's answers by response, so pass 2 (per-response sums of
  the linearised values, db/queries/scores.py) groups them as it reads, without sorting; it
  covers every column the pass reads. `answer_scoring_idx` (migration 0002) stays for pass 1,
  which SQLite aggregates in that index's order.
* `response_campaign_status_idx` finds a campaign's excluded and partial responses (a few)
  without reading all its complete ones.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-21T22:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "scoring pass-2 and response status indexes"

INDEXES = {
    "answer_response_idx": (
        "INDEX {name} ON answer (campaign, unit_code, response, stratum, weight, question, row, level)"
    ),
    "response_campaign_status_idx": "INDEX {name} ON response (campaign, status)",
}


async def create_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for name, template in INDEXES.items():
        kind, _, rest = template.partition("{name}")
        await engine.run_ddl(f"CREATE {kind}IF NOT EXISTS {name}{rest}")


async def drop_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for name in INDEXES:
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
