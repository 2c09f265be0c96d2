"""Migrations run forwards, backwards and forwards again on the engine under test."""

from pathlib import Path

from piccolo.apps.migrations.tables import Migration

from survey_app.db import migrations
from survey_app.db.connection import migrate_backwards, migrate_forwards
from survey_app.db.tables import ALL_TABLES, Response

# Counted from the files so that engineers adding migrations in parallel need not edit this test.
MIGRATION_COUNT = len(list(Path(migrations.__file__).parent.glob("survey_[0-9][0-9][0-9][0-9]_*.py")))


async def _existing_tables() -> set[str]:
    return {t._meta.tablename for t in ALL_TABLES if await t.table_exists()}


async def test_backwards_removes_the_schema_and_forwards_restores_it(engine) -> None:
    assert await _existing_tables() == {t._meta.tablename for t in ALL_TABLES}
    await migrate_backwards("all")
    assert await _existing_tables() == set()
    await migrate_forwards()
    assert await _existing_tables() == {t._meta.tablename for t in ALL_TABLES}
    assert len(await Migration.select().where(Migration.app_name == "survey")) == MIGRATION_COUNT
    assert await Response.count() == 0


async def test_forwards_is_idempotent(engine) -> None:
    await migrate_forwards()
    await migrate_forwards()
    assert len(await Migration.select().where(Migration.app_name == "survey")) == MIGRATION_COUNT


async def test_mfa_migration_adds_its_columns_and_table(engine) -> None:
    from survey_app.db.tables import MfaRecoveryCode, User, UserSession

    assert (Path(migrations.__file__).parent / "survey_0007_mfa.py").exists()
    await migrate_backwards("2026-11-21T22:07:00:000000")  # 0007 alone, backwards
    assert not await MfaRecoveryCode.table_exists()
    await migrate_forwards()
    assert await MfaRecoveryCode.table_exists()
    # the new columns are there and readable (a SELECT naming them fails otherwise)
    await User.select(User.mfa_secret, User.mfa_pending_secret, User.mfa_enabled_at,
                      User.mfa_last_step)
    await UserSession.select(UserSession.mfa_verified_at, UserSession.reauth_at)
    assert len(await Migration.select().where(Migration.app_name == "survey")) == MIGRATION_COUNT
