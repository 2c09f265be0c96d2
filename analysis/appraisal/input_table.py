"""Reading a unit score table for the appraisal engine, and writing its results as a table.

Pure: the CLI (`survey-app appraise`) and the office's stored indicator data both go through
here. Problems are AppraisalError with a Chinese message naming the row and column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analysis.appraisal.engine import AppraisalResult, ScoreRow
from analysis.appraisal.errors import AppraisalError
from analysis.appraisal.scheme import Scheme
from analysis.appraisal.warnings import WarningCard
from analysis.scoring.errors import ScoringError
from analysis.scoring.flags import Flag, parse_flag

KEY_COLUMNS = {
    "单位": "unit", "unit": "unit", "类别": "class", "class": "class",
    "期间": "period", "period": "period", "一票否决": "veto", "veto": "veto",
}


REQUIRED = {"unit": "单位", "class": "类别", "period": "期间"}


FLAG_SUFFIXES = ("_标记", "_flags")


MOE_SUFFIXES = ("_误差", "_moe")


TRUE_WORDS = frozenset({"是", "1", "true", "yes", "y", "√", "✓", "否决"})


FALSE_WORDS = frozenset({"", "否", "0", "false", "no", "n", "×"})


MAX_ROW_ERRORS = 20


_FLAG_SEPARATORS = re.compile(r"[;；,，、\s]+")


Cells = list[object]


def parse_score_rows(
    header: Sequence[str], rows: Sequence[tuple[int, Cells]], scheme: Scheme
) -> list[ScoreRow]:
    """ScoreRows from the table; all row errors (up to 20) are reported together."""
    index = _column_index(header)
    keys = {KEY_COLUMNS[name]: i for name, i in index.items() if name in KEY_COLUMNS}
    missing = [label for key, label in REQUIRED.items() if key not in keys]
    if missing:
        raise AppraisalError(f"缺少必需的列：{'、'.join(missing)}（表头为：{'、'.join(header)}）")
    columns = SchemeColumns.of(scheme)
    parsed: list[ScoreRow] = []
    errors: list[str] = []
    for number, cells in rows:
        try:
            parsed.append(_score_row(number, cells, index, keys, columns))
        except ValueError as error:
            errors.append(f"第 {number} 行：{error}")
            if len(errors) >= MAX_ROW_ERRORS:
                errors.append(f"（只显示前 {MAX_ROW_ERRORS} 个错误）")
                break
    if errors:
        raise AppraisalError("得分表有错误：\n" + "\n".join(errors))
    _check_columns_present(parsed, index, scheme)
    return parsed


def unused_columns(header: Sequence[str], scheme: Scheme) -> list[str]:
    """Header names the scheme does not use (often a typo in an indicator's name)."""
    used = SchemeColumns.of(scheme).all
    return [name for name in header if name and not _known_column(name, used)]


@dataclass(frozen=True)
class SchemeColumns:
    """The input columns a scheme reads."""

    leaves: frozenset[str]
    bonuses: frozenset[str]
    deductions: frozenset[str]

    @classmethod
    def of(cls, scheme: Scheme) -> SchemeColumns:
        return cls(
            frozenset(leaf.column for c in scheme.classes for leaf in c.root.leaves()),
            frozenset(item.column for item in scheme.adjustments.bonus.items),
            frozenset(item.column for item in scheme.adjustments.deduction.items),
        )

    @property
    def all(self) -> frozenset[str]:
        return self.leaves | self.bonuses | self.deductions


def _column_index(header: Sequence[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        if not name:
            continue
        if name in index:
            raise AppraisalError(f"表头中的列「{name}」重复出现")
        index[name] = position
    return index


def _score_row(
    number: int,
    cells: Cells,
    index: dict[str, int],
    keys: dict[str, int],
    columns: SchemeColumns,
) -> ScoreRow:
    def cell(position: int | None) -> object:
        return cells[position] if position is not None and position < len(cells) else None

    def required(key: str) -> str:
        value = _text(cell(keys[key]))
        if not value:
            raise ValueError(f"「{REQUIRED[key]}」不能为空")
        return value

    leaves = columns.leaves
    values = {c: _number(cell(index[c]), c) for c in leaves if c in index}
    flags = {c: _flags(cell(_suffixed(index, c, FLAG_SUFFIXES)), c) for c in leaves}
    moe = {c: _number(cell(_suffixed(index, c, MOE_SUFFIXES)), f"{c}误差") for c in leaves}
    return ScoreRow(
        unit=required("unit"),
        unit_class=required("class"),
        period=required("period"),
        values=values,
        flags={c: f for c, f in flags.items() if f},
        moe={c: m for c, m in moe.items() if m is not None},
        bonuses=_amounts(cell, index, columns.bonuses),
        deductions=_amounts(cell, index, columns.deductions),
        veto=_boolean(cell(keys.get("veto")), "一票否决"),
        source=f"第 {number} 行",
    )


def _amounts(
    cell: Callable[[int | None], object], index: dict[str, int], columns: frozenset[str]
) -> dict[str, float]:
    amounts = {c: _number(cell(index[c]), c) for c in columns if c in index}
    return {c: a for c, a in amounts.items() if a}


def _suffixed(index: dict[str, int], column: str, suffixes: Sequence[str]) -> int | None:
    return next((index[column + s] for s in suffixes if column + s in index), None)


def _known_column(name: str, columns: frozenset[str]) -> bool:
    if name in KEY_COLUMNS or name in columns:
        return True
    return any(name == c + s for c in columns for s in (*FLAG_SUFFIXES, *MOE_SUFFIXES))


def _check_columns_present(rows: Sequence[ScoreRow], index: dict[str, int], scheme: Scheme) -> None:
    for class_name in dict.fromkeys(row.unit_class for row in rows):
        class_scheme = scheme.class_named(class_name)
        if class_scheme is None:
            continue  # the engine reports the unknown class with its row
        absent = [leaf.column for leaf in class_scheme.root.leaves() if leaf.column not in index]
        if absent:
            raise AppraisalError(f"类别「{class_name}」需要的列不在表中：{'、'.join(absent)}")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _number(value: object, column: str) -> float | None:
    if isinstance(value, bool):
        raise ValueError(f"「{column}」应为数字，实际为「{value}」")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"「{column}」不是数字：「{text}」") from None
    if not math.isfinite(number):
        raise ValueError(f"「{column}」不是有效数字：「{value}」")
    return number


def _boolean(value: object, column: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"「{column}」应填 是/否 或 1/0，实际为「{text}」")


def _flags(value: object, column: str) -> frozenset[Flag]:
    parts = [p for p in _FLAG_SEPARATORS.split(_text(value)) if p]
    try:
        return frozenset(parse_flag(p) for p in parts)
    except ScoringError as error:
        raise ValueError(f"「{column}」的标记有误：{error}") from None


def result_table(result: AppraisalResult) -> tuple[list[str], list[list[object]]]:
    """The result as one row per unit, with every number a reviewer needs."""
    periods = [p for p, _ in result.scheme.periods]
    components: dict[str, str] = {}
    for c in result.classes:
        for spec in c.scheme.root.walk():
            if spec is not c.scheme.root:
                components.setdefault(spec.key, spec.label)
    header = [
        "类别", "排名", "单位", "最终得分", "未舍入得分", "基础得分", "加分", "扣分", "一票否决",
        "等级", "定级规则", "定级说明", "状态", "复核原因", "误差范围", "标记", "期间权重",
        *(f"{label}（年度）" for label in components.values()),
        *(f"{p}得分" for p in periods),
        *(f"{p}预警" for p in periods),
    ]  # fmt: skip
    rows: list[list[object]] = []
    for c in result.classes:
        cards = {(w.unit, w.period): w for w in c.warnings}
        for u in c.units:
            values = dict(u.component_values)
            by_period = {s.period: s.value for s in u.periods}
            rows.append(
                [
                    u.unit_class,
                    u.assignment.rank,
                    u.unit,
                    u.score,
                    _round(u.adjusted.final if u.adjusted else None, 6),
                    _round(u.period_weights.value, 6),
                    _round(u.adjusted.bonus if u.adjusted else None, 4),
                    _round(u.adjusted.deduction if u.adjusted else None, 4),
                    "是" if u.veto else "否",
                    u.grade or "",
                    u.assignment.rule.label,
                    u.assignment.detail,
                    "待复核" if u.needs_review else "确定",
                    "；".join(u.review_reasons),
                    _round(u.moe, 4),
                    "、".join(sorted(f.label for f in u.flags)),
                    "，".join(f"{p} {w:.4g}" for p, w in u.period_weights.weights),
                    *(_round(values.get(key), 4) for key in components),
                    *(_round(by_period.get(p), 4) for p in periods),
                    *(_card_text(cards.get((u.unit, p))) for p in periods),
                ]
            )
    return header, rows


def _card_text(card: WarningCard | None) -> str:
    if card is None:
        return ""
    if card.card is None:
        return card.note
    return f"{card.card.label}：{'；'.join(card.reasons)}"


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
