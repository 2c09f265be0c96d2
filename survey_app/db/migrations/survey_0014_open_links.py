"""Hand-written: open links that can be paused (campaign.open_link_paused) and drafts of open
-link answers per device (open_draft, keyed by campaign and the device's keyed hash)."""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    JSONB,
    Boolean,
    ForeignKey,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T11:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "pausable open links, open-link drafts per device"


class Campaign(Table, tablename="campaign", schema=None):
    id = Serial(
        null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
        choices=None, db_column_name="id", secret=False,
    )


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
    manager.add_column(
        table_class_name="Campaign", tablename="campaign", column_name="open_link_paused",
        db_column_name="open_link_paused", column_class_name="Boolean", column_class=Boolean,
        params=_params(default=False), schema=None,
    )
    manager.add_table(class_name="OpenDraft", tablename="open_draft", schema=None, columns=None)
    columns = (
        ("campaign", "ForeignKey", ForeignKey, _params(
            references=Campaign, on_delete=OnDelete.cascade,
            on_update=OnUpdate.cascade, target_column=None, index=True)),
        ("key", "Varchar", Varchar, _params(length=160, default="", unique=True)),
        ("answers", "JSONB", JSONB, _params(default="{}")),
        ("section", "Varchar", Varchar, _params(length=64, default="")),
        ("updated_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    )
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="OpenDraft", tablename="open_draft", column_name=name,
            db_column_name=name, column_class_name=class_name, column_class=column_class,
            params=params, schema=None,
        )
    return manager
