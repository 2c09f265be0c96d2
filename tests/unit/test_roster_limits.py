"""Upload limits: size, rows, columns, cell length, XLSX zip-bomb checks, type by content."""

from __future__ import annotations

import io
import zipfile

import pytest
from defusedxml import EntitiesForbidden
from openpyxl import Workbook

from questionnaires.roster import RosterImportError, RosterKind, UploadLimits, parse_roster

HEADER = "统一社会信用代码,企业名称\n"
ROW = "91350100M000100Y43,甲\n"


def valid_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["统一社会信用代码", "企业名称"])
    sheet.append(["91350100M000100Y43", "甲"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def with_extra_entries(xlsx: bytes, entries: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        existing = {info.filename: source.read(info) for info in source.infolist()}
    return zip_of(existing | entries)


def test_valid_xlsx_passes_default_limits() -> None:
    result = parse_roster(valid_xlsx(), RosterKind.ENTERPRISE)
    assert [r.key for r in result.records] == ["91350100M000100Y43"]


def test_file_size_limit() -> None:
    data = (HEADER + ROW).encode()
    with pytest.raises(RosterImportError, match="超过上限"):
        parse_roster(data, RosterKind.ENTERPRISE, UploadLimits(max_bytes=len(data) - 1))
    parse_roster(data, RosterKind.ENTERPRISE, UploadLimits(max_bytes=len(data)))


def test_row_limit() -> None:
    data = (HEADER + ROW * 3).encode()
    with pytest.raises(RosterImportError, match="数据行数超过上限2行"):
        parse_roster(data, RosterKind.ENTERPRISE, UploadLimits(max_rows=2))
    result = parse_roster(data, RosterKind.ENTERPRISE, UploadLimits(max_rows=3))
    assert result.data_rows == 3


def test_column_limit() -> None:
    data = ("统一社会信用代码,企业名称," + ",".join(f"c{i}" for i in range(5)) + "\n").encode()
    with pytest.raises(RosterImportError, match="列数7超过上限6"):
        parse_roster(data, RosterKind.ENTERPRISE, UploadLimits(max_columns=6))


def test_xlsx_column_limit_reads_one_column_more_than_allowed() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["统一社会信用代码", "企业名称", "a", "b", "c"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(RosterImportError, match="列数4超过上限3"):
        parse_roster(buffer.getvalue(), RosterKind.ENTERPRISE, UploadLimits(max_columns=3))


def test_overlong_cell_is_a_row_error() -> None:
    data = (HEADER + "91350100M000100Y43," + "长" * 21 + "\n").encode()
    result = parse_roster(data, RosterKind.ENTERPRISE, UploadLimits(max_cell_chars=20))
    assert result.records == ()
    (error,) = result.errors
    assert (error.row_number, error.reason) == (2, "内容过长（超过20字）")


def test_too_many_zip_entries() -> None:
    data = with_extra_entries(valid_xlsx(), {f"junk/{i}.xml": b"<a/>" for i in range(30)})
    with pytest.raises(RosterImportError, match="条目过多"):
        parse_roster(data, RosterKind.ENTERPRISE, UploadLimits(max_zip_entries=20))


def test_total_uncompressed_size_limit() -> None:
    data = with_extra_entries(valid_xlsx(), {"xl/media/big.bin": bytes(range(256)) * 8192})
    with pytest.raises(RosterImportError, match="解压后过大"):
        parse_roster(data, RosterKind.ENTERPRISE, UploadLimits(max_uncompressed_bytes=1_000_000))


def test_compression_ratio_limit() -> None:
    # 4 MB of zeros deflate to about 4 KB: a ratio near 1000
    data = with_extra_entries(valid_xlsx(), {"xl/media/zeros.bin": b"\x00" * 4_000_000})
    with pytest.raises(RosterImportError, match="压缩比异常"):
        parse_roster(data, RosterKind.ENTERPRISE)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 this is not really a zip", "压缩包已损坏"),
        (zip_of({"[Content_Types].xml": b"<a/>", "word/document.xml": b"<w/>"}), "不是.xlsx格式"),
    ],
    ids=["broken-zip", "zip-without-workbook"],
)
def test_type_is_judged_by_content(data: bytes, message: str) -> None:
    with pytest.raises(RosterImportError, match=message):
        parse_roster(data, RosterKind.ENTERPRISE)


def test_damaged_workbook_xml_is_a_chinese_error() -> None:
    data = zip_of({"[Content_Types].xml": b"<not-xml", "xl/workbook.xml": b"<not-xml"})
    with pytest.raises(RosterImportError, match="无法读取Excel文件"):
        parse_roster(data, RosterKind.ENTERPRISE)


def test_xml_entity_expansion_is_refused() -> None:
    # openpyxl parses through defusedxml when it is installed; entity declarations fail.
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheets>&lol2;</sheets></workbook>"
    )
    data = with_extra_entries(valid_xlsx(), {"xl/workbook.xml": bomb})
    with pytest.raises(RosterImportError, match="Excel") as caught:
        parse_roster(data, RosterKind.ENTERPRISE)
    openpyxl_error = caught.value.__cause__
    assert openpyxl_error is not None
    assert isinstance(openpyxl_error.__cause__, EntitiesForbidden)
