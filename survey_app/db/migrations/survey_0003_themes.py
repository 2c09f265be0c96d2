"""Hand-written: the analyst's hand-over note on a theme (整改转办说明)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-21T22:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "theme hand-over note"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Theme",
        tablename="theme",
        column_name="handover_note",
        db_column_name="handover_note",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
