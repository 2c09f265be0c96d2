"""Roster pages: import with a row-by-row error report, masking, audited contact reveal."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from questionnaires.uscc import USCC_CHARSET, uscc_check_character
from survey_app.db.queries import audit
from survey_app.db.tables import Job, Respondent, RespondentContact
from survey_app.jobs.runner import run_next_job
from tests.conftest import csrf_from, login, post_form


def uscc(serial: int) -> str:
    """A valid unified social credit code (GB 32100-2015) made from a serial number."""
    body = f"91330100MA{serial:07d}"
    assert all(c in USCC_CHARSET for c in body)
    return body + uscc_check_character(body)


ROSTER_CSV = "\n".join([
    "统一社会信用代码,企业名称,行业,规模,园区,联系人,联系电话",
    f"{uscc(1)},江城精密机械有限公司,制造业,规上,高新区,张伟,13812341234",
    f"{uscc(2)},江城云数科技有限公司,信息技术,规下,高新区,李娜,13900001111",
    "91330100MA0000003X,坏代码公司,制造业,规上,高新区,王五,13700002222",
    f"{uscc(4)},,制造业,规下,城关街道,赵六,12345",
    f"{uscc(1)},重复的公司,制造业,规上,高新区,钱七,13600003333",
    f"{uscc(5)},=HYPERLINK(\"http://x\"),批发业,规下,城关街道,孙八,13500004444",
]) + "\n"


@pytest.fixture(autouse=True)
async def places(make_unit) -> None:  # type: ignore[no-untyped-def]
    """The units that are places: roster 园区/街道 values must name one (finding 4)."""
    await make_unit("P01", "高新区管委会", "园区")
    await make_unit("S01", "城关街道办事处", "街道")


async def upload(client, data: bytes, filename: str, kind: str = "enterprise"):  # type: ignore[no-untyped-def]
    form_page = await client.get("/roster/import")
    return await client.post(
        "/roster/import",
        data={"kind": kind, "_csrf_token": csrf_from(form_page.text)},
        files={"file": (filename, data, "text/csv")},
    )


async def import_file(client, data: bytes, filename: str = "企业名单.csv", kind: str = "enterprise") -> int:  # type: ignore[no-untyped-def]
    response = await upload(client, data, filename, kind)
    assert response.status_code in (302, 303), response.text
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert await run_next_job("test")
    return job_id


async def test_import_with_errors_shows_report_on_page_and_as_xlsx(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    job_id = await import_file(client, ROSTER_CSV.encode("utf-8"))

    result = await client.get(f"/roster/imports/{job_id}")
    assert result.status_code == 200
    text = result.text
    assert "新增" in text and "问题报告" in text
    assert "校验位" in text or "统一社会信用代码" in text
    assert "与第2行重复" in text
    assert "12345" not in text  # a bad phone is reported masked, never in full
    # Three valid rows (1, 2 and the formula-like name) are in; four rows have problems.
    assert await Respondent.count() == 3
    report = await client.get(f"/roster/imports/{job_id}/errors.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("行号", "列", "问题", "内容")
    assert sorted(r[0] for r in rows[1:]) == [4, 5, 5, 6]
    # The uploaded file (with its phone numbers) does not stay in the job table.
    params = await Job.select(Job.params).where(Job.id == job_id).first()
    assert "data" not in str(params["params"])
    actions = [e.action for e in await audit.recent_events()]
    assert "roster.import" in actions and "roster.error_report" in actions


async def test_reimport_updates_by_key_and_keeps_missing_columns(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await import_file(client, ROSTER_CSV.encode("utf-8"))
    update = f"统一社会信用代码,企业名称,规模\n{uscc(1)},江城精密机械股份有限公司,规下\n"
    job_id = await import_file(client, update.encode("gb18030"))
    held = await client.get(f"/roster/imports/{job_id}")
    # A rename is not silent (finding 4): the import waits with a before/after list.
    assert "导入将修改已有对象" in held.text and "江城精密机械股份有限公司" in held.text
    unchanged = await Respondent.select().where(Respondent.key == uscc(1)).first()
    assert unchanged["name"] == "江城精密机械有限公司"
    confirmed = await post_form(client, f"/roster/imports/{job_id}",
                                f"/roster/imports/{job_id}/confirm", {})
    assert confirmed.headers["location"].startswith("/jobs/")
    assert await run_next_job("test")
    new_job = int(confirmed.headers["location"].rsplit("/", 1)[1])
    result = await client.get(f"/roster/imports/{new_job}")
    assert "更新" in result.text
    row = await Respondent.select().where(Respondent.key == uscc(1)).first()
    assert row["name"] == "江城精密机械股份有限公司" and row["size_class"] == "规下"
    assert row["industry"] == "制造业"  # no 行业 column in the update: kept
    contact = await RespondentContact.select().where(RespondentContact.respondent == row["id"]).first()
    assert contact["phone"] == "13812341234"  # no phone column in the update: kept
    assert await Respondent.count() == 3


async def test_unreadable_file_changes_nothing(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    response = await upload(client, b"PK\x03\x04 not really a zip", "名单.xlsx")
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert await run_next_job("test")
    job_page = await client.get(f"/jobs/{job_id}")
    assert "失败" in job_page.text and "xlsx" in job_page.text
    assert await Respondent.count() == 0
    redirected = await client.get(f"/roster/imports/{job_id}", follow_redirects=False)
    assert redirected.headers["location"] == f"/jobs/{job_id}"


async def test_empty_upload_is_refused_in_chinese(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    response = await upload(client, b"", "空.csv")
    assert response.status_code == 400
    assert "请选择要上传的名单文件" in response.text


async def test_list_masks_contacts_and_reveal_is_audited(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await import_file(client, ROSTER_CSV.encode("utf-8"))
    listing = await client.get("/roster?kind=enterprise")
    assert "138****1234" in listing.text and "张*" in listing.text
    assert "13812341234" not in listing.text and "张伟" not in listing.text
    respondent = await Respondent.select(Respondent.id).where(Respondent.key == uscc(1)).first()
    revealed = await post_form(client, "/roster", f"/roster/{respondent['id']}/contact", {})
    assert "13812341234" in revealed.text and "张伟" in revealed.text
    events = await audit.recent_events(action="roster.contact_view")
    assert events and events[0].target == f"respondent:{respondent['id']}"
    assert "13812341234" not in str(events[0].detail)


async def test_filters_and_status_marking(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await import_file(client, ROSTER_CSV.encode("utf-8"))
    filtered = await client.get("/roster", params={"kind": "enterprise",
                                                   "industry": "信息传输、软件和信息技术服务业"})
    assert "江城云数科技有限公司" in filtered.text and "江城精密机械" not in filtered.text
    respondent = await Respondent.select(Respondent.id).where(Respondent.key == uscc(2)).first()
    await post_form(client, "/roster", "/roster/status",
                    {"ids": str(respondent["id"]), "status": "closed", "kind": "enterprise"})
    row = await Respondent.select(Respondent.status).where(Respondent.id == respondent["id"]).first()
    assert row["status"] == "closed"
    closed = await client.get("/roster", params={"kind": "enterprise", "status": "closed"})
    assert "江城云数科技有限公司" in closed.text and "江城精密机械" not in closed.text


async def test_unit_viewer_and_office_cannot_see_the_roster(client, make_unit, make_user) -> None:
    await make_unit("U01")
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await login(client, "viewer1")
    assert (await client.get("/roster")).status_code == 403
    assert (await client.get("/roster/import")).status_code == 403


async def test_resident_roster_masks_names_and_refuses_keys_of_firms(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    await import_file(client, ROSTER_CSV.encode("utf-8"))
    residents = "\n".join([
        "编号,姓名,街道,社区,年龄段,联系电话",
        "R000001,王小明,城关街道,东门社区,30-44,13911112222",
        f"{uscc(1)},李四,城关街道,西门社区,45-59,13933334444",
    ]) + "\n"
    job_id = await import_file(client, residents.encode("utf-8"), "居民.csv", kind="resident")
    result = await client.get(f"/roster/imports/{job_id}")
    assert "该编号已属于企业名单中的对象" in result.text
    assert await Respondent.count().where(Respondent.kind == "resident") == 1
    listing = await client.get("/roster", params={"kind": "resident"})
    assert "王*" in listing.text and "王小明" not in listing.text
    assert "139****2222" in listing.text and "东门社区" in listing.text


async def test_a_firm_without_contacts_offers_nothing_to_reveal(client, make_user) -> None:
    # Found walking issue 14: every row offered 查看联系方式 (an audited step-up) even with no
    # contact at all to show.
    await make_user("admin1", "admin")
    await login(client, "admin1")
    data = ("统一社会信用代码,企业名称,联系人,联系电话\n"
            f"{uscc(1)},江城精密机械有限公司,张伟,13812341234\n{uscc(2)},江城云数科技有限公司,,\n")
    await import_file(client, data.encode("utf-8"))
    listing = (await client.get("/roster?kind=enterprise")).text
    assert listing.count("查看联系方式</button>") == 1 and "无联系方式" in listing
