"""Finding 4: roster categories are controlled lists (GB/T 4754-2017 sections, the four size
classes, places from the units list), synonyms are mapped, unknown values are row errors; an
import that changes existing firms waits for confirmation; job page states are consistent; the
error XLSX repeats the original row."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from questionnaires.roster_vocab import INDUSTRY_SECTIONS, Vocabulary, place_names
from survey_app.db.queries import audit
from survey_app.db.tables import Job, Respondent
from survey_app.jobs.runner import run_next_job
from tests.conftest import login, post_form
from tests.web.test_roster_pages import import_file, uscc


def test_the_controlled_lists() -> None:
    assert [letter for letter, _ in INDUSTRY_SECTIONS] == list("ABCDEFGHIJKLMNOPQRST")
    vocab = Vocabulary(place_names(["城关街道办事处", "高新区管委会"]))
    assert vocab.industry("批发零售") == "批发和零售业" and vocab.industry("c") == "制造业"
    assert vocab.industry("外星贸易") is None
    assert vocab.size_class("中型企业") == "中型" and vocab.size_class("小微") is None
    assert vocab.place("城关街道办事处") == "城关街道" and vocab.place("高新区") == "高新区"
    assert vocab.place("火星街道") is None


@pytest.fixture
async def admin(client, make_user, make_unit):  # type: ignore[no-untyped-def]
    await make_unit("P01", "高新区管委会", "园区")
    await make_unit("S01", "城关街道办事处", "街道")
    await make_user("admin1", "admin")
    await login(client, "admin1")
    return client


async def test_made_up_categories_are_row_errors(admin) -> None:
    client = admin
    data = "\n".join([
        "统一社会信用代码,企业名称,行业,规模,园区,联系人,联系电话",
        f"{uscc(1)},江城精密机械有限公司,C 制造业,中型企业,高新区,张伟,13812341234",
        f"{uscc(2)},火星贸易有限公司,外星贸易,小微,火星街道,李娜,13900001111",
    ]) + "\n"
    job_id = await import_file(client, data.encode("utf-8"))
    result = await client.get(f"/roster/imports/{job_id}")
    assert "行业“外星贸易”不在《国民经济行业分类》" in result.text
    assert "规模“小微”包含小型和微型两类" in result.text
    assert "园区/街道“火星街道”不在单位名录中" in result.text
    rows = {r["key"]: r for r in await Respondent.select()}
    assert list(rows) == [uscc(1)]
    assert (rows[uscc(1)]["industry"], rows[uscc(1)]["size_class"], rows[uscc(1)]["park"]) == \
        ("制造业", "中型", "高新区")

    report = await client.get(f"/roster/imports/{job_id}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(report.content)).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][4:] == ("原表：统一社会信用代码", "原表：企业名称", "原表：行业", "原表：规模",
                            "原表：园区", "原表：联系人", "原表：联系电话")
    assert all(line[0] == 3 for line in lines[1:]) and len(lines) == 4
    assert lines[1][4:9] == (uscc(2), "火星贸易有限公司", "外星贸易", "小微", "火星街道")
    assert lines[1][9] == "李*" and lines[1][10] == "139****1111"  # personal columns masked

    job = await client.get(f"/jobs/{job_id}")
    assert "已完成" in job.text and "正在写入" not in job.text


async def test_an_import_that_renames_a_firm_waits_and_can_be_cancelled(admin) -> None:
    client = admin
    first = "统一社会信用代码,企业名称,行业\n" f"{uscc(1)},江城精密机械有限公司,制造业\n"
    await import_file(client, first.encode("utf-8"))
    rename = "统一社会信用代码,企业名称,行业\n" f"{uscc(1).lower()},完全不同的公司,建筑业\n"
    job_id = await import_file(client, rename.encode("utf-8"))
    held = await client.get(f"/roster/imports/{job_id}")
    assert "确认修改并导入" in held.text
    assert "江城精密机械有限公司" in held.text and "完全不同的公司" in held.text
    assert "建筑业" in held.text
    # Nothing is written yet, so the page does not claim "0 新增 / 0 更新" (walk of issue 14).
    assert "确认后写入的行" in held.text and "<span>新增</span>" not in held.text
    assert "data" in str((await Job.select(Job.params).where(Job.id == job_id).first())["params"])
    cancelled = await post_form(client, f"/roster/imports/{job_id}",
                                f"/roster/imports/{job_id}/cancel", {})
    assert cancelled.status_code in (302, 303)
    row = await Respondent.select().first()
    assert (row["name"], row["industry"]) == ("江城精密机械有限公司", "制造业")
    # The held upload (with any contacts) is dropped on cancel, and cannot be confirmed later.
    assert "data" not in str((await Job.select(Job.params).where(Job.id == job_id).first())["params"])
    late = await post_form(client, f"/roster/imports/{job_id}",
                           f"/roster/imports/{job_id}/confirm", {})
    assert late.headers["location"].startswith("/roster/import")
    assert not await run_next_job("test")
    actions = [e.action for e in await audit.recent_events()]
    assert "roster.import_held" in actions and "roster.import_cancel" in actions


def _stats(html: str) -> dict[str, int]:
    """The counters at the top of the import result: label -> number."""
    return {label: int(number) for number, label in
            re.findall(r'<div class="stat"><b>(-?\d+)</b><span>([^<]+)</span>', html)}


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_import_counters_count_rows_not_problems_and_add_up(admin) -> None:
    """Trial: 8 data rows, 1 change and 9 problems in 7 rows showed "-1 确认后写入的行"."""
    client = admin
    header = ["统一社会信用代码", "企业名称", "行业", "规模", "园区/街道"]
    await import_file(client, _xlsx([
        header, [uscc(1), "江城精密机械有限公司", "制造业", "规上", "高新区"],
        [uscc(5), "江城云数科技有限公司", "制造业", "规下", "高新区"],
    ]), "企业名单.xlsx")
    upload = _xlsx([
        header,
        [uscc(2), "新公司甲", "制造业", "小型", "高新区"],                  # new
        ["91330100MA0000003X", "坏代码公司", "制造业", "特大", "高新区"],   # 2 problems
        [uscc(3), "坏行业公司", "外星贸易", "小型", "火星园区"],            # 2 problems
        [None, "无代码公司", "制造业", "小型", "高新区"],                   # 1 problem
        [uscc(2), "重复代码公司", "制造业", "小型", "高新区"],              # 1 problem
        [uscc(1), "江城精密机械股份有限公司", "制造业", "规上", "高新区"],  # changed
        [uscc(5), "江城云数科技有限公司", "制造业", "规下", "高新区"],      # unchanged
        [uscc(4), "新公司乙", "制造业", "小型", "城关街道"],                # new
    ])
    job_id = await import_file(client, upload, "企业名单.xlsx")
    held = await client.get(f"/roster/imports/{job_id}")
    assert _stats(held.text) == {"数据行": 8, "确认后写入的行": 3, "无需修改的行": 1,
                                 "有问题不会导入的行": 4, "问题总数": 6}
    assert "新增 2 行，修改 1 行" in held.text

    confirmed = await post_form(client, f"/roster/imports/{job_id}",
                                f"/roster/imports/{job_id}/confirm", {})
    assert await run_next_job("test")
    new_job = int(confirmed.headers["location"].rsplit("/", 1)[1])
    done = await client.get(f"/roster/imports/{new_job}")
    assert _stats(done.text) == {"数据行": 8, "新增": 2, "更新（已有对象）": 2,
                                 "有问题未导入的行": 4, "问题总数": 6}
    assert await Respondent.count() == 4


async def test_problem_rows_without_a_held_change(admin) -> None:
    """Trial: 6 rows, 1 new, 5 rows with problems showed "6 有问题未导入"."""
    client = admin
    header = ["统一社会信用代码", "企业名称", "行业", "规模", "园区/街道", "联系电话"]
    job_id = await import_file(client, _xlsx([
        header,
        [uscc(1), "新公司甲", "制造业", "小型", "高新区", "13800001111"],
        [uscc(2), "二号公司", "C", "规上", "城关街道", "1380000"],
        [uscc(3), "坏行业公司", "火箭", "小型", "高新区", "13800003333"],
        [uscc(4), "坏规模公司", "制造业", "特大", "火星园区", "13800004444"],
        [uscc(1), "重复代码公司", "制造业", "小型", "高新区", None],
        [uscc(6), "X" * 300, "制造业", "小型", "高新区", None],
    ]), "企业名单.xlsx")
    done = await client.get(f"/roster/imports/{job_id}")
    assert _stats(done.text) == {"数据行": 6, "新增": 1, "更新（已有对象）": 0,
                                 "有问题未导入的行": 5, "问题总数": 6}
