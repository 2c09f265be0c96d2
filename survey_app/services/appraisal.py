"""Appraisal (绩效考核) inside the application: scheme versions, runs, overrides, exports.

A scheme is the YAML of analysis.appraisal.scheme, validated with its Chinese errors and kept
as numbered versions per year (never edited in place). A run builds the same input table that
`survey-app appraise` reads: one row per unit and period with the stored satisfaction indices
(with their flags and margins of error) in the scheme's satisfaction columns, plus whatever the
office uploads for the other indicators, bonuses, deductions and vetoes. The table is parsed by
the command's own parser and graded by the same engine, and it is stored with the results and
exported, so anyone can re-run it with the CLI and get the same grades.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml

from analysis.appraisal.components import ComponentKind
from analysis.appraisal.engine import AppraisalResult, ClassResult, run_appraisal
from analysis.appraisal.errors import AppraisalError
from analysis.appraisal.scheme import Scheme, parse_scheme
from analysis.appraisal.warnings import Card
from analysis.scoring.errors import ScoringError
from analysis.table_reading import TableReadError, read_rows
from analysis.tabular import SheetData, write_csv, write_xlsx
from survey_app.commands.appraise import SchemeColumns, parse_score_rows, result_table
from survey_app.db.queries import audit, units
from survey_app.db.queries import scores as queries
from survey_app.errors import InvalidInput
from survey_app.services.scores import AUDIENCES, latest_by_audience

EXAMPLE_SCHEME = Path(__file__).resolve().parents[2] / "analysis/appraisal/schemes/example.yaml"
MAX_SCHEME_CHARS = 100_000
MAX_REASON = 500
UNIT_COLUMN, CLASS_COLUMN, PERIOD_COLUMN, VETO_COLUMN = "单位", "类别", "期间", "一票否决"
ANNUAL_PERIODS = ("全年", "年度")


class AppraisalFailed(InvalidInput):
    """A Chinese message for the office: why a scheme or a run was refused."""


# --- schemes --------------------------------------------------------------------------------


def example_yaml() -> str:
    return EXAMPLE_SCHEME.read_text(encoding="utf-8")


def parse_scheme_text(text: str) -> Scheme:
    """Validate scheme YAML; every problem is one Chinese message naming its place."""
    if len(text) > MAX_SCHEME_CHARS:
        raise AppraisalFailed(f"考核方案过长（超过 {MAX_SCHEME_CHARS} 个字符）")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        raise AppraisalFailed(f"考核方案{where}不是合法的 YAML，请检查缩进和冒号") from None
    try:
        return parse_scheme(data)
    except AppraisalError as error:
        raise AppraisalFailed(str(error)) from None


async def save_scheme(text: str, note: str, *, actor_id: int, actor_name: str, ip: str) -> tuple[int, int]:
    """Store a validated scheme as the next version of its year."""
    scheme = parse_scheme_text(text)
    scheme_id, version_no = await queries.insert_scheme(
        scheme.year, scheme.name[:128], text, note.strip()[:200], actor_id
    )
    await audit.record_event(
        "appraisal.scheme",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"{scheme.year} 第{version_no}版",
        ip=ip,
        detail={"scheme": scheme_id, "name": scheme.name, "version": scheme.version},
    )
    return scheme_id, version_no


# --- the input table ------------------------------------------------------------------------


def campaign_period(scheme: Scheme, key: str) -> str:
    """Scheme period keys (Q1 … Q4, 全年) → campaign periods (2026-Q1 …, 2026)."""
    if key in ANNUAL_PERIODS:
        return str(scheme.year)
    return key if key.startswith(str(scheme.year)) else f"{scheme.year}-{key}"


def satisfaction_sources(scheme: Scheme) -> dict[str, str]:
    """Satisfaction columns filled from stored scores: 企业… → enterprise, 居民/群众… → resident.

    Other satisfaction columns (e.g. 单位评, an evaluation among units) come from the upload.
    """
    sources = {}
    for unit_class in scheme.classes:
        for leaf in unit_class.root.leaves():
            if leaf.kind is not ComponentKind.SATISFACTION:
                continue
            if "企业" in leaf.column:
                sources[leaf.column] = "enterprise"
            elif "居民" in leaf.column or "群众" in leaf.column:
                sources[leaf.column] = "resident"
    return sources


@dataclass(frozen=True)
class InputTable:
    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    notes: tuple[str, ...]  # what was left out and why, for the office to read


def input_header(scheme: Scheme) -> tuple[str, ...]:
    columns = SchemeColumns.of(scheme)
    leaves = sorted(columns.leaves)
    satisfaction = sorted(satisfaction_sources(scheme))
    return (
        UNIT_COLUMN, CLASS_COLUMN, PERIOD_COLUMN, VETO_COLUMN, *leaves,
        *(f"{c}_标记" for c in satisfaction), *(f"{c}_误差" for c in satisfaction),
        *sorted(columns.bonuses), *sorted(columns.deductions),
    )  # fmt: skip


async def build_input_table(scheme: Scheme, upload: bytes | None) -> InputTable:
    header = input_header(scheme)
    notes: list[str] = []
    all_units = await units.list_units(active_only=True)
    by_code = {u.code: u for u in all_units}
    classes = {c.name for c in scheme.classes}
    periods = {key: campaign_period(scheme, key) for key, _ in scheme.periods}
    cells: dict[tuple[str, str], dict[str, object]] = {}
    latest = latest_by_audience(await queries.runs_in_periods(list(periods.values())))
    for key, period in periods.items():
        for column, audience in satisfaction_sources(scheme).items():
            run = latest.get((period, audience))
            if run is None:
                continue
            for score in await queries.scores_of_runs([run.id]):
                row = cells.setdefault((score.unit_code, key), {})
                row[column] = score.index_value
                row[f"{column}_标记"] = "；".join(score.flags)
                row[f"{column}_误差"] = score.margin
    if upload:
        _merge_upload(upload, header, periods, all_units, cells)
    rows = []
    skipped = sorted({code for code, _ in cells if code in by_code and by_code[code].category not in classes})
    for code in skipped:
        notes.append(
            f"单位「{by_code[code].name}」的类别「{by_code[code].category}」不在考核方案中，未参加考核"
        )
    unknown = sorted({code for code, _ in cells if code not in by_code})
    if unknown:
        notes.append(f"以下单位代码不在单位名录中（或已停用），已忽略：{'、'.join(unknown)}")
    order = {key: i for i, key in enumerate(periods)}
    for (code, key), values in sorted(cells.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        unit = by_code.get(code)
        if unit is None or unit.category not in classes:
            continue
        fixed = {UNIT_COLUMN: code, CLASS_COLUMN: unit.category, PERIOD_COLUMN: key}
        rows.append(tuple({**values, **fixed}.get(column) for column in header))
    if not rows:
        raise AppraisalFailed("考核年度内没有可用的满意度得分，也没有上传其他指标，无法计算")
    return InputTable(header, tuple(rows), tuple(notes))


def _merge_upload(
    upload: bytes,
    header: Sequence[str],
    periods: Mapping[str, str],
    all_units: Sequence[units.UnitRecord],
    cells: dict[tuple[str, str], dict[str, object]],
) -> None:
    """Copy the uploaded indicator columns into the table; a value given there wins."""
    try:
        numbered = [(n, cells_) for n, cells_ in read_rows(upload) if any(_text(c) for c in cells_)]
    except TableReadError as error:
        raise AppraisalFailed(f"上传的指标表无法读取：{error}") from None
    if len(numbered) < 2:
        raise AppraisalFailed("上传的指标表没有数据行")
    names = [_text(c) for c in numbered[0][1]]
    if UNIT_COLUMN not in names or PERIOD_COLUMN not in names:
        raise AppraisalFailed("上传的指标表必须有「单位」和「期间」两列")
    wanted = [c for c in names if c in header and c not in (UNIT_COLUMN, CLASS_COLUMN, PERIOD_COLUMN)]
    if not wanted:
        raise AppraisalFailed(f"上传的指标表没有考核方案使用的列，可用：{'、'.join(header[3:])}")
    code_of = {u.code: u.code for u in all_units} | {u.name: u.code for u in all_units}
    reverse = {period: key for key, period in periods.items()}
    errors = []
    for number, row in numbered[1:]:
        values = dict(zip(names, row, strict=False))
        unit = code_of.get(_text(values.get(UNIT_COLUMN)))
        period = _text(values.get(PERIOD_COLUMN))
        key = period if period in periods else reverse.get(period)
        if unit is None:
            errors.append(f"第 {number} 行：单位「{_text(values.get(UNIT_COLUMN))}」不在单位名录中")
        elif key is None:
            errors.append(f"第 {number} 行：期间「{period}」不在考核方案中，可用：{'、'.join(periods)}")
        else:
            target = cells.setdefault((unit, key), {})
            target.update({c: values.get(c) for c in wanted if _text(values.get(c))})
        if len(errors) >= 20:
            break
    if errors:
        raise AppraisalFailed("上传的指标表有错误：\n" + "\n".join(errors))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


# --- running --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    scheme_id: int
    units: int
    notes: tuple[str, ...]


async def run_scheme(
    scheme_id: int, upload: bytes | None, *, actor_id: int, actor_name: str, ip: str
) -> RunSummary:
    record = await queries.find_scheme(scheme_id)
    if record is None:
        raise AppraisalFailed("考核方案不存在")
    scheme = parse_scheme_text(record.yaml_text)
    table = await build_input_table(scheme, upload)
    numbered = [(number, list(row)) for number, row in enumerate(table.rows, start=2)]
    try:
        rows = parse_score_rows(list(table.header), numbered, scheme)
        result = run_appraisal(rows, scheme)
    except click.ClickException as error:
        raise AppraisalFailed(f"输入数据表：{error.format_message()}") from None
    except (AppraisalError, ScoringError) as error:
        raise AppraisalFailed(str(error)) from None
    inputs_hash = _table_hash(table, record.yaml_text)
    by_code = {u.code: u for u in await units.list_units()}
    stored = _results(result, table, by_code)
    await queries.store_appraisal(scheme_id, scheme.year, inputs_hash, stored)
    await audit.record_event(
        "appraisal.run",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"{record.year} 第{record.version_no}版",
        ip=ip,
        detail={"scheme": scheme_id, "units": len(stored), "inputs_hash": inputs_hash,
                "upload": upload is not None},
    )  # fmt: skip
    return RunSummary(scheme_id, len(stored), table.notes)


def _table_hash(table: InputTable, yaml_text: str) -> str:
    payload = {"scheme": yaml_text, "header": table.header, "rows": table.rows}
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _results(
    result: AppraisalResult, table: InputTable, by_code: Mapping[str, units.UnitRecord]
) -> list[queries.NewAppraisalResult]:
    header, rows = result_table(result)
    unit_at = header.index("单位")
    lines = {str(row[unit_at]): row for row in rows}
    stored = []
    for class_result in result.classes:
        for u in class_result.units:
            inputs = [list(row) for row in table.rows if row[0] == u.unit]
            stored.append(
                queries.NewAppraisalResult(
                    unit_id=by_code[u.unit].id,
                    total=u.score,
                    rank=u.assignment.rank,
                    grade=u.grade or "",
                    card=_latest_card(class_result, u.unit),
                    details={
                        "class": u.unit_class,
                        "header": header,
                        "row": lines[u.unit],
                        "input_header": list(table.header),
                        "inputs": inputs,
                        "needs_review": u.needs_review,
                        "review_reasons": list(u.review_reasons),
                        "rule": u.assignment.rule.label,
                        "rule_detail": u.assignment.detail,
                        "grades": [g.name for g in class_result.scheme.grading.grades],
                    },
                )
            )
    return stored


def _latest_card(class_result: ClassResult, unit: str) -> str:
    cards = [w for w in class_result.warnings if w.unit == unit and w.card is not None]
    if not cards:
        return ""
    worst = max(cards, key=lambda w: (w.card is Card.RED, w.period))
    return worst.card.label if worst.card else ""


# --- overrides ------------------------------------------------------------------------------


async def override_grade(
    result_id: int, grade: str, reason: str, *, actor_id: int, actor_name: str, ip: str
) -> None:
    """Set (or clear, with an empty grade) the final grade; a reason is always required."""
    result = await queries.find_result(result_id)
    if result is None:
        raise AppraisalFailed("考核结果不存在")
    reason = reason.strip()
    if len(reason) < 4:
        raise AppraisalFailed("调整等次必须填写理由（至少 4 个字），理由将记入审计日志")
    if len(reason) > MAX_REASON:
        raise AppraisalFailed(f"理由不能超过 {MAX_REASON} 个字")
    grades = result.details.get("grades", [])
    grade = grade.strip()
    if grade and grade not in grades:
        raise AppraisalFailed(f"等次「{grade}」不在本类别的等次中，可选：{'、'.join(grades)}")
    if grade == result.grade:
        grade = ""  # the same as computed: no override
    await queries.set_override(result_id, grade, reason if grade else "")
    await audit.record_event(
        "appraisal.override",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"{result.year} {result.unit_name}",
        ip=ip,
        detail={"unit": result.unit_code, "computed": result.grade,
                "from": result.final_grade, "to": grade or result.grade, "reason": reason},
    )  # fmt: skip


# --- read models and exports ----------------------------------------------------------------


async def year_results(year: int) -> tuple[queries.SchemeRecord | None, list[queries.AppraisalRecord]]:
    """The newest scheme version of the year that has results, and its results."""
    scheme_id = await queries.latest_scheme_with_results(year)
    if scheme_id is None:
        return None, []
    return await queries.find_scheme(scheme_id), await queries.appraisal_results(scheme_id)


async def results_by_unit(year: int) -> dict[int, queries.AppraisalRecord]:
    _, results = await year_results(year)
    return {r.unit_id: r for r in results}


async def export_results(
    scheme_id: int, fmt: str, *, actor_id: int, actor_name: str, ip: str
) -> tuple[bytes, str]:
    """XLSX: one sheet per class with the rule applied to each unit and the final grade, the
    scheme's rules, and the input table; CSV: the results only."""
    record = await queries.find_scheme(scheme_id)
    results = await queries.appraisal_results(scheme_id)
    if record is None or not results:
        raise AppraisalFailed("该考核方案还没有计算结果")
    header = [*results[0].details["header"], "最终等次", "等次调整理由"]
    ordered = sorted(results, key=lambda r: (r.details.get("class", ""), r.rank is None, r.rank or 0))
    lines = [[*r.details["row"], r.final_grade, r.override_reason] for r in ordered]
    if fmt == "csv":
        content = write_csv(lines, header)
    else:
        sheets: dict[str, SheetData] = {}
        for class_name in dict.fromkeys(r.details.get("class", "") for r in ordered):
            sheets[class_name] = (
                header,
                [
                    line
                    for r, line in zip(ordered, lines, strict=True)
                    if r.details.get("class") == class_name
                ],
            )
        scheme = parse_scheme_text(record.yaml_text)
        sheets["考核规则"] = (("规则",), [[line] for line in scheme.describe().splitlines()])
        sheets["输入数据"] = (
            results[0].details["input_header"],
            [row for r in ordered for row in r.details["inputs"]],
        )
        content = write_xlsx(sheets)
        fmt = "xlsx"
    await audit.record_event(
        "appraisal.export",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"{record.year} 第{record.version_no}版",
        ip=ip,
        detail={"format": fmt, "rows": len(lines)},
    )
    return content, f"考核结果_{record.year}_第{record.version_no}版.{fmt}"


def grade_options(result: queries.AppraisalRecord) -> list[str]:
    return list(result.details.get("grades", []))


def describe_scheme(record: queries.SchemeRecord) -> str:
    try:
        return parse_scheme_text(record.yaml_text).describe()
    except AppraisalFailed as error:  # stored versions were valid; the parser may have changed
        return str(error)


def audience_label(audience: str) -> str:
    return AUDIENCES.get(audience, audience)


def result_details(result: queries.AppraisalRecord) -> list[tuple[str, Any]]:
    """(column, value) pairs of the stored result line, for the unit card."""
    return list(zip(result.details.get("header", []), result.details.get("row", []), strict=False))
