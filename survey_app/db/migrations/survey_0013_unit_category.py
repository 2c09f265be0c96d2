"""Hand-written: unit_category, the managed list of unit classes (职能部门, 街道, 园区 …).

Categories already used by units need no row: the service lists them alongside the managed ones.
"""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unit classes as a managed list"


def _params(**extra: object) -> dict[str, object]:
    params: dict[str, object] = {
        "null": False, "primary_key": False, "unique": False, "index": False,
        "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
        "secret": False,
    }
    params.update(extra)
    return params


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_table(class_name="UnitCategory", tablename="unit_category", schema=None,
                      columns=None)
    manager.add_column(
        table_class_name="UnitCategory", tablename="unit_category", column_name="name",
        db_column_name="name", column_class_name="Varchar", column_class=Varchar,
        params=_params(length=32, default="", unique=True), schema=None,
    )
    manager.add_column(
        table_class_name="UnitCategory", tablename="unit_category", column_name="sort_order",
        db_column_name="sort_order", column_class_name="Integer", column_class=Integer,
        params=_params(default=0), schema=None,
    )

    return manager
