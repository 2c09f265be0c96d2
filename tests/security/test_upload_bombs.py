"""Decompression bombs and malformed files against the pure upload parsers.

parse_roster (roster CSV/XLSX) and read_xlsform (questionnaire XLSForm) must answer every bad
file with their own Chinese error (RosterImportError / DefinitionError), never another
exception, never unbounded memory, and never content from outside the file (XXE).
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import Workbook

from questionnaires.model import DefinitionError
from questionnaires.roster import RosterImportError, RosterKind, parse_roster
from questionnaires.xlsform import read_xlsform

SHEET = "xl/worksheets/sheet1.xml"
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
               .encode() for i in range(1, 10))
    + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    b"</sheetData></worksheet>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    b"</sheetData></worksheet>"
)


def roster_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["统一社会信用代码", "企业名称"])
    sheet.append(["91350100M000100Y43", "甲"])
    return _saved(workbook)


def xlsform_xlsx() -> bytes:
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "opinion", "您的意见"])
    return _saved(workbook)


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _replace(data: bytes, name: str, content: bytes) -> bytes:
    return _zip(_entries(data) | {name: content})


def _understating_sizes(data: bytes, name: str, declared: int) -> bytes:
    """The same zip, but `name` claims a smaller uncompressed size than it inflates to."""
    raw = bytearray(data)
    encoded = name.encode()
    local = raw.find(b"PK\x03\x04" + b"\x00" * 0)  # first local header
    while local != -1:
        name_length = struct.unpack_from("<H", raw, local + 26)[0]
        if bytes(raw[local + 30: local + 30 + name_length]) == encoded:
            struct.pack_into("<I", raw, local + 22, declared)
        local = raw.find(b"PK\x03\x04", local + 4)
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", raw, central + 28)[0]
        if bytes(raw[central + 46: central + 46 + name_length]) == encoded:
            struct.pack_into("<I", raw, central + 24, declared)
        central = raw.find(b"PK\x01\x02", central + 4)
    return bytes(raw)


def _roster(data: bytes) -> None:
    parse_roster(data, RosterKind.ENTERPRISE)


PARSERS: dict[str, tuple[Callable[[bytes], object], Callable[[], bytes], type[Exception]]] = {
    "roster": (_roster, roster_xlsx, RosterImportError),
    "xlsform": (read_xlsform, xlsform_xlsx, DefinitionError),
}


def _bad_files(valid: bytes) -> dict[str, bytes]:
    zeros = b"\0" * (60 * 1024 * 1024)  # inflates 60 MB from about 60 KB
    return {
        "zip bomb entry": _replace(valid, "xl/media/padding.bin", zeros),
        "zip bomb sheet": _replace(valid, SHEET, b"<worksheet>" + b" " * len(zeros)),
        "entry lying about its size": _understating_sizes(
            _replace(valid, SHEET, _entries(valid)[SHEET] + b"<!--" + b"x" * 100_000 + b"-->"),
            SHEET, 100),
        "billion laughs sheet": _replace(valid, SHEET, BILLION_LAUGHS),
        "billion laughs workbook": _replace(valid, "xl/workbook.xml", BILLION_LAUGHS),
        "external entity": _replace(valid, SHEET, XXE),
        "truncated": valid[: len(valid) // 2],
        "not xml sheet": _replace(valid, SHEET, b"\x89PNG\r\n\x1a\n" + b"\xff" * 100),
        "unclosed sheet xml": _replace(valid, SHEET, _entries(valid)[SHEET][:-40]),
        "no workbook part": _zip({k: v for k, v in _entries(valid).items()
                                  if k != "xl/workbook.xml"}),
        "zip of junk": _zip({"[Content_Types].xml": b"junk", "xl/workbook.xml": b"junk"}),
        "pk header then junk": b"PK\x03\x04" + b"\x00" * 500,
        "many entries": _zip(_entries(valid) | {f"x/{i}.xml": b"" for i in range(3000)}),
    }


CASE_NAMES = (
    "zip bomb entry", "zip bomb sheet", "entry lying about its size", "billion laughs sheet",
    "billion laughs workbook", "external entity", "truncated", "not xml sheet",
    "unclosed sheet xml", "no workbook part", "zip of junk", "pk header then junk", "many entries",
)
CASES = [pytest.param(p, c, id=f"{p}-{c}") for p in PARSERS for c in CASE_NAMES]


@pytest.fixture(scope="module")
def bad_files() -> dict[str, dict[str, bytes]]:
    files = {parser: _bad_files(make()) for parser, (_, make, _) in PARSERS.items()}
    assert all(tuple(built) == CASE_NAMES for built in files.values())
    return files


@pytest.mark.parametrize(("parser", "case"), CASES)
def test_bad_xlsx_gets_the_parsers_own_error(parser: str, case: str,
                                              bad_files: dict[str, dict[str, bytes]]) -> None:
    parse, _, error = PARSERS[parser]
    try:
        parse(bad_files[parser][case])
    except error as problem:
        message = str(problem)
        assert message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message
        assert "root:" not in message  # nothing from /etc/passwd leaks into the message
        return
    except Exception as other:  # the point of the test
        pytest.fail(f"{parser} crashed on {case!r} with {type(other).__name__}: {other}")
    if case != "many entries" or parser == "roster":
        pytest.fail(f"{parser} accepted {case!r}")


@pytest.mark.parametrize("parser", list(PARSERS))
def test_valid_files_still_parse(parser: str) -> None:
    parse, make, _ = PARSERS[parser]
    parse(make())


@pytest.mark.parametrize("data", [
    b"",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
    "统一社会信用代码,企业名称\n\"未闭合的引号,甲\n".encode(),
    b"\xff\xfe\x00\xd8\x00\xd8",  # UTF-16 BOM with lone surrogates
    b"\x00" * 1000,
    b"\x81\x30" * 1000,  # truncated GB18030 sequences
])
def test_malformed_roster_text_files_get_a_chinese_error(data: bytes) -> None:
    with pytest.raises(RosterImportError):
        parse_roster(data, RosterKind.ENTERPRISE)


def test_malformed_xlsform_bytes_get_a_chinese_error() -> None:
    for data in (b"", b"not a zip at all", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512):
        with pytest.raises(DefinitionError):
            read_xlsform(data)
