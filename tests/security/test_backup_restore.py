"""Restore drill on the engine under test: data, backup (while writing), wipe, restore, compare."""

from __future__ import annotations

import asyncio
import random
import stat
from pathlib import Path

import pytest

from survey_app.commands.backup import PG_CUSTOM_MAGIC, SQLITE_MAGIC, backup, restore
from survey_app.db.queries import audit
from survey_app.db.tables import ALL_TABLES, AuditLog, Response
from survey_app.demo.answers import simulate_answers
from survey_app.services.submissions import submit_invitation_response
from tests.conftest import _truncate_all
from tests.support.campaigns import open_campaign


async def _fill() -> None:
    campaign = await open_campaign(invitations=4)
    for i, token in enumerate(campaign.tokens[:3]):
        answers = simulate_answers(campaign.questionnaire, random.Random(i),
                                   opinion_for=lambda unit: "窗口排队时间太长，希望增加自助机")
        await submit_invitation_response(token, f"drill-submission-{i:04d}", answers)
    await audit.record_event("test.drill", actor_id=None, actor_name="管理员", detail={"n": 1})


async def _counts() -> dict[str, int]:
    return {t._meta.tablename: await t.count() for t in ALL_TABLES}


async def _response_answers() -> dict[str, object]:
    rows = await Response.select(Response.submission_id, Response.answers).order_by(Response.id)
    return {r["submission_id"]: r["answers"] for r in rows}


async def test_restore_drill_brings_back_every_row_and_answer(db, run_cli, tmp_path) -> None:
    await _fill()
    out = tmp_path / "drill.backup"

    async def keep_writing() -> None:
        for i in range(30):
            await audit.record_event("test.during_backup", actor_id=None, actor_name="w",
                                     detail={"i": i})

    result, _ = await asyncio.gather(run_cli(backup, str(out)), keep_writing())
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output and out.exists()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not Path(str(out) + ".partial").exists()
    audit_at_most = await AuditLog.count()

    # Take the expected state from the backup itself: restore it once, read it, wipe, restore.
    await _truncate_all(db)
    first = await run_cli(restore, str(out))
    assert first.exit_code == 0, first.output
    expected_counts = await _counts()
    expected_answers = await _response_answers()
    assert expected_counts["response"] == 3 and expected_counts["answer"] > 0
    assert expected_counts["opinion"] >= 3
    assert 1 <= expected_counts["audit_log"] <= audit_at_most

    await _truncate_all(db)
    assert (await _counts())["response"] == 0
    again = await run_cli(restore, str(out))
    assert again.exit_code == 0, again.output
    assert await _counts() == expected_counts
    assert await _response_answers() == expected_answers
    assert (await audit.verify_chain()).ok  # a consistent snapshot keeps the chain whole


async def test_backup_matches_the_data_at_backup_time(db, run_cli, tmp_path) -> None:
    await _fill()
    before = await _counts()
    answers = await _response_answers()
    out = tmp_path / "plain.backup"
    assert (await run_cli(backup, str(out))).exit_code == 0
    await _truncate_all(db)
    assert (await run_cli(restore, str(out))).exit_code == 0
    assert await _counts() == before
    assert await _response_answers() == answers


async def test_restore_refuses_a_database_with_data_unless_forced(db, run_cli, tmp_path) -> None:
    await _fill()
    out = tmp_path / "guard.backup"
    assert (await run_cli(backup, str(out))).exit_code == 0
    campaign = await open_campaign(invitations=1)
    answers = simulate_answers(campaign.questionnaire, random.Random(9))
    await submit_invitation_response(campaign.tokens[0], "after-backup-0000001", answers)
    refused = await run_cli(restore, str(out))
    assert refused.exit_code == 1
    assert "已有数据" in refused.output and "--force" in refused.output
    assert await Response.count() == 4  # untouched
    forced = await run_cli(restore, str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert await Response.count() == 3
    assert await Response.count().where(Response.submission_id == "after-backup-0000001") == 0


async def test_backup_never_overwrites_an_existing_file(db, run_cli, tmp_path) -> None:
    out = tmp_path / "exists.backup"
    out.write_bytes(b"older backup")
    result = await run_cli(backup, str(out))
    assert result.exit_code == 1 and "已存在" in result.output
    assert out.read_bytes() == b"older backup"


async def test_restore_rejects_foreign_and_other_engine_files(db, run_cli, settings,
                                                            tmp_path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("这不是备份", encoding="utf-8")
    result = await run_cli(restore, str(junk))
    assert result.exit_code == 1 and "不是本系统的备份文件" in result.output
    other = tmp_path / "other.backup"
    other.write_bytes((PG_CUSTOM_MAGIC if settings.is_sqlite else SQLITE_MAGIC) + b"\0" * 100)
    mismatch = await run_cli(restore, str(other))
    assert mismatch.exit_code == 1 and "无法直接恢复" in mismatch.output


def test_missing_pg_dump_is_explained_in_chinese(monkeypatch) -> None:
    from survey_app.commands import backup as module

    monkeypatch.setattr(module.shutil, "which", lambda tool: None)
    with pytest.raises(module.BackupError, match=r"未找到 pg_dump 命令.*postgresql-client"):
        module._run_pg_tool("pg_dump", [], "postgresql://survey:secret@db:5432/survey")


def test_password_goes_to_the_environment_not_the_command_line() -> None:
    from survey_app.commands.backup import _pg_connection

    url, env = _pg_connection("postgresql://survey:s%40cret@db.local:5433/survey?sslmode=require")
    assert url == "postgresql://survey@db.local:5433/survey?sslmode=require"
    assert env["PGPASSWORD"] == "s@cret"
