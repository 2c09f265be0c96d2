"""Workbooks people filter and pivot: bold frozen header, autofilter, number formats per column.

For small tables (appraisal results, one row per unit): the whole sheet is built in memory so
that formats and filters can be set. Text is written as explicit text cells (tabular.text_cell),
so it is shown exactly as typed and never evaluated as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from analysis.tabular import _column_widths, _unique_sheet_title, _xlsx_value, text_cell

PERCENT, SCORE, INTEGER = "0.0%", "0.00", "0"
Sheet = tuple[Sequence[str], Iterable[Sequence[object]], Mapping[str, str]]


def write_report_xlsx(sheets: Mapping[str, Sheet]) -> bytes:
    """One worksheet per entry; `formats` maps a header name to an Excel number format."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for name, (header, rows, formats) in sheets.items():
        title = _unique_sheet_title(name, used)
        used.add(title.casefold())
        sheet = workbook.create_sheet(title)
        values = [[_xlsx_value(v) for v in row] for row in rows]
        sheet.append([_xlsx_value(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in values:
            sheet.append(row)
        for sheet_row in sheet.iter_rows():
            for cell in sheet_row:
                text_cell(cell)
        for index, width in enumerate(_column_widths([[_xlsx_value(h) for h in header], *values[:200]]), 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for index, column in enumerate(header, start=1):
            number_format = formats.get(column)
            if number_format is None:
                continue
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        sheet.freeze_panes = "A2"
        if header:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(len(values) + 1, 1)}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
