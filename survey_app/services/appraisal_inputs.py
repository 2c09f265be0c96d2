"""Indicator data as a managed input: the non-survey indicators (重点工作, 单位评, 工单…, bonuses,
deductions, vetoes) kept per appraisal year, period, unit and column.

The scheme says which cells are needed: every unit of a class the scheme grades × every period
× every column of that class that is not filled from stored survey scores, plus the bonus,
deduction and veto columns. A template XLSX lists exactly those cells. An upload is validated
against the scheme before anything is stored (problems are listed per cell in Chinese), kept as
a pending upload, shown as a preview of the changes, and applied only on confirmation; blank
cells of an upload leave the stored values alone, so a partial upload changes only what it
holds. Every applied upload records who, when and which cells changed (old → new).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis.appraisal.components import ComponentKind, Method
from analysis.appraisal.scheme import Scheme
from analysis.table_reading import TableReadError, read_rows
from analysis.tabular import write_xlsx
from survey_app.db.queries import appraisal as store
from survey_app.db.queries import audit, units
from survey_app.services.appraisal import (
    VETO_COLUMN,
    AppraisalFailed,
    cell_text,
    parse_scheme_text,
    satisfaction_sources,
    scheme_record,
)

CODE_HEADERS = ("单位代码", "单位")
NAME_HEADER, CLASS_HEADER, PERIOD_HEADER = "单位名称", "类别", "期间"
TRUE_WORDS = frozenset({"是", "1", "true", "yes", "否决"})
FALSE_WORDS = frozenset({"否", "0", "false", "no"})
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class ColumnRule:
    column: str
    kind: str  # indicator, bonus, deduction, veto
    classes: frozenset[str]  # classes that need the column
    low: float | None
    high: float | None

    @property
    def range_text(self) -> str:
        if self.kind == "veto":
            return "是 / 否（1 / 0）"
        if self.high is None:
            return f"不小于 {self.low:g} 的数" if self.low is not None else "数值"
        return f"{self.low:g}–{self.high:g}"


def column_rules(scheme: Scheme) -> list[ColumnRule]:
    """The columns the office supplies, in template order, with their admissible ranges."""
    from_surveys = set(satisfaction_sources(scheme))
    leaves: dict[str, tuple[set[str], float | None]] = {}
    for unit_class in scheme.classes:
        for leaf in unit_class.root.leaves():
            if leaf.column in from_surveys:
                continue
            bounded = (
                leaf.kind is ComponentKind.SATISFACTION
                or leaf.normalisation.method is Method.NONE
                or "率" in leaf.column
            )
            classes, _ = leaves.setdefault(leaf.column, (set(), 100.0 if bounded else None))
            classes.add(unit_class.name)
    every = frozenset(c.name for c in scheme.classes)
    rules = [ColumnRule(column, "indicator", frozenset(classes), 0.0, high)
             for column, (classes, high) in leaves.items()]  # fmt: skip
    policy = scheme.adjustments
    for kind, rule in (("bonus", policy.bonus), ("deduction", policy.deduction)):
        for item in rule.items:
            cap = item.cap if item.cap is not None else rule.cap
            rules.append(ColumnRule(item.column, kind, every, 0.0, cap))
    rules.append(ColumnRule(VETO_COLUMN, "veto", every, 0.0, 1.0))
    return rules


@dataclass(frozen=True)
class Cell:
    unit_code: str
    period: str
    column: str
    value: float


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "表头"
        return f"{where}{f'「{self.column}」列' if self.column else ''}：{self.message}"


class UploadRejected(AppraisalFailed):
    """The upload does not fit the scheme; nothing was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"上传的指标表有 {len(self.problems)} 处问题，未保存任何数据")


def _graded_units(scheme: Scheme, all_units: Sequence[units.UnitRecord]) -> list[units.UnitRecord]:
    classes = {c.name for c in scheme.classes}
    return [u for u in all_units if u.category in classes]


def validate_upload(scheme: Scheme, data: bytes, all_units: Sequence[units.UnitRecord]) -> list[Cell]:
    """The cells of an upload, or UploadRejected listing every problem per cell."""
    try:
        numbered = [(n, cells) for n, cells in read_rows(data) if any(cell_text(c) for c in cells)]
    except TableReadError as error:
        raise UploadRejected([Problem(None, "", f"文件无法读取：{error}")]) from None
    if len(numbered) < 2:
        raise UploadRejected([Problem(None, "", "表中没有数据行")])
    header = [cell_text(c) for c in numbered[0][1]]
    rules = {r.column: r for r in column_rules(scheme)}
    problems: list[Problem] = []
    code_at = next((header.index(h) for h in CODE_HEADERS if h in header), None)
    if code_at is None or PERIOD_HEADER not in header:
        raise UploadRejected([Problem(None, "", "表头必须有「单位代码」（或「单位」）和「期间」两列")])
    period_at = header.index(PERIOD_HEADER)
    known = {*CODE_HEADERS, NAME_HEADER, CLASS_HEADER, PERIOD_HEADER}
    for name in header:
        if name and name not in known and name not in rules:
            problems.append(Problem(None, name, f"不是考核方案需要上传的列，可用：{'、'.join(rules)}"))
    by_key = {u.code: u for u in all_units} | {u.name: u for u in all_units}
    graded = {u.code for u in _graded_units(scheme, all_units)}
    periods = [key for key, _ in scheme.periods]
    aliases = {f"{scheme.year}-{key}": key for key in periods}
    seen: dict[tuple[str, str], int] = {}
    cells: list[Cell] = []
    for number, row in numbered[1:]:
        values = dict(zip(header, row, strict=False))
        unit_text = cell_text(row[code_at] if code_at < len(row) else None)
        period_text = cell_text(row[period_at] if period_at < len(row) else None)
        unit = by_key.get(unit_text)
        period = period_text if period_text in periods else aliases.get(period_text)
        if unit is None:
            problems.append(Problem(number, header[code_at], f"单位「{unit_text}」不在单位名录中"))
            continue
        if unit.code not in graded:
            problems.append(
                Problem(
                    number, header[code_at], f"单位「{unit.name}」的类别「{unit.category}」不在考核方案中"
                )
            )
            continue
        if period is None:
            problems.append(
                Problem(
                    number, PERIOD_HEADER, f"期间「{period_text}」不在考核方案中，可用：{'、'.join(periods)}"
                )
            )
            continue
        if (unit.code, period) in seen:
            problems.append(
                Problem(
                    number, header[code_at], f"{unit.name} {period} 与第 {seen[unit.code, period]} 行重复"
                )
            )
            continue
        seen[unit.code, period] = number
        for name, raw in values.items():
            rule = rules.get(name)
            text = cell_text(raw)
            if rule is None or not text or text == "不适用":
                continue  # blank: the stored value stays
            if unit.category not in rule.classes:
                problems.append(Problem(number, name, f"「{unit.category}」类单位不考核此项，请留空"))
                continue
            value, message = _value(raw, text, rule)
            if message:
                problems.append(Problem(number, name, message))
            elif value is not None:
                cells.append(Cell(unit.code, period, name, value))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise UploadRejected(problems)
    if not cells:
        raise UploadRejected([Problem(None, "", "表中没有填写任何指标值")])
    return cells


def _value(raw: object, text: str, rule: ColumnRule) -> tuple[float | None, str]:
    if rule.kind == "veto":
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return 1.0, ""
        if lowered in FALSE_WORDS:
            return 0.0, ""
        return None, f"「{text}」无法识别，请填写 是 或 否"
    if isinstance(raw, bool):
        return None, f"「{text}」不是数字"
    try:
        value = float(raw) if isinstance(raw, int | float) else float(text.rstrip("%"))
    except ValueError:
        return None, f"「{text}」不是数字"
    if not math.isfinite(value):
        return None, f"「{text}」不是有限的数"
    if (rule.low is not None and value < rule.low) or (rule.high is not None and value > rule.high):
        return None, f"{value:g} 超出允许范围 {rule.range_text}"
    return value, ""


# --- staging, preview and applying ----------------------------------------------------------


@dataclass(frozen=True)
class Change:
    unit_code: str
    unit_name: str
    period: str
    column: str
    old: float | None
    new: float


@dataclass(frozen=True)
class Preview:
    upload: store.UploadRecord
    changes: list[Change]  # new or different values
    unchanged: int


async def stage_upload(
    scheme_id: int, data: bytes, filename: str, *, actor_id: int, actor_name: str, ip: str
) -> int:
    """Validate an upload against the scheme version; store it as pending (nothing applied)."""
    record = await scheme_record(scheme_id)
    scheme = parse_scheme_text(record.yaml_text)
    all_units = await units.list_units(active_only=True)
    try:
        cells = validate_upload(scheme, data, all_units)
    except UploadRejected as rejected:
        await audit.record_event(
            "appraisal.inputs.rejected", actor_id=actor_id, actor_name=actor_name, ip=ip,
            target=f"{scheme.year} {filename[:80]}", success=False,
            detail={"problems": len(rejected.problems)},
        )  # fmt: skip
        raise
    upload_id = await store.insert_upload(
        scheme.year, filename[:200], [[c.unit_code, c.period, c.column, c.value] for c in cells],
        {"scheme": scheme_id, "cells": len(cells)}, actor_id,
    )  # fmt: skip
    await audit.record_event(
        "appraisal.inputs.staged", actor_id=actor_id, actor_name=actor_name, ip=ip,
        target=f"{scheme.year} {filename[:80]}", detail={"upload": upload_id, "cells": len(cells)},
    )  # fmt: skip
    return upload_id


async def preview(upload_id: int) -> Preview:
    upload = await store.find_upload(upload_id)
    if upload is None:
        raise AppraisalFailed("上传记录不存在")
    current = {(v.unit_code, v.period, v.column): v.value for v in await store.indicator_values(upload.year)}
    names = {u.code: u.name for u in await units.list_units()}
    changes, unchanged = [], 0
    for code, period, column, value in upload.cells:
        old = current.get((code, period, column))
        if old is not None and math.isclose(old, value):
            unchanged += 1
        else:
            changes.append(Change(code, names.get(code, code), period, column, old, float(value)))
    return Preview(upload, changes, unchanged)


async def apply_upload(upload_id: int, *, actor_id: int, actor_name: str, ip: str) -> Preview:
    shown = await preview(upload_id)
    if shown.upload.status != "pending":
        raise AppraisalFailed("该上传已处理过，不能重复应用")
    ids = await store.unit_codes()
    cells = [(ids[c.unit_code], c.period, c.column, c.new) for c in shown.changes if c.unit_code in ids]
    await store.apply_values(shown.upload.year, upload_id, cells)
    await audit.record_event(
        "appraisal.inputs.applied", actor_id=actor_id, actor_name=actor_name, ip=ip,
        target=f"{shown.upload.year} {shown.upload.filename[:80]}",
        detail={"upload": upload_id, "changed": len(shown.changes), "unchanged": shown.unchanged,
                "cells": [[c.unit_code, c.period, c.column, c.old, c.new] for c in shown.changes[:200]]},
    )  # fmt: skip
    return shown


async def discard_upload(upload_id: int, *, actor_id: int, actor_name: str, ip: str) -> None:
    upload = await store.find_upload(upload_id)
    if upload is None or upload.status != "pending":
        raise AppraisalFailed("该上传已处理过或不存在")
    await store.set_upload_status(upload_id, "discarded")
    await audit.record_event(
        "appraisal.inputs.discarded", actor_id=actor_id, actor_name=actor_name, ip=ip,
        target=f"{upload.year} {upload.filename[:80]}", detail={"upload": upload_id},
    )  # fmt: skip


async def uploads_of_year(year: int) -> list[store.UploadRecord]:
    return await store.uploads_of_year(year)


# --- what the scheme needs and what is stored -----------------------------------------------


@dataclass(frozen=True)
class MissingCell:
    unit_code: str
    unit_name: str
    period: str
    column: str

    def __str__(self) -> str:
        return f"{self.unit_name}（{self.unit_code}）{self.period}「{self.column}」"


async def stored_cells(year: int) -> dict[tuple[str, str], dict[str, float]]:
    """Stored values by (unit code, period key) → {column: value}."""
    cells: dict[tuple[str, str], dict[str, float]] = {}
    for v in await store.indicator_values(year):
        if v.value is not None:
            cells.setdefault((v.unit_code, v.period), {})[v.column] = v.value
    return cells


def missing_cells(
    scheme: Scheme,
    periods: Sequence[str],
    all_units: Sequence[units.UnitRecord],
    stored: Mapping[tuple[str, str], Mapping[str, float]],
) -> list[MissingCell]:
    rules = column_rules(scheme)
    missing: list[MissingCell] = []
    for unit in _graded_units(scheme, all_units):
        for period in periods:
            have = stored.get((unit.code, period), {})
            missing.extend(
                MissingCell(unit.code, unit.name, period, r.column)
                for r in rules
                if unit.category in r.classes and r.column not in have
            )
    return missing


async def template_xlsx(scheme_id: int) -> tuple[bytes, str]:
    """Every cell the scheme needs, one row per unit and period, filled with stored values."""
    record = await scheme_record(scheme_id)
    scheme = parse_scheme_text(record.yaml_text)
    rules = column_rules(scheme)
    stored = await stored_cells(scheme.year)
    header = ["单位代码", NAME_HEADER, CLASS_HEADER, PERIOD_HEADER, *(r.column for r in rules)]
    rows = []
    for unit in _graded_units(scheme, await units.list_units(active_only=True)):
        for period, _ in scheme.periods:
            have = stored.get((unit.code, period), {})
            values = [
                ("不适用" if unit.category not in r.classes else _shown(r, have.get(r.column))) for r in rules
            ]
            rows.append([unit.code, unit.name, unit.category, period, *values])
    guide = [
        [r.column, {"indicator": "指标", "bonus": "加分", "deduction": "扣分", "veto": "一票否决"}[r.kind],
         "、".join(sorted(r.classes)), r.range_text]
        for r in rules
    ]  # fmt: skip
    guide.append(["说明", "", "", "留空的单元格不会改动已保存的数据；标“不适用”的单元格请勿填写。"])
    content = write_xlsx(
        {"指标数据": (header, rows), "填写说明": (("列", "类型", "适用类别", "取值范围"), guide)}
    )
    return content, f"指标数据模板_{scheme.year}_第{record.version_no}版.xlsx"


def _shown(rule: ColumnRule, value: float | None) -> object:
    if value is None:
        return None
    if rule.kind == "veto":
        return "是" if value else "否"
    return value
