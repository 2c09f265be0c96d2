"""The audit log is a hash chain: edits, deletions and insertions are found; appends race safely."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from survey_app.commands.audit import audit_verify
from survey_app.db.queries import audit
from survey_app.db.tables import AuditLog


async def _record(count: int, prefix: str = "event") -> None:
    for i in range(count):
        await audit.record_event(
            f"test.{prefix}", actor_id=None, actor_name="张三", target=f"对象{i}", ip="10.0.0.1",
            detail={"数量": i, "比例": 0.25, "整数浮点": 2.0, "大数": 1e20, "列表": [1, "二", None],
                    "嵌套": {"b": 1, "a": "甲"}},
        )


async def _ids() -> list[int]:
    return [r["id"] for r in await AuditLog.select(AuditLog.id).order_by(AuditLog.id)]


async def test_fresh_chain_verifies_and_reports_the_last_hash(db) -> None:
    await _record(5)
    report = await audit.verify_chain()
    last = await AuditLog.select(AuditLog.entry_hash).order_by(AuditLog.id, ascending=False).first()
    assert last is not None
    assert report.ok and report.entries == 5 and report.unchained == 0
    assert report.last_hash == last["entry_hash"] and len(report.last_hash) == 64
    rows = await AuditLog.select(AuditLog.prev_hash, AuditLog.entry_hash).order_by(AuditLog.id)
    assert rows[0]["prev_hash"] == ""
    assert all(b["prev_hash"] == a["entry_hash"] for a, b in pairwise(rows))


async def test_edited_entry_is_found(db) -> None:
    await _record(4)
    ids = await _ids()
    await AuditLog.update({AuditLog.target: "改过的对象"}).where(AuditLog.id == ids[2])
    report = await audit.verify_chain()
    assert not report.ok and report.broken_at == ids[2] and "修改" in report.problem


async def test_edited_detail_is_found(db) -> None:
    await _record(3)
    ids = await _ids()
    await AuditLog.update({AuditLog.detail: {"数量": 99}}).where(AuditLog.id == ids[0])
    report = await audit.verify_chain()
    assert not report.ok and report.broken_at == ids[0]


async def test_deleted_entry_breaks_the_next_link(db) -> None:
    await _record(4)
    ids = await _ids()
    await AuditLog.delete().where(AuditLog.id == ids[1])
    report = await audit.verify_chain()
    assert not report.ok and report.broken_at == ids[2] and "删除" in report.problem


async def test_forged_entry_appended_without_a_valid_hash_is_found(db) -> None:
    await _record(2)
    last = (await audit.verify_chain()).last_hash
    await AuditLog.insert(AuditLog(action="login", actor_name="admin", prev_hash=last,
                                   entry_hash="0" * 64))
    report = await audit.verify_chain()
    assert not report.ok and report.broken_at == (await _ids())[-1]


async def test_truncated_tail_is_found_only_against_an_anchor(db) -> None:
    await _record(5)
    anchor = (await audit.verify_chain()).last_hash
    assert (await audit.verify_chain(anchor)).anchor_found is True
    await _record(2, prefix="later")
    assert (await audit.verify_chain(anchor)).ok
    ids = await _ids()
    await AuditLog.delete().where(AuditLog.id >= ids[3])
    assert (await audit.verify_chain()).ok  # a plain chain cannot tell a shortened log
    report = await audit.verify_chain(anchor)
    assert not report.ok and report.anchor_found is False and "截断" in report.problem


async def test_entries_written_before_the_chain_are_counted_not_failed(db) -> None:
    await AuditLog.insert(AuditLog(action="login", actor_name="old"),
                          AuditLog(action="logout", actor_name="old"))
    await _record(3)
    report = await audit.verify_chain()
    assert report.ok and report.unchained == 2 and report.entries == 5


async def test_blanking_hashes_after_the_chain_started_is_found(db) -> None:
    await _record(3)
    ids = await _ids()
    await AuditLog.update({AuditLog.entry_hash: "", AuditLog.prev_hash: ""}).where(
        AuditLog.id == ids[1])
    report = await audit.verify_chain()
    assert not report.ok and report.broken_at == ids[1]


async def test_concurrent_appends_keep_one_linear_chain(db) -> None:
    async def burst(n: int) -> None:
        await _record(5, prefix=f"w{n}")

    await asyncio.gather(*(burst(n) for n in range(12)))
    report = await audit.verify_chain()
    assert report.ok and report.entries == 60, report.problem
    hashes = [r["prev_hash"] for r in await AuditLog.select(AuditLog.prev_hash)]
    assert len(set(hashes)) == 60  # no two entries claim the same predecessor


async def test_overlong_fields_are_cut_not_refused(db) -> None:
    await audit.record_event("test.long", actor_id=None, actor_name="名" * 100,
                             target="对象" * 200, ip="1" * 100)
    row = await AuditLog.select().first()
    assert row is not None
    assert len(row["target"]) == 128 and len(row["actor_name"]) == 64
    assert (await audit.verify_chain()).ok


async def test_deleting_the_actor_does_not_break_the_chain(db, make_user) -> None:
    from survey_app.db.tables import User

    user_id = await make_user("auditee", "analyst")
    await audit.record_event("test.user", actor_id=user_id, actor_name="auditee")
    await User.delete().where(User.id == user_id)
    assert (await audit.verify_chain()).ok


async def test_audit_verify_command_reports_success_and_tampering(db, run_cli) -> None:
    await _record(3)
    result = await run_cli(audit_verify)
    assert result.exit_code == 0, result.output
    assert "共检查 3 条" in result.output and "哈希链未被破坏" in result.output
    ids = await _ids()
    await AuditLog.update({AuditLog.action: "hidden"}).where(AuditLog.id == ids[1])
    failed = await run_cli(audit_verify)
    assert failed.exit_code == 1
    assert f"记录编号 {ids[1]}" in failed.output and "被修改" in failed.output
