"""Roster parsing: encodings, header aliases, row-by-row validation, error report."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from questionnaires.roster import (
    EnterpriseRecord,
    ResidentRecord,
    RosterImportError,
    RosterKind,
    RowError,
    build_error_report_xlsx,
    canonical_field,
    normalize_phone,
    parse_roster,
)
from questionnaires.sampling import FrameUnit
from tests.conftest import formula_cells

ENTERPRISE_CSV = (
    "统一社会信用代码,企业名称,行业,企业规模,园区,联系人,手机\n"
    "91350100M000100Y43,福州甲科技有限公司,制造业,规模以上,高新园,张三,138-0013-8000\n"
    "91370100780603055K,济南乙贸易有限公司,批发业,规下,东区,李四,0531-88886666\n"
)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def enterprise(data: bytes) -> list[EnterpriseRecord]:
    result = parse_roster(data, RosterKind.ENTERPRISE)
    assert result.errors == ()
    return [r for r in result.records if isinstance(r, EnterpriseRecord)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(encoding: str) -> None:
    records = enterprise(ENTERPRISE_CSV.encode(encoding))
    assert [r.name for r in records] == ["福州甲科技有限公司", "济南乙贸易有限公司"]


def test_utf16_tab_separated_export_from_excel() -> None:
    data = ENTERPRISE_CSV.replace(",", "\t").encode("utf-16")
    assert [r.uscc for r in enterprise(data)] == ["91350100M000100Y43", "91370100780603055K"]


def test_gb18030_only_characters() -> None:
    # U+20000 is outside GBK; GB18030 encodes it in four bytes.
    text = ENTERPRISE_CSV.replace("福州甲", "\U00020000甲")
    assert enterprise(text.encode("gb18030"))[0].name == "\U00020000甲科技有限公司"


def test_records_are_normalised() -> None:
    first, second = enterprise(ENTERPRISE_CSV.encode())
    assert first == EnterpriseRecord(
        row_number=2,
        uscc="91350100M000100Y43",
        name="福州甲科技有限公司",
        industry="制造业",
        size_class="规上",
        park="高新园",
        contact_name="张三",
        phone="13800138000",
    )
    assert (second.size_class, second.phone) == ("规下", "053188886666")
    assert first.key == first.uscc
    assert first.to_frame_unit() == FrameUnit(
        "91350100M000100Y43", {"industry": "制造业", "size_class": "规上", "park": "高新园"}
    )


def test_english_headers_and_semicolons() -> None:
    data = (
        "USCC;Name;Industry;Size;Park;Phone\n"
        " 91350100m000100y43 ;Acme;制造业;规上;A;+86 13800138000\n"
    ).encode()
    (record,) = enterprise(data)
    assert (record.uscc, record.name, record.phone) == ("91350100M000100Y43", "Acme", "13800138000")


def test_row_errors_name_row_column_and_reason() -> None:
    data = (
        "统一社会信用代码,名称,联系电话,行业\n"
        "91350100M000100Y43,甲,13800138000,制造业\n"
        "91350100M000100Y44,乙,,制造业\n"
        "91370100780603055K,,12345,制造业\n"
        ",,,\n"
        "91350100M000100Y43,丙,,批发业\n"
        "9137010078060305I5,丁,,批发业\n"
    ).encode()
    result = parse_roster(data, RosterKind.ENTERPRISE)
    assert [r.row_number for r in result.records] == [2]
    assert result.data_rows == 5  # the blank row 5 is not data
    assert [(e.row_number, e.column) for e in result.errors] == [
        (3, "统一社会信用代码"),
        (4, "名称"),
        (4, "联系电话"),
        (6, "统一社会信用代码"),
        (7, "统一社会信用代码"),
    ]
    reasons = [e.reason for e in result.errors]
    assert "第18位应为“3”" in reasons[0]
    assert reasons[1] == "名称为空"
    assert "联系电话格式不正确" in reasons[2]
    assert reasons[3] == "统一社会信用代码与第2行重复"
    assert "第17位字符“I”不合法" in reasons[4]


def test_invalid_row_does_not_claim_its_code() -> None:
    data = ("统一社会信用代码,名称\n91350100M000100Y43,\n91350100M000100Y43,甲\n").encode()
    result = parse_roster(data, RosterKind.ENTERPRISE)
    assert [r.row_number for r in result.records] == [3]
    assert [e.reason for e in result.errors] == ["名称为空"]


def test_xlsx_with_title_row_numeric_cells_and_gaps() -> None:
    data = xlsx_bytes(
        [
            ["2026年规上企业名录"],
            ["序号", "统一社会信用代码", "企业名称", "规模", "联系电话", "成立日期"],
            [1, "91350100M000100Y43", "甲", "规上", 13800138000, dt.datetime(2020, 5, 1)],
            [],
            [2, 914403001922038216, "乙", "规上", None, None],
            [3, "914403001922038216", "  华为  技术 ", "规上", 13900139000.0, None],
        ]
    )
    result = parse_roster(data, RosterKind.ENTERPRISE)
    assert [(r.row_number, r.name, r.phone) for r in result.records] == [
        (3, "甲", "13800138000"),
        (6, "华为 技术", "13900139000"),
    ]
    (error,) = result.errors
    assert (error.row_number, error.column) == (5, "统一社会信用代码")
    assert "存成了数字" in error.reason
    assert set(result.ignored_columns) == {"序号", "成立日期"}
    assert result.column_mapping["统一社会信用代码"] == "uscc"


def test_resident_roster_with_id_column() -> None:
    data = (
        "编号,姓名,街道,社区,年龄段,联系电话\n"
        "R001,王五,城关街道,东门社区,30-39岁,13700137000\n"
        "R002,赵六,城关街道,,60岁以上,\n"
        "R001,钱七,西街街道,,,\n"
        ",孙八,,,,\n"
    ).encode()
    result = parse_roster(data, RosterKind.RESIDENT)
    assert [r.key for r in result.records] == ["R001", "R002"]
    first = result.records[0]
    assert first == ResidentRecord(
        2, "R001", "王五", "城关街道", "东门社区", "30-39岁", "13700137000"
    )
    assert first.to_frame_unit().attributes == {
        "street": "城关街道",
        "community": "东门社区",
        "age_band": "30-39岁",
    }
    assert [(e.row_number, e.reason) for e in result.errors] == [
        (4, "编号与第2行重复"),
        (5, "编号为空"),
        (5, "街道为空"),
    ]


def test_resident_roster_keyed_by_phone() -> None:
    data = (
        "街道,社区,手机号\n城关街道,东门,13700137000\n城关街道,西门,\n城关街道,南门,137 0013 7000\n"
    ).encode()
    result = parse_roster(data, RosterKind.RESIDENT)
    assert [r.key for r in result.records] == ["13700137000"]
    assert [(e.row_number, e.column) for e in result.errors] == [(3, "手机号"), (4, "手机号")]
    assert "重复" in result.errors[1].reason


def test_resident_roster_needs_a_key_column() -> None:
    with pytest.raises(RosterImportError, match="“编号”或“联系电话”"):
        parse_roster("街道,社区\n城关,东门\n".encode(), RosterKind.RESIDENT)


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (b"", RosterKind.ENTERPRISE, "文件为空"),
        (b"\n\n,,\n", RosterKind.ENTERPRISE, "没有数据"),
        ("名称,地址\n甲,乙\n".encode(), RosterKind.ENTERPRISE, "未找到表头"),
        ("街道,编号\n城关,1\n".encode(), RosterKind.ENTERPRISE, "看起来是居民名单"),
        (ENTERPRISE_CSV.encode(), RosterKind.RESIDENT, "看起来是企业名单"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, RosterKind.ENTERPRISE, ".xls"),
        (b"uscc,name\x00\x01\n", RosterKind.ENTERPRISE, "不是文本格式"),
        (b"\xff\xfe\x00", RosterKind.ENTERPRISE, "编码"),
        (b'uscc,name\n"abc,def\n', RosterKind.ENTERPRISE, "CSV文件第"),
    ],
)
def test_fatal_problems_raise_chinese_errors(data: bytes, kind: RosterKind, message: str) -> None:
    with pytest.raises(RosterImportError, match=message):
        parse_roster(data, kind)


def test_canonical_field_aliases() -> None:
    assert canonical_field(RosterKind.ENTERPRISE, "size") == "size_class"
    assert canonical_field(RosterKind.ENTERPRISE, " 统一社会信用代码* ") == "uscc"
    assert canonical_field(RosterKind.ENTERPRISE, "Credit_Code") == "uscc"
    assert canonical_field(RosterKind.RESIDENT, "街道") == "street"
    assert canonical_field(RosterKind.ENTERPRISE, "街道") == "park"
    assert canonical_field(RosterKind.ENTERPRISE, "备注") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("（010）12345678".replace("（", "(").replace("）", ")"), "01012345678"),
        ("０２１－８８８８６６６６", "02188886666"),
        ("12800138000", None),
        ("1380013800", None),
        ("12345", None),
    ],
)
def test_phone_normalisation(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_error_report_xlsx() -> None:
    errors = [
        RowError(3, "统一社会信用代码", "统一社会信用代码为空"),
        RowError(4, "名称", "内容过长", '=HYPERLINK("http://x")'),
    ]
    sheet = load_workbook(io.BytesIO(build_error_report_xlsx(errors))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "问题", "内容")
    assert rows[1] == (3, "统一社会信用代码", "统一社会信用代码为空", None)
    assert rows[2] == (4, "名称", "内容过长", '=HYPERLINK("http://x")')
    assert formula_cells(build_error_report_xlsx(errors)) == []
