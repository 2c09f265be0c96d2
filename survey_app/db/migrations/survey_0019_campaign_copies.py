"""Hand-written (issue 15): no database-level foreign key on the `campaign` copies of answer,
unit_rating and opinion.

Those columns copy their response's campaign so that scores, monitors and themes aggregate one
table. Integrity is kept by what they copy: response.campaign references campaign (ON DELETE
RESTRICT, so a campaign with responses is never deleted) and each row goes with its response
(ON DELETE CASCADE; a trigger since 0020). The copies' own keys were checked once per row: ~40
checks per submission, each taking a KEY SHARE lock on the SAME campaign row on PostgreSQL,
which serialised a campaign's concurrent submissions (measured: 1.4x the submissions/s without
them), and 1/6 of SQLite's write. The Piccolo columns stay ForeignKey: the ORM still joins through them.

The mechanics are in `_foreign_keys.py` (shared with 0020).
"""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from survey_app.db.migrations._foreign_keys import set_keys

ID = "2026-12-06T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "campaign copies without their own foreign keys"

TABLES = ("answer", "unit_rating", "opinion")


async def unkeyed() -> None:
    await set_keys(TABLES, "campaign", keyed=False)


async def keyed() -> None:
    await set_keys(TABLES, "campaign", keyed=True)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_raw(unkeyed)
    manager.add_raw_backwards(keyed)
    return manager
