"""Reading the workbook: .xlsx (openpyxl) or .xls (xlrd), sheets as located text cells, and the
column headers with their pyxform spellings and languages."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from questionnaires.definition import parse_number
from questionnaires.model import DefinitionError, Problem
from questionnaires.xlsform.vocabulary import (
    BLANK_RUN_LIMIT,
    HEADER_ALIASES,
    IGNORED_SURVEY_COLUMNS,
    MAX_CELL_CHARS,
    MAX_CHOICE_ROWS,
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_XLSFORM_BYTES,
    PREFIXED_COLUMNS,
    SURVEY_COLUMNS,
    TRANSLATABLE,
)

XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: a BIFF .xls workbook
LANGUAGE_ALIASES = {
    "中文": "zh",
    "汉语": "zh",
    "简体中文": "zh",
    "chinese": "zh",
    "english": "en",
    "英文": "en",
    "英语": "en",
}
_TRANSLATED_LEGACY = ("label", "hint", "constraint_message", "required_message", "media", "image")


def error(location: str, message: str) -> DefinitionError:
    return DefinitionError([Problem(location, message)])


class _XlsSheet:
    """An xlrd sheet with openpyxl's iter_rows(values_only=True) interface."""

    def __init__(self, sheet: Any, datemode: int) -> None:
        self.sheet = sheet
        self.datemode = datemode

    def iter_rows(self, values_only: bool = True) -> Iterator[tuple[Any, ...]]:
        import xlrd

        for index in range(self.sheet.nrows):
            row = []
            for cell in self.sheet.row(index):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        row.append(xlrd.xldate.xldate_as_datetime(cell.value, self.datemode))
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        row.append(cell.value)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append(bool(cell.value))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    row.append(None)
                else:
                    row.append(cell.value)
            yield tuple(row)


class _XlsWorkbook:
    def __init__(self, book: Any) -> None:
        self.book = book
        self.sheetnames = [name.strip().lower() for name in book.sheet_names()]
        self._raw_names = book.sheet_names()

    def __getitem__(self, name: str) -> _XlsSheet:
        raw = self._raw_names[self.sheetnames.index(name)]
        return _XlsSheet(self.book.sheet_by_name(raw), self.book.datemode)

    def close(self) -> None:
        self.book.release_resources()


class _XlsxWorkbook:
    """openpyxl's read-only workbook with sheet names trimmed and lower-cased (as pyxform)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self._raw_names = list(book.sheetnames)
        self.sheetnames = [name.strip().lower() for name in self._raw_names]

    def __getitem__(self, name: str) -> Any:
        return self.book[self._raw_names[self.sheetnames.index(name)]]

    def close(self) -> None:
        self.book.close()


def open_workbook(data: bytes) -> Any:
    if len(data) > MAX_XLSFORM_BYTES:
        raise error("", f"文件过大（超过 {MAX_XLSFORM_BYTES // 1_000_000} MB）")
    if data.startswith(XLS_MAGIC):
        return _open_xls(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # A small file can inflate enormously ("zip bomb"); openpyxl would hold it in memory.
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                raise error("", "文件解压后过大，请删除无关的工作表或内容")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unknown extension is not supported" etc.
            return _XlsxWorkbook(load_workbook(io.BytesIO(data), read_only=True, data_only=True))
    except DefinitionError:
        raise
    except Exception:  # openpyxl raises many kinds for corrupt files; all mean the same here
        raise error(
            "", "文件不是有效的 Excel 工作簿（.xlsx 或 .xls），请用 Excel 或 WPS 另存后再上传"
        ) from None


def _open_xls(data: bytes) -> _XlsWorkbook:
    import xlrd

    try:
        # BIFF has no compression, so the 5 MB limit above bounds the memory xlrd needs.
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except Exception:  # xlrd raises many kinds for corrupt files
        raise error("", "文件不是有效的 .xls 工作簿，请用 Excel 或 WPS 另存为 .xlsx 后再上传") from None
    return _XlsWorkbook(book)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(parse_number(value))
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return str(value).strip()


def language_code(text: str) -> str:
    found = re.search(r"\(([^()]+)\)\s*$", text)
    code = (found.group(1) if found else text).strip().lower().replace("_", "-")
    code = LANGUAGE_ALIASES.get(code, code)
    return code.split("-")[0] if code.startswith(("zh", "en")) else code


def parse_header(raw: str) -> tuple[str, str]:
    """'label::中文 (zh)' -> ('label', 'zh'); legacy 'label:English' -> ('label', 'en');
    'bind::relevant' -> ('relevant', ''); 'body::appearance' -> ('appearance', '')."""
    if "::" in raw:
        base, _, rest = raw.partition("::")
    elif ":" in raw and raw.partition(":")[0].strip().lower() in (*_TRANSLATED_LEGACY, "bind", "body"):
        base, _, rest = raw.partition(":")
    else:
        base, rest = raw, ""
    key = " ".join(base.split()).lower()  # as pyxform: any case, blanks collapsed
    rest = rest.strip()
    if key in ("bind", "body") and rest:
        inner = rest.lower()
        return PREFIXED_COLUMNS.get(inner, f"{key}::{inner}"), ""
    key = HEADER_ALIASES.get(key) or HEADER_ALIASES.get(key.replace(" ", "_")) or key.replace(" ", "_")
    if key in ("media", "instance") and rest:
        return f"{key}::{rest.lower()}", ""
    return key, language_code(rest) if rest and key in (*TRANSLATABLE, "image", "audio", "video") else ""


@dataclass
class Sheet:
    name: str
    headers: dict[int, tuple[str, str, str]]  # column index -> (key, language, raw header)
    rows: list[tuple[int, dict[int, str]]]  # (row number, column index -> text)
    chosen: dict[str, int] = field(default_factory=dict)  # key -> column index picked

    def letter(self, key: str) -> str:
        index = self.chosen.get(key)
        return get_column_letter(index + 1) if index is not None else ""

    def where(self, row: int, key: str = "") -> str:
        text = f"{self.name} 工作表第 {row} 行"
        letter = self.letter(key)
        return f"{text} {letter} 列（{self.headers[self.chosen[key]][2]}）" if letter else text

    def cells(self, values: dict[int, str]) -> dict[str, str]:
        """Key -> text of one row; an empty translated cell falls back to another language."""
        found = {key: values.get(index, "") for key, index in self.chosen.items()}
        for index, (key, language, _) in self.headers.items():
            if language and not found.get(key) and values.get(index):
                found[key] = values[index]
        return found


def load_sheet(worksheet: Any, name: str, problems: list[Problem]) -> Sheet:
    rows_iter: Iterator[tuple[Any, ...]] = worksheet.iter_rows(values_only=True)
    limit = MAX_CHOICE_ROWS if name in ("choices", "external_choices") else MAX_SHEET_ROWS
    header_cells = next(rows_iter, ())
    headers: dict[int, tuple[str, str, str]] = {}
    for index, value in enumerate(header_cells):
        raw = cell_text(value)
        if not raw:
            continue
        if index >= MAX_SHEET_COLUMNS:
            problems.append(Problem(f"{name} 工作表第 1 行", f"列数超过上限 {MAX_SHEET_COLUMNS}"))
            break
        key, language = parse_header(raw)
        headers[index] = (key, language, raw)
    rows: list[tuple[int, dict[int, str]]] = []
    blank_run = 0
    for number, cells in enumerate(rows_iter, start=2):
        values = {
            index: text
            for index, value in enumerate(cells[:MAX_SHEET_COLUMNS])
            if index in headers and (text := cell_text(value))
        }
        if not values:
            blank_run += 1
            if blank_run >= BLANK_RUN_LIMIT:
                break
            continue
        blank_run = 0
        if number > limit:
            problems.append(Problem(f"{name} 工作表第 {number} 行", f"行数超过上限 {limit}"))
            break
        for index, text in values.items():
            if len(text) > MAX_CELL_CHARS:
                where = f"{name} 工作表第 {number} 行 {get_column_letter(index + 1)} 列"
                problems.append(Problem(where, f"单元格内容超过 {MAX_CELL_CHARS} 个字符"))
        rows.append((number, values))
    return Sheet(name, headers, rows)


def choose_columns(sheet: Sheet, default_language: str, warnings_out: list[Problem]) -> None:
    """Pick one column per key; for translated keys prefer Chinese, then the untranslated
    column, then the default language, then any."""
    by_key: dict[str, list[tuple[str, int]]] = {}
    for index, (key, language, _) in sheet.headers.items():
        by_key.setdefault(key, []).append((language, index))
    for key, candidates in by_key.items():
        languages = dict(candidates)
        for preferred in ("zh", "", default_language):
            if preferred in languages:
                sheet.chosen[key] = languages[preferred]
                break
        else:
            sheet.chosen[key] = candidates[0][1]
        if len(candidates) > 1:
            ignored = [sheet.headers[i][2] for _, i in candidates if i != sheet.chosen[key]]
            warnings_out.append(
                Problem(
                    f"{sheet.name} 工作表",
                    f"已使用“{sheet.headers[sheet.chosen[key]][2]}”，忽略{'、'.join(ignored)}",
                )
            )


def check_survey_columns(sheet: Sheet, problems: list[Problem], warnings_out: list[Problem]) -> bool:
    """False (with a problem) without the type and name columns; a warning per column ignored."""
    for required in ("type", "name"):
        if required not in sheet.chosen:
            problems.append(Problem("survey 工作表第 1 行", f"缺少 {required} 列"))
            return False
    if "label" not in sheet.chosen and "hint" not in sheet.chosen:
        warnings_out.append(Problem("survey 工作表第 1 行", "缺少 label 列，题目文字用题目名代替"))
    for key, index in sheet.chosen.items():
        column = f"survey 工作表 {get_column_letter(index + 1)} 列（{sheet.headers[index][2]}）"
        base = key.partition("::")[0]
        if key in IGNORED_SURVEY_COLUMNS or base in IGNORED_SURVEY_COLUMNS:
            warnings_out.append(Problem(column, "不支持该列，已忽略"))
        elif key not in SURVEY_COLUMNS:
            warnings_out.append(Problem(column, "未识别的列，已忽略"))
    return True
