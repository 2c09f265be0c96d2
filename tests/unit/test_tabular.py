"""Safe CSV/XLSX export: formula escaping, encodings, workbook layout."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from analysis.report_xlsx import write_report_xlsx
from analysis.tabular import MAX_COLUMN_WIDTH, display_width, safe_cell, write_csv, write_xlsx


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+86 138",
        "-2+3",
        "@SUM(A1)",
        "\tcmd",
        "\rx",
        "\nx",
        "＝HYPERLINK()",
        "＋1",
        "－1",
        "＠a",
    ],
)
def test_formula_starters_get_a_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["满意", "a=b", "", "1-2", "'already"])
def test_harmless_text_is_unchanged(text: str) -> None:
    assert safe_cell(text) == text


@pytest.mark.parametrize(
    "value",
    [-5, 3.5, Decimal("-1.25"), True, None, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3)],
)
def test_non_text_keeps_its_type(value: object) -> None:
    assert safe_cell(value) is value


def test_other_objects_become_escaped_text() -> None:
    class Odd:
        def __str__(self) -> str:
            return "=evil()"

    assert safe_cell(Odd()) == "'=evil()"


def test_csv_has_bom_crlf_and_escaped_cells() -> None:
    data = write_csv(
        [["=cmd|' /C calc'!A0", 12, None], ["满意, 很好", -3.5, "ok"]], ["意见", "分数", "备注"]
    )
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [
        ["意见", "分数", "备注"],
        ["'=cmd|' /C calc'!A0", "12", ""],
        ["满意, 很好", "-3.5", "ok"],
    ]


def test_csv_escapes_header_too() -> None:
    text = write_csv([], ["@header"]).decode("utf-8-sig")
    assert text == "'@header\r\n"


def test_xlsx_layout_and_values() -> None:
    long_text = "很" * 100
    data = write_xlsx(
        {
            "结果": (
                ["单位", "得分", "日期"],
                [["=1+1", 88.5, dt.date(2026, 3, 1)], [long_text, 7, None]],
            ),
            "空表": (["a"], []),
        }
    )
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["结果", "空表"]
    sheet = workbook["结果"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["单位", "得分", "日期"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet["A2"].value == "=1+1"  # exact text, no apostrophe
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 88.5
    assert sheet["C2"].value == dt.datetime(2026, 3, 1)
    assert sheet["A3"].value == long_text
    assert sheet["C3"].value is None
    assert sheet.column_dimensions["A"].width == MAX_COLUMN_WIDTH
    # "得分" is 2 wide chars = 4, "88.5" is 4: both below the minimum width of 8.
    assert sheet.column_dimensions["B"].width == 8
    assert workbook["空表"].max_row == 1


def test_xlsx_strips_illegal_control_characters_and_aware_datetimes() -> None:
    aware = dt.datetime(2026, 1, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    data = write_xlsx({"s": (["x", "t"], [["a\x00b\x07c", aware]])})
    sheet = load_workbook(io.BytesIO(data))["s"]
    assert sheet["A2"].value == "abc"
    assert sheet["B2"].value == "2026-01-01T09:30:00+08:00"


def test_xlsx_sheet_titles_are_made_legal_and_unique() -> None:
    name = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三"
    data = write_xlsx({name: (["a"], []), name + "x": (["a"], []), "a/b:c": (["a"], [])})
    titles = load_workbook(io.BytesIO(data)).sheetnames
    assert titles[0] == name[:31]
    assert titles[1] == name[:28] + "(2)"
    assert titles[2] == "a_b_c"


def test_xlsx_streams_rows_beyond_the_width_sample() -> None:
    rows = ([i, f"行{i}"] for i in range(500))
    sheet = load_workbook(io.BytesIO(write_xlsx({"s": (["n", "t"], rows)})))["s"]
    assert sheet.max_row == 501
    assert sheet["A501"].value == 499


def test_xlsx_needs_a_sheet() -> None:
    with pytest.raises(ValueError, match="工作表"):
        write_xlsx({})


def test_display_width_counts_chinese_double_and_takes_widest_line() -> None:
    assert display_width("abc") == 3
    assert display_width("满意度") == 6
    assert display_width("abcdefg\n满意度调查") == 10
    assert display_width(12.5) == 4
    assert display_width(None) == 0


XLSX_TEXTS = ["=HYPERLINK(\"http://x\",\"点我\")", "+86 138", "-2+3", "@SUM(A1)", "\tcmd",
              "\rx", "＝1+1", "满意"]


def _written(writer: str, header: list[str], rows: list[list[object]]) -> bytes:
    if writer == "tabular":
        return write_xlsx({"表": (header, rows)})
    return write_report_xlsx({"表": (header, rows, {"得分": "0.00"})})


@pytest.mark.parametrize("writer", ["tabular", "report"])
@pytest.mark.parametrize("text", XLSX_TEXTS)
def test_xlsx_keeps_formula_like_text_exact_as_a_text_cell(writer: str, text: str) -> None:
    """XLSX has typed cells: an explicit text cell is never evaluated, so no apostrophe (which
    would become part of e.g. an SMS a platform sends from the file) is needed."""
    data = _written(writer, [text, "得分"], [[text, 7], [text, 88.5]])
    sheet = load_workbook(io.BytesIO(data)).active
    # XML itself turns a raw CR into LF when read (line-end normalisation), in Excel too: the
    # line break survives, nothing is added in front.
    expected = text.replace("\r", "\n")
    for row in sheet.iter_rows():
        assert row[0].value == expected and row[0].data_type == "s"
    assert [sheet["B2"].value, sheet["B3"].value] == [7, 88.5]
    assert sheet["B2"].data_type == "n"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula element anywhere
