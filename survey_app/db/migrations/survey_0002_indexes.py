"""Hand-written: composite unique constraints and the covering index for score aggregation.

Unique indexes instead of ALTER TABLE … ADD CONSTRAINT so the same migration runs on SQLite and
PostgreSQL; `IF NOT EXISTS` lets an installation that crashed half-way re-run it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-21T21:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes and scoring indexes"

INDEXES = {
    "questionnaire_version_no_key": (
        "UNIQUE INDEX {name} ON questionnaire_version (questionnaire, version_no)"
    ),
    "unit_score_run_unit_key": "UNIQUE INDEX {name} ON unit_score (run, unit)",
    "appraisal_scheme_version_key": "UNIQUE INDEX {name} ON appraisal_scheme (year, version_no)",
    "appraisal_result_unit_key": "UNIQUE INDEX {name} ON appraisal_result (scheme, unit)",
    # Covers the GROUP BY of unit indices so it never touches the table itself.
    "answer_scoring_idx": (
        "INDEX {name} ON answer "
        "(campaign, unit_code, question, row, stratum, level, weight, response)"
    ),
    "invitation_campaign_status_idx": "INDEX {name} ON invitation (campaign, status)",
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
