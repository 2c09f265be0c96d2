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


async def _campaign_keys(engine) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """Per copy table: whether its campaign column has a foreign key of its own."""
    from piccolo.querystring import QueryString

    from survey_app.db.migrations.survey_0019_campaign_copies import TABLES

    keys = {}
    for table in TABLES:
        if engine.engine_type == "postgres":
            rows = await engine.run_querystring(QueryString(
                "SELECT COUNT(*) AS n FROM pg_constraint WHERE contype = 'f' AND conrelid ="
                " CAST(CAST({} AS TEXT) AS regclass) AND confrelid = CAST('campaign' AS regclass)",
                table))
            keys[table] = rows[0]["n"] > 0
        else:
            rows = await engine.run_querystring(QueryString(
                "SELECT COUNT(*) AS n FROM pragma_foreign_key_list({}) WHERE \"table\" = 'campaign'",
                table))
            keys[table] = rows[0]["n"] > 0
    return keys


async def test_campaign_copies_lose_their_keys_and_keep_rows_and_indexes(engine) -> None:
    """Migration 0019 (issue 15): answer, unit_rating and opinion keep every row, index and
    other key; only their campaign copy stops being checked per row. Backwards restores it."""
    import random
    import secrets

    from survey_app.db.tables import Answer, Opinion, UnitRating
    from survey_app.demo.answers import simulate_answers
    from survey_app.services.submissions import submit_invitation_response
    from tests.support.campaigns import open_campaign

    campaign = await open_campaign(invitations=1)
    await submit_invitation_response(campaign.tokens[0], secrets.token_urlsafe(18), simulate_answers(
        campaign.questionnaire, random.Random(3), opinion_for=lambda unit: "材料太多"))

    async def counts() -> list[int]:
        return [await Answer.count(), await UnitRating.count(), await Opinion.count()]

    stored = await counts()
    assert min(stored) > 0
    assert await _campaign_keys(engine) == {"answer": False, "unit_rating": False, "opinion": False}
    await migrate_backwards("2026-12-06T17:20:00:000000")  # 0019 alone
    assert await counts() == stored
    assert await _campaign_keys(engine) == {"answer": True, "unit_rating": True, "opinion": True}
    await migrate_forwards()
    assert await _campaign_keys(engine) == {"answer": False, "unit_rating": False, "opinion": False}
    assert await counts() == stored
    # The indexes came back with the rebuilt tables, and the response keys still hold.
    indexes = await Answer.indexes()
    assert "answer_unit_response_idx" in indexes and "unit_rating_pattern_idx" in \
        await UnitRating.indexes()
    assert "opinion_sentiment_pending_idx" in await Opinion.indexes()
    assert len(await Migration.select().where(Migration.app_name == "survey")) == MIGRATION_COUNT
