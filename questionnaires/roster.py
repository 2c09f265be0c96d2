"""Roster (样本框) import: enterprises or residents from CSV or XLSX uploads.

Untrusted uploads are read by analysis.table_reading, which checks size, type (by content)
and XLSX zip bombs before any parser sees them.

A file that cannot be read at all raises :class:`RosterImportError`; problems in single
rows are collected as :class:`RowError` (row number as Excel shows it, column header,
Chinese reason) so the office can fix them and upload again.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from analysis.table_reading import ReadLimits, TableReadError, read_rows
from analysis.tabular import write_xlsx
from questionnaires.roster_vocab import (
    Vocabulary,
    industry_problem,
    place_problem,
    size_problem,
)
from questionnaires.sampling import FrameUnit
from questionnaires.uscc import explain_uscc_error, normalize_uscc


class RosterKind(StrEnum):
    ENTERPRISE = "enterprise"
    RESIDENT = "resident"


KIND_LABELS = {RosterKind.ENTERPRISE: "企业名单", RosterKind.RESIDENT: "居民名单"}


class RosterImportError(ValueError):
    """The whole file is unusable; the message is Chinese and user-facing."""


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 200_000
    max_columns: int = 100
    max_cell_chars: int = 200
    max_zip_entries: int = 1_000
    max_uncompressed_bytes: int = 300 * 1024 * 1024
    max_compression_ratio: float = 200.0


@dataclass(frozen=True)
class EnterpriseRecord:
    row_number: int
    uscc: str
    name: str
    industry: str
    size_class: str
    park: str
    contact_name: str
    phone: str

    @property
    def key(self) -> str:
        return self.uscc

    def to_frame_unit(self) -> FrameUnit:
        return _frame_unit(self, RosterKind.ENTERPRISE)


@dataclass(frozen=True)
class ResidentRecord:
    row_number: int
    resident_id: str  # the file's 编号, or the phone number when the file has no 编号 column
    name: str
    street: str
    community: str
    age_band: str
    phone: str

    @property
    def key(self) -> str:
        return self.resident_id

    def to_frame_unit(self) -> FrameUnit:
        return _frame_unit(self, RosterKind.RESIDENT)


RosterRecord = EnterpriseRecord | ResidentRecord

# The fields the sampler may stratify or filter on; contact details never reach it.
FRAME_FIELDS = {
    RosterKind.ENTERPRISE: ("industry", "size_class", "park"),
    RosterKind.RESIDENT: ("street", "community", "age_band"),
}


def _frame_unit(record: RosterRecord, kind: RosterKind) -> FrameUnit:
    return FrameUnit(record.key, {name: getattr(record, name) for name in FRAME_FIELDS[kind]})


@dataclass(frozen=True)
class RowError:
    row_number: int
    column: str
    reason: str
    value: str = ""


@dataclass(frozen=True)
class RosterParseResult:
    kind: RosterKind
    records: tuple[RosterRecord, ...]
    errors: tuple[RowError, ...]
    data_rows: int  # non-blank rows below the header
    column_mapping: dict[str, str]  # file header -> field
    ignored_columns: tuple[str, ...]
    header: tuple[str, ...] = ()
    # The cells of each row with an error, as text, for the error report to repeat.
    error_rows: dict[int, tuple[str, ...]] = field(default_factory=dict)


# Header aliases, compared after NFKC, lower-casing and removing spaces and "*".
_FIELD_ALIASES: dict[RosterKind, dict[str, tuple[str, ...]]] = {
    RosterKind.ENTERPRISE: {
        "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "uscc", "credit_code",
                 "creditcode", "unified_social_credit_code"),
        "name": ("企业名称", "名称", "单位名称", "企业", "name", "company", "company_name",
                 "enterprise_name"),
        "industry": ("行业", "所属行业", "行业类别", "行业分类", "行业门类", "industry"),
        "size_class": ("规模", "企业规模", "规模类型", "规模类别", "规上规下", "size_class", "size",
                       "scale"),
        "park": ("园区", "街道", "所属园区", "所属街道", "园区/街道", "园区街道", "park", "street"),
        "contact_name": ("联系人", "联系人姓名", "contact", "contact_name"),
        "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "phone", "mobile",
                  "tel"),
    },
    RosterKind.RESIDENT: {
        "resident_id": ("编号", "居民编号", "id", "resident_id"),
        "name": ("姓名", "name"),
        "street": ("街道", "镇街", "所属街道", "街镇", "street"),
        "community": ("社区", "村居", "社区/村", "所属社区", "community"),
        "age_band": ("年龄段", "年龄组", "age_band", "age_group"),
        "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "phone", "mobile",
                  "tel"),
    },
}  # fmt: skip

FIELD_LABELS = {
    "uscc": "统一社会信用代码",
    "name": "名称",
    "industry": "行业",
    "size_class": "规模",
    "park": "园区/街道",
    "contact_name": "联系人",
    "phone": "联系电话",
    "resident_id": "编号",
    "street": "街道",
    "community": "社区",
    "age_band": "年龄段",
}

# A header row must name these columns; residents need one of 编号 / 联系电话 as their key.
_REQUIRED_COLUMNS = {RosterKind.ENTERPRISE: ("uscc", "name"), RosterKind.RESIDENT: ("street",)}
_RESIDENT_KEY_COLUMNS = ("resident_id", "phone")
_HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in office files

_SIZE_CLASS_SYNONYMS = {
    "规模以上": "规上",
    "规模以上企业": "规上",
    "规上企业": "规上",
    "规模以下": "规下",
    "规模以下企业": "规下",
    "规下企业": "规下",
}
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_LANDLINE_RE = re.compile(r"0\d{9,11}")  # area code (3-4 digits incl. 0) + 7-8 digits
_PHONE_PUNCTUATION_RE = re.compile(r"[\s\-()]")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc

ERROR_REPORT_HEADER = ("行号", "列", "问题", "内容")


def canonical_field(kind: RosterKind, name: str) -> str | None:
    """Map a header or a user-typed field name (``size``, ``规模``) to its field, if known."""
    wanted = _header_key(name)
    for field_name, aliases in _FIELD_ALIASES[kind].items():
        if wanted == field_name or wanted in {_header_key(a) for a in aliases}:
            return field_name
    return None


def parse_roster(
    data: bytes, kind: RosterKind, limits: UploadLimits | None = None,
    vocab: Vocabulary | None = None,
) -> RosterParseResult:
    """With `vocab`, 行业, 规模 and 园区/街道 must be known values (synonyms are mapped)."""
    limits = limits or UploadLimits()
    rows = _read_rows(data, limits)
    header_row, header = _locate_header(rows, kind)
    if len(header) > limits.max_columns:
        raise RosterImportError(f"列数{len(header)}超过上限{limits.max_columns}")
    mapping, ignored = _map_columns(header, kind)
    validate = _row_validator(kind, mapping, header, limits, vocab)
    records: list[RosterRecord] = []
    errors: list[RowError] = []
    error_rows: dict[int, tuple[str, ...]] = {}
    data_rows = 0
    for row_number, cells in rows:
        if row_number - header_row > limits.max_rows:
            raise RosterImportError(f"数据行数超过上限{limits.max_rows}行，请拆分后分批导入")
        if all(_cell_text(c) == "" for c in cells):
            continue
        data_rows += 1
        record, row_errors = validate(row_number, cells)
        errors.extend(row_errors)
        if row_errors:
            error_rows[row_number] = tuple(_cell_text(c)[:limits.max_cell_chars]
                                           for c in cells[:len(header)])
        if record is not None:
            records.append(record)
    return RosterParseResult(
        kind=kind,
        records=tuple(records),
        errors=tuple(errors),
        data_rows=data_rows,
        column_mapping={header[i]: name for name, i in mapping.items()},
        ignored_columns=tuple(ignored),
        header=tuple(header),
        error_rows=error_rows,
    )


def rows_with_problems(errors: Iterable[RowError]) -> int:
    """Distinct rows among the problems: a row with two bad cells is one row left out."""
    return len({error.row_number for error in errors})


def build_error_report_xlsx(
    errors: Iterable[RowError], header: Sequence[str] = (),
    originals: dict[int, Sequence[str]] | None = None,
) -> bytes:
    """One line per problem; with `header` and `originals`, the row as uploaded follows (under
    its own column titles), so it can be found and fixed in the original file."""
    originals = originals or {}
    full_header = (*ERROR_REPORT_HEADER, *(f"原表：{h}" for h in header))
    rows = ([e.row_number, e.column, e.reason, e.value,
             *list(originals.get(e.row_number, ()))[:len(header)]] for e in errors)
    return write_xlsx({"导入问题": (full_header, rows)})


# --- reading ------------------------------------------------------------------------

Rows = Iterator[tuple[int, list[object]]]  # (row number as in Excel, cells)


def _read_rows(data: bytes, limits: UploadLimits) -> Rows:
    read_limits = ReadLimits(
        max_bytes=limits.max_bytes,
        max_columns=limits.max_columns,
        max_zip_entries=limits.max_zip_entries,
        max_uncompressed_bytes=limits.max_uncompressed_bytes,
        max_compression_ratio=limits.max_compression_ratio,
    )
    try:
        yield from read_rows(data, read_limits)
    except TableReadError as error:
        raise RosterImportError(str(error)) from error.__cause__


# --- header -------------------------------------------------------------------------


def _locate_header(rows: Rows, kind: RosterKind) -> tuple[int, list[str]]:
    """The first of the top rows that names the required columns (title rows are skipped)."""
    candidates: list[list[str]] = []
    for row_number, cells in rows:
        header = [_cell_text(c) for c in cells]
        while header and header[-1] == "":
            header.pop()
        if header:
            if _names_required_columns(header, kind):
                return row_number, header
            candidates.append(header)
        if row_number >= _HEADER_SEARCH_ROWS:
            break
    if not candidates:
        raise RosterImportError("文件中没有数据")
    required = "、".join(f"“{FIELD_LABELS[f]}”" for f in _REQUIRED_COLUMNS[kind])
    message = f"前{_HEADER_SEARCH_ROWS}行中未找到表头：{KIND_LABELS[kind]}需要{required}列"
    other = RosterKind.RESIDENT if kind is RosterKind.ENTERPRISE else RosterKind.ENTERPRISE
    if any(_names_required_columns(header, other) for header in candidates):
        message += f"；该文件看起来是{KIND_LABELS[other]}，请确认导入类型"
    raise RosterImportError(message)


def _names_required_columns(header: Sequence[str], kind: RosterKind) -> bool:
    fields = {canonical_field(kind, title) for title in header}
    return set(_REQUIRED_COLUMNS[kind]) <= fields


def _map_columns(header: Sequence[str], kind: RosterKind) -> tuple[dict[str, int], list[str]]:
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        field_name = canonical_field(kind, title)
        if field_name is None or field_name in mapping:
            if title:
                ignored.append(title)
            continue
        mapping[field_name] = index
    if kind is RosterKind.RESIDENT and not any(f in mapping for f in _RESIDENT_KEY_COLUMNS):
        raise RosterImportError("居民名单需要“编号”或“联系电话”列，用于区分每位居民")
    return mapping, ignored


def _header_key(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).lower()
    return "".join(ch for ch in text if not ch.isspace() and ch != "*")


# --- rows ---------------------------------------------------------------------------

Validator = Callable[[int, Sequence[object]], tuple[RosterRecord | None, list[RowError]]]


@dataclass
class _RowContext:
    """Field access for one row that records errors with the column's own header."""

    row_number: int
    cells: Sequence[object]
    mapping: dict[str, int]
    headers: dict[str, str]
    max_chars: int
    errors: list[RowError]

    def raw(self, field_name: str) -> object:
        index = self.mapping.get(field_name)
        return self.cells[index] if index is not None and index < len(self.cells) else None

    def text(self, field_name: str, required: bool = False) -> str:
        value = _cell_text(self.raw(field_name))
        if required and not value:
            self.fail(field_name, f"{FIELD_LABELS[field_name]}为空")
        elif len(value) > self.max_chars:
            self.fail(field_name, f"内容过长（超过{self.max_chars}字）", value[: self.max_chars])
            return ""
        return value

    def phone(self) -> str:
        raw = self.text("phone")
        if not raw:
            return ""
        phone = normalize_phone(raw)
        if phone is None:
            self.fail("phone", "联系电话格式不正确（应为11位手机号或带区号的固定电话）", raw)
            return ""
        return phone

    def fail(self, field_name: str, reason: str, value: str = "") -> None:
        column = self.headers.get(field_name, FIELD_LABELS[field_name])
        self.errors.append(RowError(self.row_number, column, reason, value[:100]))


def normalize_phone(raw: str) -> str | None:
    """Digits of a mainland mobile or landline number, or None when it is neither."""
    digits = _PHONE_PUNCTUATION_RE.sub("", unicodedata.normalize("NFKC", raw))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE_RE.fullmatch(digits) or _LANDLINE_RE.fullmatch(digits):
        return digits
    return None


def _row_validator(
    kind: RosterKind, mapping: dict[str, int], header: Sequence[str], limits: UploadLimits,
    vocab: Vocabulary | None = None,
) -> Validator:
    headers = {field_name: header[index] for field_name, index in mapping.items()}
    seen_keys: dict[str, int] = {}

    def controlled(ctx: _RowContext, field_name: str, required: bool = False) -> str:
        """The canonical value of a category; a row error when it is not a known one."""
        value = ctx.text(field_name, required=required)
        if not value or vocab is None:
            return value
        if field_name == "industry":
            known, problem = vocab.industry(value), industry_problem(value)
        elif field_name == "size_class":
            known, problem = vocab.size_class(value), size_problem(value)
        else:
            known = vocab.place(value)
            problem = place_problem(value, FIELD_LABELS[field_name], vocab.places.values())
        if known is None:
            ctx.fail(field_name, problem, value)
            return ""
        return known

    def context(row_number: int, cells: Sequence[object]) -> _RowContext:
        return _RowContext(row_number, cells, mapping, headers, limits.max_cell_chars, [])

    def claim_key(ctx: _RowContext, field_name: str, key: str) -> bool:
        first = seen_keys.setdefault(key, ctx.row_number)
        if first != ctx.row_number:
            ctx.fail(field_name, f"{FIELD_LABELS[field_name]}与第{first}行重复", key)
            return False
        return True

    def enterprise(
        row_number: int, cells: Sequence[object]
    ) -> tuple[RosterRecord | None, list[RowError]]:
        ctx = context(row_number, cells)
        uscc = _checked_uscc(ctx)
        name = ctx.text("name", required=True)
        record = EnterpriseRecord(
            row_number=row_number,
            uscc=uscc,
            name=name,
            industry=controlled(ctx, "industry"),
            size_class=(_SIZE_CLASS_SYNONYMS.get(size := ctx.text("size_class"), size)
                        if vocab is None else controlled(ctx, "size_class")),
            park=controlled(ctx, "park"),
            contact_name=ctx.text("contact_name"),
            phone=ctx.phone(),
        )
        if ctx.errors or not claim_key(ctx, "uscc", uscc):
            return None, ctx.errors
        return record, ctx.errors

    def resident(
        row_number: int, cells: Sequence[object]
    ) -> tuple[RosterRecord | None, list[RowError]]:
        ctx = context(row_number, cells)
        key_field = "resident_id" if "resident_id" in mapping else "phone"
        phone = ctx.phone()
        if key_field == "resident_id":
            key = unicodedata.normalize("NFKC", ctx.text("resident_id", required=True))
        else:
            key = phone
            if not _cell_text(ctx.raw("phone")):
                ctx.fail("phone", "联系电话为空（名单没有“编号”列时以联系电话区分居民）")
        record = ResidentRecord(
            row_number=row_number,
            resident_id=key,
            name=ctx.text("name"),
            street=controlled(ctx, "street", required=True),
            community=ctx.text("community"),
            age_band=ctx.text("age_band"),
            phone=phone,
        )
        if ctx.errors or not claim_key(ctx, key_field, key):
            return None, ctx.errors
        return record, ctx.errors

    return enterprise if kind is RosterKind.ENTERPRISE else resident


def _checked_uscc(ctx: _RowContext) -> str:
    raw = ctx.raw("uscc")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        # Excel keeps only 15 significant digits, so an all-digit code stored as a number
        # is already corrupted; say so instead of reporting a puzzling check-digit error.
        reason = "统一社会信用代码被Excel存成了数字，可能已丢失精度，请将该列设为文本后重新填写"
        ctx.fail("uscc", reason, _cell_text(raw))
        return ""
    code = normalize_uscc(ctx.text("uscc", required=True))
    if code:
        problem = explain_uscc_error(code)
        if problem is not None:
            ctx.fail("uscc", problem, code)
    return code


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())
