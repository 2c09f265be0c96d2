"""Reading untrusted CSV and XLSX files safely: one implementation for every upload and CLI.

Checks run before any parser sees the data (OWASP ASVS V12 file handling): a size limit, the
type judged by content and never by the file name, and for XLSX (a zip) the entry count, the
total uncompressed size and the compression ratio read from the zip directory. Python's zipfile
never inflates an entry beyond its declared size, so checking declared sizes bounds the work.
openpyxl then parses the XML through defusedxml. CSV text is UTF-8 (with or without BOM),
UTF-16 with BOM, or GB18030 (a superset of the GBK that Excel on Chinese Windows writes).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import load_workbook

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls

Rows = Iterator[tuple[int, list[object]]]


class TableReadError(ValueError):
    """The file cannot be read at all; the message is Chinese and user-facing."""


@dataclass(frozen=True)
class ReadLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_columns: int = 100
    max_zip_entries: int = 1_000
    max_uncompressed_bytes: int = 300 * 1024 * 1024
    max_compression_ratio: float = 200.0


def read_rows(data: bytes, limits: ReadLimits | None = None, sheet: str | None = None) -> Rows:
    """(row number as a spreadsheet shows it, cells) for every row of a CSV or XLSX file.

    Errors found while iterating are raised as TableReadError too.
    """
    limits = limits or ReadLimits()
    if not data:
        raise TableReadError("文件为空")
    if len(data) > limits.max_bytes:
        raise TableReadError(
            f"文件大小{len(data) / 1024 / 1024:.1f} MB超过上限{limits.max_bytes / 1024 / 1024:.0f} MB"
        )
    if data.startswith(ZIP_MAGIC):
        return _xlsx_rows(data, limits, sheet)
    if data.startswith(OLE_MAGIC):
        raise TableReadError("不支持旧版Excel（.xls）文件，请另存为.xlsx或CSV后再导入")
    return _csv_rows(data)


def decode_text(data: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise TableReadError("文件编码损坏，无法读取") from exc
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableReadError("无法识别文件编码，请将CSV保存为UTF-8或GBK编码")


def _xlsx_rows(data: bytes, limits: ReadLimits, sheet: str | None) -> Rows:
    check_xlsx_container(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TableReadError("无法读取Excel文件，文件可能已损坏或不是.xlsx格式") from exc
    if sheet is not None and sheet not in workbook.sheetnames:
        names = "、".join(workbook.sheetnames)
        workbook.close()
        raise TableReadError(f"文件中没有工作表「{sheet}」，现有：{names}")
    return _sheet_rows(workbook, sheet, limits)


def _sheet_rows(workbook, sheet: str | None, limits: ReadLimits) -> Rows:  # type: ignore[no-untyped-def]
    try:
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        # Some writers store wrong sheet dimensions; read every row instead of trusting them.
        worksheet.reset_dimensions()
        # No max_col: openpyxl would pad every row to that width, which is slow. Rows come
        # back as long as their last stored cell, cut here one past the column limit.
        width = limits.max_columns + 1
        for row_number, row in enumerate(worksheet.iter_rows(min_row=1, values_only=True), 1):
            yield row_number, list(row[:width])
    except TableReadError:
        raise
    except Exception as exc:
        raise TableReadError("读取Excel工作表时出错，文件可能已损坏") from exc
    finally:
        workbook.close()


def check_xlsx_container(data: bytes, limits: ReadLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableReadError("文件不是有效的.xlsx文件（压缩包已损坏）") from exc
    if len(entries) > limits.max_zip_entries:
        raise TableReadError(f"Excel文件内部条目过多（{len(entries)}个），拒绝导入")
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise TableReadError("文件不是.xlsx格式的Excel工作簿，请上传.xlsx或CSV文件")
    if sum(entry.file_size for entry in entries) > limits.max_uncompressed_bytes:
        raise TableReadError("Excel文件解压后过大，疑似压缩炸弹，拒绝导入")
    for entry in entries:
        if entry.file_size > limits.max_compression_ratio * max(entry.compress_size, 1):
            raise TableReadError("Excel文件压缩比异常，疑似压缩炸弹，拒绝导入")


def _csv_rows(data: bytes) -> Rows:
    text = decode_text(data)
    if "\x00" in text:
        raise TableReadError("文件不是文本格式的CSV，请上传.xlsx或CSV文件")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    def rows() -> Rows:
        try:
            for row_number, row in enumerate(reader, start=1):
                yield row_number, list(row)
        except csv.Error as exc:
            raise TableReadError(
                f"CSV文件第{reader.line_num}行格式错误（引号不配对或单元格过长）"
            ) from exc

    return rows()
