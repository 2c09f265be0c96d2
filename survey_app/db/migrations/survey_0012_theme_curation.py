"""Hand-written (themes13): durable curation, rectification threads and analyst word lists.

* `theme_decision`: every analyst decision on a theme; later runs keep such a theme's id and
  opinions.
* `theme_reply`: the rectification thread (replies, acceptance, return) in order.
* `theme_lexicon`: versioned synonyms, stop words and custom words for the next run.
* `opinion.set_aside` (content-free or excluded answers) and `opinion.sentiment_label` (the
  analyst's correction); `theme_run.proposal` (a run awaiting the analyst's confirmation).
"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    JSONB,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T10:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "theme decisions, replies, word lists"


class Theme(Table, tablename="theme", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class AppUser(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


def _params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(overrides)
    return params


def _foreign_key(references: type[Table], on_delete: OnDelete, **overrides: Any) -> dict[str, Any]:
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade,
                   target_column=None, **overrides)


COLUMNS: dict[tuple[str, str], list[tuple[str, Any, dict[str, Any]]]] = {
    ("ThemeDecision", "theme_decision"): [
        ("theme", ForeignKey, _foreign_key(Theme, OnDelete.cascade, index=True)),
        ("kind", Varchar, _params(length=16, default="")),
        ("detail", JSONB, _params(default="{}")),
        ("actor", ForeignKey, _foreign_key(AppUser, OnDelete.set_null, null=True, default=None)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("ThemeReply", "theme_reply"): [
        ("theme", ForeignKey, _foreign_key(Theme, OnDelete.cascade, index=True)),
        ("kind", Varchar, _params(length=16, default="")),
        ("status", Varchar, _params(length=16, default="")),
        ("text", Text, _params(default="")),
        ("actor", ForeignKey, _foreign_key(AppUser, OnDelete.set_null, null=True, default=None)),
        ("actor_name", Varchar, _params(length=64, default="")),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("ThemeLexicon", "theme_lexicon"): [
        ("kind", Varchar, _params(length=16, default="")),
        ("version", Integer, _params(default=1)),
        ("entries", JSONB, _params(default="[]")),
        ("created_by", ForeignKey,
         _foreign_key(AppUser, OnDelete.set_null, null=True, default=None)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
}

NEW_COLUMNS: list[tuple[str, str, str, Any, dict[str, Any]]] = [
    ("Opinion", "opinion", "set_aside", Varchar, _params(length=16, default="")),
    ("Opinion", "opinion", "sentiment_label", Varchar, _params(length=16, default="")),
    ("ThemeRun", "theme_run", "proposal", JSONB, _params(default="{}")),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    for (class_name, tablename), columns in COLUMNS.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name, tablename=tablename, column_name=name,
                db_column_name=name, column_class_name=column_class.__name__,
                column_class=column_class, params=params, schema=None,
            )
    for class_name, tablename, name, column_class, params in NEW_COLUMNS:
        manager.add_column(
            table_class_name=class_name, tablename=tablename, column_name=name,
            db_column_name=name, column_class_name=column_class.__name__,
            column_class=column_class, params=params, schema=None,
        )
    return manager
