"""Hand-written: the audit log's hash chain (prev_hash, entry_hash).

Entries written before this migration keep empty hashes: they form an unchained head that
`survey-app audit-verify` counts and reports; the chain starts with the first entry after it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-21T22:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit log hash chain"


def _hash_column_params() -> dict:
    return {
        "length": 64,
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    for name in ("prev_hash", "entry_hash"):
        manager.add_column(
            table_class_name="AuditLog",
            tablename="audit_log",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params=_hash_column_params(),
            schema=None,
        )
    return manager
