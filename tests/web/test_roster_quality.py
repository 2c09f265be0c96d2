"""Finding 4: roster categories are controlled lists (GB/T 4754-2017 sections, the four size
classes, places from the units list), synonyms are mapped, unknown values are row errors; an
import that changes existing firms waits for confirmation; job page states are consistent; the
error XLSX repeats the original row."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

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
