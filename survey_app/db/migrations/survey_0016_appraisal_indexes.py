"""Hand-written: indexes of the appraisal workflow tables made by migration 0011 (branch appr12)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T12:12:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "appraisal workflow indexes"

INDEXES = {
    "indicator_value_cell_key": "UNIQUE INDEX {name} ON indicator_value (year, period, unit, column_name)",
    "appraisal_card_unit_idx": "INDEX {name} ON appraisal_card (unit, status)",
    "appraisal_override_log_unit_idx": "INDEX {name} ON appraisal_override_log (unit, year)",
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
