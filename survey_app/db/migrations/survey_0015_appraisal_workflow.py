"""Hand-written: the appraisal workflow (branch appr12).

* indicator_upload / indicator_value: the office's non-survey indicators per appraisal year,
  period, unit and column, with the upload (who, when, which cells changed) that set each value;
* appraisal_run: a 计算 is a draft run; 发布 freezes its results (a snapshot) for units and the
  API; republishing needs a reason;
* appraisal_override_log: every grade override per unit, with the quota exception reason if any;
* appraisal_card: the red/yellow card register with the rectification workflow;
* appraisal_result.quota_reason: why an override was allowed to break the forced distribution.

Its indexes are migration 0012 (Piccolo runs raw steps before the tables of the same migration).
"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    JSONB,
    DoublePrecision,
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

ID = "2026-12-06T12:12:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "appraisal workflow: indicator datasets, draft and published runs, overrides, cards"


def _stub(name: str) -> type[Table]:
    class Stub(Table, tablename=name, schema=None):
        id = Serial(null=False, primary_key=True, unique=False, index=False,
                    index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)

    return Stub


UNIT, USER = _stub("unit"), _stub("app_user")
SCHEME = _stub("appraisal_scheme")
UPLOAD, RUN = _stub("indicator_upload"), _stub("appraisal_run")

_BASE = {"null": False, "primary_key": False, "unique": False, "index": False,
         "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False}


def _fk(references: type[Table], on_delete: OnDelete, null: bool = True) -> dict[str, Any]:
    return {"class": ForeignKey, "references": references, "on_delete": on_delete,
            "on_update": OnUpdate.cascade, "target_column": None, "null": null}


def _varchar(length: int, default: str = "") -> dict[str, Any]:
    return {"class": Varchar, "length": length, "default": default}


JSON_DOC = {"class": JSONB, "default": "{}"}
STAMP = {"class": Timestamptz, "default": TimestamptzNow()}
STAMP_NULL = {"class": Timestamptz, "default": None, "null": True}

TABLES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("IndicatorUpload", "indicator_upload"): {
        "year": {"class": Integer, "default": 0, "index": True},
        "filename": _varchar(200),
        "status": _varchar(16, "pending"),
        "cells": JSON_DOC,
        "summary": JSON_DOC,
        "created_by": _fk(USER, OnDelete.set_null),
        "created_at": STAMP,
        "applied_at": STAMP_NULL,
    },
    ("IndicatorValue", "indicator_value"): {
        "year": {"class": Integer, "default": 0},
        "period": _varchar(16),
        "unit": _fk(UNIT, OnDelete.cascade, null=False),
        "column_name": _varchar(64),
        "value": {"class": DoublePrecision, "default": None, "null": True},
        "upload": _fk(UPLOAD, OnDelete.set_null),
        "updated_at": STAMP,
    },
    ("AppraisalRun", "appraisal_run"): {
        "scheme": _fk(SCHEME, OnDelete.cascade, null=False),
        "year": {"class": Integer, "default": 0, "index": True},
        "status": _varchar(16, "draft"),
        "dataset_upload": {"class": Integer, "default": None, "null": True},
        "inputs_hash": _varchar(64),
        "settings": JSON_DOC,
        "results": JSON_DOC,
        "diff": JSON_DOC,
        "created_by": _fk(USER, OnDelete.set_null),
        "created_at": STAMP,
        "published_by": _fk(USER, OnDelete.set_null),
        "published_at": STAMP_NULL,
        "publish_reason": {"class": Text, "default": ""},
    },
    ("AppraisalOverrideLog", "appraisal_override_log"): {
        "unit": _fk(UNIT, OnDelete.cascade, null=False),
        "year": {"class": Integer, "default": 0},
        "scheme": _fk(SCHEME, OnDelete.set_null),
        "computed_grade": _varchar(16),
        "from_grade": _varchar(16),
        "to_grade": _varchar(16),
        "reason": {"class": Text, "default": ""},
        "quota_reason": {"class": Text, "default": ""},
        "actor_name": _varchar(64),
        "created_at": STAMP,
    },
    ("AppraisalCard", "appraisal_card"): {
        "year": {"class": Integer, "default": 0},
        "unit": _fk(UNIT, OnDelete.cascade, null=False),
        "period": _varchar(16),
        "color": _varchar(8),
        "reason": {"class": Text, "default": ""},
        "run": _fk(RUN, OnDelete.set_null),
        "issued_at": STAMP,
        "deadline": STAMP_NULL,
        "status": _varchar(16, "open"),
        "plan": {"class": Text, "default": ""},
        "plan_at": STAMP_NULL,
        "office_note": {"class": Text, "default": ""},
        "lifted_at": STAMP_NULL,
        "lifted_by": _fk(USER, OnDelete.set_null),
    },
}

async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for column_name, spec in columns.items():
            spec = dict(spec)
            column_class = spec.pop("class")
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=column_name,
                db_column_name=column_name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params={**_BASE, **spec},
                schema=None,
            )
    manager.add_column(
        table_class_name="AppraisalResult",
        tablename="appraisal_result",
        column_name="quota_reason",
        db_column_name="quota_reason",
        column_class_name="Text",
        column_class=Text,
        params={**_BASE, "default": ""},
        schema=None,
    )
    return manager
