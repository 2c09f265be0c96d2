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


async def _keys(engine, column: str) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """Per child table of a response: whether its `column` has a foreign key of its own."""
    from piccolo.querystring import QueryString

    keys = {}
    for table in ("answer", "unit_rating", "opinion"):
        if engine.engine_type == "postgres":
            rows = await engine.run_querystring(QueryString(
                "SELECT COUNT(*) AS n FROM pg_constraint WHERE contype = 'f' AND conrelid ="
                " CAST(CAST({} AS TEXT) AS regclass) AND confrelid = CAST(CAST({} AS TEXT) AS"
                " regclass)", table, column))
        else:
            rows = await engine.run_querystring(QueryString(
                "SELECT COUNT(*) AS n FROM pragma_foreign_key_list({}) WHERE \"table\" = {}",
                table, column))
        keys[table] = rows[0]["n"] > 0
    return keys


async def _submitted_campaign(invitations: int):  # type: ignore[no-untyped-def]
    """A campaign with one complete submission per invitation, each with opinions."""
    import random
    import secrets

    from survey_app.demo.answers import simulate_answers
    from survey_app.services.submissions import submit_invitation_response
    from tests.support.campaigns import open_campaign

    campaign = await open_campaign(invitations=invitations)
    for index, token in enumerate(campaign.tokens):
        await submit_invitation_response(token, secrets.token_urlsafe(18), simulate_answers(
            campaign.questionnaire, random.Random(index), opinion_for=lambda unit: "材料太多"))
    return campaign


async def _child_counts() -> list[int]:
    from survey_app.db.tables import Answer, Opinion, UnitRating

    return [await Answer.count(), await UnitRating.count(), await Opinion.count()]


UNKEYED = {"answer": False, "unit_rating": False, "opinion": False}
KEYED = {"answer": True, "unit_rating": True, "opinion": True}


async def test_campaign_copies_lose_their_keys_and_keep_rows_and_indexes(engine) -> None:
    """Migration 0019 (issue 15): answer, unit_rating and opinion keep every row, index and
    other key; only their campaign copy stops being checked per row. Backwards restores it
    (with 0020 before it: the response keys come back too)."""
    from survey_app.db.tables import Answer, Opinion, UnitRating

    await _submitted_campaign(invitations=1)
    stored = await _child_counts()
    assert min(stored) > 0
    assert await _keys(engine, "campaign") == UNKEYED
    await migrate_backwards("2026-12-06T17:20:00:000000")  # 0020 and 0019
    assert await _child_counts() == stored
    assert await _keys(engine, "campaign") == KEYED
    assert await _keys(engine, "response") == KEYED
    await migrate_forwards()
    assert await _keys(engine, "campaign") == UNKEYED
    assert await _child_counts() == stored
    # The indexes came back with the rebuilt tables.
    indexes = await Answer.indexes()
    assert "answer_unit_response_idx" in indexes and "unit_rating_pattern_idx" in \
        await UnitRating.indexes()
    assert "opinion_sentiment_pending_idx" in await Opinion.indexes()
    assert len(await Migration.select().where(Migration.app_name == "survey")) == MIGRATION_COUNT


async def test_child_rows_go_with_their_response_without_per_row_keys(engine) -> None:
    """Migration 0020 (issue 15): the response keys of answer, unit_rating and opinion give
    way to a trigger. Deleting responses deletes their rows and nobody else's, whether one or
    several go in one statement; backwards restores the keys and drops the trigger."""
    from piccolo.querystring import QueryString

    from survey_app.db.tables import Answer, Opinion, Response, UnitRating

    campaign = await _submitted_campaign(invitations=3)
    assert await _keys(engine, "response") == UNKEYED
    ids = [row["id"] for row in await Response.select(Response.id).order_by(Response.id)]

    async def own_rows(response: int) -> list[int]:
        return [await table.count().where(table.response == response)  # type: ignore[attr-defined]
                for table in (Answer, UnitRating, Opinion)]

    first = await own_rows(ids[0])
    assert min(first) > 0
    stored = await _child_counts()
    await Response.delete().where(Response.id == ids[0])
    assert await own_rows(ids[0]) == [0, 0, 0]
    assert await _child_counts() == [n - k for n, k in zip(stored, first, strict=True)]
    kept = await _child_counts()

    await migrate_backwards("2026-12-06T20:20:00:000000")  # 0020 alone
    assert await _keys(engine, "response") == KEYED
    assert await _keys(engine, "campaign") == UNKEYED
    assert await _child_counts() == kept
    trigger_sql = ("SELECT COUNT(*) AS n FROM pg_trigger WHERE tgname = 'response_children_gone'"
                   if engine.engine_type == "postgres" else
                   "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'response_children_gone'")
    assert (await engine.run_querystring(QueryString(trigger_sql)))[0]["n"] == 0
    await migrate_forwards()
    assert await _keys(engine, "response") == UNKEYED
    assert (await engine.run_querystring(QueryString(trigger_sql)))[0]["n"] == 1

    await Response.delete().where(Response.campaign == campaign.campaign_id)  # two at once
    assert await _child_counts() == [0, 0, 0]
    assert len(await Migration.select().where(Migration.app_name == "survey")) == MIGRATION_COUNT
