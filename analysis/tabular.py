"""Safe CSV and XLSX export: every table the application hands out goes through here.

Why: a text cell that begins with ``= + - @`` (or TAB/CR/LF, or the full-width
``＝＋－＠`` that Excel and WPS also accept as formula starters) is executed as a
formula when the file is opened (CSV/formula injection, OWASP ASVS 5.0 V1). Free-text
opinions and roster fields are attacker-controlled.

CSV has no cell types, so such cells get a leading single quote there. XLSX cells are typed:
every text value is written as an explicit text cell (data type "s"), which Excel, WPS and
LibreOffice display and never evaluate, so the text stays exactly as typed (an apostrophe
would become part of, say, an SMS a platform sends from the file). Numbers, dates and None
keep their type so spreadsheets can still compute.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CellValue = str | int | float | Decimal | bool | dt.date | dt.datetime | dt.time | None
Row = Sequence[object]
SheetData = tuple[Sequence[str], Iterable[Row]]
CellT = TypeVar("CellT", Cell, WriteOnlyCell)

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PASS_THROUGH = (int, float, Decimal, dt.date, dt.time)  # bool is an int; datetime is a date

# Column widths are estimated from the header and the first rows only, so huge
# exports stream through openpyxl's write-only mode without being held in memory.
WIDTH_SAMPLE_ROWS = 200
MIN_COLUMN_WIDTH = 8
MAX_COLUMN_WIDTH = 60

_EXCEL_SHEET_TITLE_MAX = 31
_EXCEL_SHEET_TITLE_FORBIDDEN = str.maketrans({char: "_" for char in "\\/?*[]:"})


def safe_cell(value: object) -> CellValue:
    """Return ``value`` ready for a CSV cell: dangerous text gets a leading quote."""
    if value is None or isinstance(value, _PASS_THROUGH):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def write_csv(rows: Iterable[Row], header: Sequence[str]) -> bytes:
    """CSV in UTF-8 with BOM (so Excel shows Chinese correctly), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(name) for name in header])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(sheets: Mapping[str, SheetData]) -> bytes:
    """XLSX with one worksheet per entry: bold frozen header, escaped cells, fitted widths."""
    if not sheets:
        raise ValueError("导出文件至少需要一个工作表")
    workbook = Workbook(write_only=True)
    used_titles: set[str] = set()
    for name, (header, rows) in sheets.items():
        title = _unique_sheet_title(name, used_titles)
        used_titles.add(title.casefold())
        worksheet = workbook.create_sheet(title)
        row_iter = iter(rows)
        head_rows = [
            [_xlsx_value(v) for v in row] for row in itertools.islice(row_iter, WIDTH_SAMPLE_ROWS)
        ]
        header_values = [_xlsx_value(name) for name in header]
        for index, width in enumerate(_column_widths([header_values, *head_rows]), start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = width
        worksheet.freeze_panes = "A2"
        worksheet.append([_bold_cell(worksheet, value) for value in header_values])
        for row_values in head_rows:
            worksheet.append([text_cell(WriteOnlyCell(worksheet, value=v)) for v in row_values])
        for row in row_iter:
            worksheet.append([text_cell(WriteOnlyCell(worksheet, value=_xlsx_value(v))) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(value: object) -> str:
    cell = safe_cell(value)
    return "" if cell is None else str(cell)


def _xlsx_value(value: object) -> CellValue:
    """The value as an XLSX cell holds it; text is kept as is (see `text_cell`)."""
    cell: CellValue = value if value is None or isinstance(value, _PASS_THROUGH) else str(value)
    if isinstance(cell, str):
        # Control characters other than TAB/CR/LF are illegal in XML and make openpyxl fail.
        return ILLEGAL_CHARACTERS_RE.sub("", cell)
    if isinstance(cell, dt.datetime | dt.time) and cell.tzinfo is not None:
        # Excel has no time zones and openpyxl refuses aware values; keep the offset as text.
        return cell.isoformat()
    return cell


def text_cell(cell: CellT) -> CellT:
    """Mark a text cell as text: openpyxl would store "=..." as a formula (data type "f")."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _bold_cell(worksheet: object, value: CellValue) -> WriteOnlyCell:
    cell = text_cell(WriteOnlyCell(worksheet, value=value))
    cell.font = Font(bold=True)
    return cell


def _column_widths(rows: Sequence[Sequence[CellValue]]) -> list[int]:
    column_count = max((len(row) for row in rows), default=0)
    widths = [MIN_COLUMN_WIDTH] * column_count
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], display_width(value) + 2)
    return [min(width, MAX_COLUMN_WIDTH) for width in widths]


def display_width(value: CellValue) -> int:
    """Width of the widest line in Latin-character units (CJK characters count two)."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    # Chinese characters are about twice as wide as Latin ones in Excel's default font.
    return max(
        (
            sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
            for line in text.splitlines()
        ),
        default=0,
    )


def _unique_sheet_title(name: str, used: set[str]) -> str:
    base = name.translate(_EXCEL_SHEET_TITLE_FORBIDDEN).strip("'")
    base = base[:_EXCEL_SHEET_TITLE_MAX] or "Sheet"
    title, counter = base, 1
    while title.casefold() in used:
        counter += 1
        suffix = f"({counter})"
        title = base[: _EXCEL_SHEET_TITLE_MAX - len(suffix)] + suffix
    return title
