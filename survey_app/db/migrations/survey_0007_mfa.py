"""Hand-written: TOTP second factor, recovery codes and step-up re-authentication (issue #7).

* app_user: the sealed TOTP secret, a pending one during (re-)enrolment, when MFA was enabled,
  and the last accepted time step (replay protection).
* mfa_recovery_code: one row per recovery code, a keyed hash, used at most once.
* user_session: when the second factor was verified, and when the password or a code was last
  confirmed (step-up). Sessions that exist before this migration have neither, so a user who
  must use MFA is sent to the second step again: the change fails closed.

Only ADD COLUMN and CREATE TABLE, which SQLite supports as they are.
"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import BigInt, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-21T22:07:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "MFA (TOTP, recovery codes) and step-up re-authentication"


class User(Table, tablename="app_user", schema=None):
    id = Serial(
        null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
        choices=None, db_column_name="id", secret=False,
    )


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


_NULL_TIME = {"default": None, "null": True}

# (table class, table name, column, column class, params)
_COLUMNS: list[tuple[str, str, str, type, dict[str, Any]]] = [
    ("User", "app_user", "mfa_secret", Varchar, _params(length=128, default="")),
    ("User", "app_user", "mfa_pending_secret", Varchar, _params(length=128, default="")),
    ("User", "app_user", "mfa_enabled_at", Timestamptz, _params(**_NULL_TIME)),
    ("User", "app_user", "mfa_last_step", BigInt, _params(default=0)),
    ("UserSession", "user_session", "mfa_verified_at", Timestamptz, _params(**_NULL_TIME)),
    ("UserSession", "user_session", "reauth_at", Timestamptz, _params(**_NULL_TIME)),
    ("MfaRecoveryCode", "mfa_recovery_code", "user", ForeignKey, _params(
        references=User, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade,
        target_column=None, index=True,
    )),
    ("MfaRecoveryCode", "mfa_recovery_code", "code_hash", Varchar, _params(length=64, default="")),
    ("MfaRecoveryCode", "mfa_recovery_code", "created_at", Timestamptz,
     _params(default=TimestamptzNow())),
    ("MfaRecoveryCode", "mfa_recovery_code", "used_at", Timestamptz, _params(**_NULL_TIME)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_table(
        class_name="MfaRecoveryCode", tablename="mfa_recovery_code", schema=None, columns=None
    )
    for table_class, tablename, column, column_class, params in _COLUMNS:
        manager.add_column(
            table_class_name=table_class,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
