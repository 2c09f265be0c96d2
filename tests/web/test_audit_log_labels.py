"""Real-user trial of 管理 → 审计日志: entries written by real actions read in Chinese.
Publishing an appraisal read "考核结果（其他操作）… republish：是 … 二维码数：1" (the 1 was the
red/yellow cards issued); a theme hand-over read "原值：pending；新值：assigned"; a replayed
two-step code read "原因：replayed"."""

from __future__ import annotations

import html
import re

from survey_app.db.tables import AppraisalCard
from tests.conftest import login
from tests.web.test_appraisal_cards import _published_with_cards
from tests.web.test_mfa import code_at, enter_code, password_only
from tests.web.test_themes_handover import _hand_over_parking

ROW = re.compile(r'<tr><td class="nowrap">.*?</td><td class="nowrap">(.*?)</td>'
                 r'<td class="nowrap">(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>.*?</td>'
                 r"<td>(.*?)</td></tr>", re.S)
# Latin words allowed on the page inside an entry (an operator named admin1 is data).
ALLOWED = {"API", "HTTP", "XLSX", "CSV"}


async def _rows(client, action_type: str) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    """(action, target, result, detail) of each entry of that type, newest first."""
    await login(client, "auditor")
    page = await client.get("/admin/audit", params={"type": action_type})
    assert page.status_code == 200
    return [tuple(html.unescape(cell) for cell in row[1:]) for row in ROW.findall(page.text)]


def _codes(*cells: str) -> list[str]:
    """Latin words in the cells, leaving out hashes (hex digests are data, not codes)."""
    return [w for cell in cells for w in re.findall(r"[A-Za-z][A-Za-z_]+",
                                                   re.sub(r"\b[0-9a-f]{16,}\b", "", cell))
            if w not in ALLOWED]


async def test_appraisal_publish_names_the_cards_issued(client, make_user, make_unit) -> None:
    await _published_with_cards(client, make_user, make_unit)
    issued = await AppraisalCard.count()
    assert issued >= 1
    await make_user("auditor", "admin")
    rows = await _rows(client, "appraisal")
    publish = [r for r in rows if r[0] == "发布考核结果"]
    assert publish, rows
    action, _target, _result, detail = publish[0]
    assert "其他操作" not in action
    assert f"发出红黄牌数：{issued}" in detail and "二维码" not in detail
    assert "重新发布：" in detail and "发布说明：启用预警规则后重新发布" in detail
    for row in rows:
        assert not _codes(row[0], row[3]), row


async def test_theme_handover_shows_workflow_states_by_name(client, make_user) -> None:
    parking, _unit = await _hand_over_parking(client, make_user)
    await make_user("auditor", "admin")
    rows = await _rows(client, "themes")
    handover = next(r for r in rows if r[0] == "交办主题")
    assert "原状态：待处理；新状态：已转办" in handover[3]
    assert "承办单位代码：U01" in handover[3]
    assert handover[1] == f"主题 #{parking}"
    for row in rows:
        assert not _codes(row[0], row[3]), row


async def test_a_replayed_code_reads_as_such(client, make_user) -> None:
    await make_user("admin1", "admin")
    await make_user("auditor", "admin")
    code = code_at("admin1")
    await password_only(client, "admin1")
    assert (await enter_code(client, code)).status_code == 303
    await client.get("/logout")
    client.cookies.clear()
    await password_only(client, "admin1")
    assert (await enter_code(client, code)).status_code == 400
    client.cookies.clear()
    rows = await _rows(client, "mfa")
    failed = [r for r in rows if r[0] == "两步验证登录" and r[2] == "失败"]
    assert failed, rows
    assert "原因：验证码已用过（重复提交）" in failed[0][3]
    for row in rows:
        assert not _codes(row[0], row[3]), row
