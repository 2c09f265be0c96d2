"""Finding 8: the audit log reads in Chinese (actions and details), filters by date range,
operator, action type and object, pages, and exports a formula-safe XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook

from survey_app.db.queries import audit
from survey_app.db.tables import AuditLog
from survey_app.services.audit_labels import detail_text
from tests.conftest import formula_cells, login


async def _admin(client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin1", "admin")
    await login(client, "admin1")


def test_details_are_written_out_in_chinese() -> None:
    text = detail_text({"reason": "bad_password", "failures": 2, "locked": False,
                        "from": "analyst", "to": "office", "name": "城关街道"})
    assert text == "原因：密码错误；连续失败次数：2；已锁定：否；原值：分析员；新值：绩效办；名称：城关街道"
    assert "\\u" not in detail_text({"name": "区司法局"})


def test_a_draw_is_written_out_without_codes() -> None:
    # Found walking issue 14: "分层字段：industry → size_class；抽样比例：0.25；排除的批次：".
    text = detail_text({"strata": ["industry", "size_class"], "rate": 0.25,
                        "excluded_campaigns": [], "ids": [3, 4]})
    assert text == "分层字段：行业 × 规模；抽样比例：25%；排除的批次：无；编号：3、4"
    assert detail_text({"strata": []}) == "分层字段：不分层"


async def test_chinese_labels_and_filters(client, make_user) -> None:
    await _admin(client, make_user)
    await login(client, "nobody", "Wrong-Passw0rd!!")  # a failed login, unknown user
    await audit.record_event("unit.create", actor_id=None, actor_name="admin1", target="S01",
                             detail={"name": "城关街道", "category": "街道"})
    page = await client.get("/admin/audit")
    assert page.status_code == 200
    assert "新建单位" in page.text and "名称：城关街道；类别：街道" in page.text
    assert "unit.create" not in page.text and "\\u" not in page.text
    assert "用户名不存在" in page.text

    by_label = await client.get("/admin/audit", params={"action": "登录"})
    assert "登录" in by_label.text and "新建单位" not in by_label.text
    by_type = await client.get("/admin/audit", params={"type": "unit"})
    assert "新建单位" in by_type.text and "用户名不存在" not in by_type.text
    by_actor = await client.get("/admin/audit", params={"actor": "nobody"})
    assert "用户名不存在" in by_actor.text and "新建单位" not in by_actor.text
    by_target = await client.get("/admin/audit", params={"target": "S0"})
    assert "新建单位" in by_target.text and "用户名不存在" not in by_target.text
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    future = await client.get("/admin/audit", params={"date_from": tomorrow})
    assert "没有符合条件的记录" in future.text
    bad = await client.get("/admin/audit", params={"date_from": "2026-13-01"})
    assert bad.status_code == 400 and "开始日期格式不正确" in bad.text
    assert 'value="2026-13-01"' in bad.text


async def test_paging_and_formula_safe_export(client, make_user) -> None:
    await _admin(client, make_user)
    for i in range(60):
        await audit.record_event("roster.status", actor_id=None, actor_name="admin1",
                                 target=f"=cmd|' /C calc'!A{i}", detail={"count": i})
    first = await client.get("/admin/audit", params={"type": "roster"})
    assert "第 1 / 2 页" in first.text and "标记样本框对象状态" in first.text
    second = await client.get("/admin/audit", params={"type": "roster", "page": "2"})
    assert "第 2 / 2 页" in second.text
    export = await client.get("/admin/audit/export.xlsx", params={"type": "roster"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间（北京时间）", "操作人", "操作", "对象", "结果", "IP 地址", "详情")
    assert len(rows) == 61
    # Exact text in text cells: never a live formula, nothing added in front.
    assert sorted(r[3] for r in rows[1:]) == sorted(f"=cmd|' /C calc'!A{i}" for i in range(60))
    assert formula_cells(export.content) == []
    assert rows[1][2] == "标记样本框对象状态"
    assert await AuditLog.count().where(AuditLog.action == "audit.export") == 1


async def test_action_names_are_not_broken_over_lines(client, make_user) -> None:
    # Found walking issue 14: the 操作 column read 创建/公开/链接, two characters a line.
    await _admin(client, make_user)
    page = (await client.get("/admin/audit")).text
    assert re.search(r'<td class="nowrap">[^<]+</td><td class="nowrap">登录</td>', page)
