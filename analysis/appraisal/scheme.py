"""Appraisal schemes: one YAML file per year, with settings per assessment class.

Loading validates everything and reports the first problem in Chinese with its location, e.g.
"考核方案 classes[0] → grading → grades[1] → ratio：必须是数字，实际为「六」". Keys are English;
enumerated values also accept their Chinese names (不超过 = floor, 不少于 = ceil …).
Top-level `components`, `grading` and `warnings` are defaults for classes that omit them.
See schemes/example.yaml for a complete district scheme.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis.appraisal import scheme_reading as read
from analysis.appraisal.adjustments import AdjustmentItem, AdjustmentPolicy, AdjustmentRule
from analysis.appraisal.components import ComponentKind, ComponentSpec, Method, Normalisation
from analysis.appraisal.errors import SchemeError
from analysis.appraisal.grading import (
    GradeSpec,
    GradingMethod,
    GradingSpec,
    QuotaRounding,
    SortKey,
    TieRule,
)
from analysis.appraisal.periods import QUARTERLY_WEIGHTS, describe_periods
from analysis.appraisal.warnings import CardRule, WarningRules
from analysis.scoring.weights import check_weights

TOTAL = "total"  # warning basis: the period score
BONUS, DEDUCTION = "bonus", "deduction"  # secondary keys: total bonus / deduction
RESERVED_KEYS = frozenset({TOTAL, BONUS, DEDUCTION})


_METHODS = {"forced": GradingMethod.FORCED, "强制分布": GradingMethod.FORCED}
_METHODS |= {"thresholds": GradingMethod.THRESHOLDS, "分数线": GradingMethod.THRESHOLDS}
_ROUNDINGS = {
    "largest_remainder": QuotaRounding.LARGEST_REMAINDER,
    "最大余数": QuotaRounding.LARGEST_REMAINDER,
}
_ROUNDINGS |= {"floor": QuotaRounding.FLOOR, "不超过": QuotaRounding.FLOOR}
_ROUNDINGS |= {"ceil": QuotaRounding.CEIL, "不少于": QuotaRounding.CEIL}
_TIES = {"exclude": TieRule.EXCLUDE, "整组不进入": TieRule.EXCLUDE}
_TIES |= {"include": TieRule.INCLUDE, "整组进入": TieRule.INCLUDE}
_KINDS = {"satisfaction": ComponentKind.SATISFACTION, "满意度": ComponentKind.SATISFACTION}
_KINDS |= {"indicator": ComponentKind.INDICATOR, "指标": ComponentKind.INDICATOR}
_NORMALISATIONS = {"none": Method.NONE, "原始": Method.NONE, "target": Method.TARGET}
_NORMALISATIONS |= {"目标值": Method.TARGET, "minmax": Method.MINMAX, "极差": Method.MINMAX}
_NORMALISATIONS |= {"rank": Method.RANK, "排名": Method.RANK}
_ORDERS = {"desc": True, "高者优先": True, "asc": False, "低者优先": False}


@dataclass(frozen=True)
class ClassScheme:
    name: str
    root: ComponentSpec  # a group whose parts are the class's components
    grading: GradingSpec
    warnings: WarningRules

    def component(self, key: str) -> ComponentSpec | None:
        return next((spec for spec in self.root.walk() if spec.key == key), None)

    def describe(self) -> str:
        return "\n".join(
            [
                f"【{self.name}】",
                f"指标及权重：{self.root.describe_parts()}；某项缺失或不发布时，其权重按比例分给同级其他指标。",
                self.grading.describe(),
                self.warnings.describe(),
            ]
        )


@dataclass(frozen=True)
class SurveyGate:
    """When a survey period may count: below either threshold it is left out unless the office
    decides otherwise (an open campaign never counts by default)."""

    min_responses: int = 30
    min_response_rate: float = 0.2  # share of invitations answered, 0–1

    def describe(self) -> str:
        return (
            f"满意度调查计入条件：调查已结束，有效答卷不少于 {self.min_responses} 份，"
            f"回收率不低于 {self.min_response_rate:.0%}；否则默认不计入，须经明确决定方可计入。"
        )


@dataclass(frozen=True)
class Scheme:
    name: str
    year: int
    version: str
    periods: tuple[tuple[str, float], ...]
    adjustments: AdjustmentPolicy
    classes: tuple[ClassScheme, ...]
    survey_gate: SurveyGate = SurveyGate()

    def class_named(self, name: str) -> ClassScheme | None:
        return next((c for c in self.classes if c.name == name), None)

    def describe(self) -> str:
        return "\n".join(
            [
                f"考核方案：{self.name}（{self.year} 年度，版本 {self.version}）",
                describe_periods(self.periods),
                self.survey_gate.describe(),
                self.adjustments.describe(),
                *(c.describe() for c in self.classes),
            ]
        )


def load_scheme(path: str | Path) -> Scheme:
    """Read and validate a YAML scheme; every problem is a SchemeError in Chinese."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SchemeError(f"无法读取考核方案文件「{file.name}」：{error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        raise SchemeError(f"考核方案文件「{file.name}」{where}不是合法的 YAML") from None
    return parse_scheme(data)


def parse_scheme(data: object) -> Scheme:
    top = read.table(data, ())
    read.keys(
        top,
        {
            "name",
            "year",
            "version",
            "periods",
            "rounding",
            "score_range",
            "bonus",
            "deduction",
            "components",
            "grading",
            "warnings",
            "classes",
            "survey_periods",
        },
        (),
    )
    periods = _periods(top.get("periods"), ("periods",))
    rounding = read.table(top.get("rounding", {}), ("rounding",))
    read.keys(rounding, {"decimals"}, ("rounding",))
    score_range = read.table(top.get("score_range", {}), ("score_range",))
    read.keys(score_range, {"min", "max"}, ("score_range",))
    lower = read.optional_number(score_range.get("min", 0.0), ("score_range", "min"))
    upper = read.optional_number(score_range.get("max", 100.0), ("score_range", "max"))
    if lower is not None and upper is not None and lower >= upper:
        read.fail(("score_range",), "下限必须小于上限")
    decimals = read.integer(rounding.get("decimals", 2), ("rounding", "decimals"), 0, 6)
    policy = AdjustmentPolicy(
        bonus=_adjustment(top.get("bonus"), ("bonus",), "加分"),
        deduction=_adjustment(top.get("deduction"), ("deduction",), "扣分"),
        lower=lower,
        upper=upper,
        decimals=decimals,
    )
    adjustment_columns = [i.column for rule in (policy.bonus, policy.deduction) for i in rule.items]
    if len(set(adjustment_columns)) != len(adjustment_columns):
        read.fail(("bonus",), "加分项和扣分项的列名不能重复")
    classes_raw = top.get("classes")
    if not isinstance(classes_raw, list) or not classes_raw:
        read.fail(("classes",), "至少需要一个考核类别（列表）")
    classes = tuple(
        _class(entry, ("classes", f"[{i}]"), top, set(adjustment_columns))
        for i, entry in enumerate(classes_raw)
    )
    names = [c.name for c in classes]
    if len(set(names)) != len(names):
        read.fail(("classes",), "考核类别名称不能重复")
    gate = read.table(top.get("survey_periods", {}), ("survey_periods",))
    read.keys(gate, {"min_responses", "min_response_rate"}, ("survey_periods",))
    where = ("survey_periods", "min_response_rate")
    rate = read.number(gate.get("min_response_rate", 0.2), where, minimum=0.0)
    if rate > 1:
        read.fail(where, f"回收率用 0–1 之间的小数表示，实际为「{rate}」")
    survey_gate = SurveyGate(
        read.integer(gate.get("min_responses", 30), ("survey_periods", "min_responses"), 0, 1_000_000), rate
    )
    return Scheme(
        survey_gate=survey_gate,
        name=read.text(top.get("name"), ("name",)),
        year=read.integer(top.get("year"), ("year",), 1900, 2999),
        version=read.text(top.get("version", "1"), ("version",)),
        periods=periods,
        adjustments=policy,
        classes=classes,
    )


WEIGHT_TOLERANCE = 1e-6


def weight_sum_problems(scheme: Scheme) -> list[str]:
    """Chinese messages for every weight set that does not sum to 1 (the engine would rescale
    them silently; a scheme the office saves must say exactly what it means)."""
    problems = []
    total = sum(w for _, w in scheme.periods)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        shown = "、".join(f"{k} {w:g}" for k, w in scheme.periods)
        problems.append(f"期间权重之和为 {total:g}，应为 1（{shown}）")
    for unit_class in scheme.classes:
        for group in unit_class.root.walk():
            if not group.parts:
                continue
            total = sum(p.weight for p in group.parts)
            if abs(total - 1) > WEIGHT_TOLERANCE:
                where = f"类别「{unit_class.name}」"
                where += "" if group.key == TOTAL else f"指标「{group.label}」下"
                shown = "、".join(f"{p.label} {p.weight:g}" for p in group.parts)
                problems.append(f"{where}的指标权重之和为 {total:g}，应为 1（{shown}）")
    return problems


def _periods(value: object, path: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    if value is None:
        return QUARTERLY_WEIGHTS
    table = read.table(value, path)
    periods = tuple(
        (str(key), read.number(weight, (*path, str(key)), minimum=0.0)) for key, weight in table.items()
    )
    read.guard(path, lambda: check_weights(periods, "期间"))
    return periods


def _adjustment(value: object, path: tuple[str, ...], kind: str) -> AdjustmentRule:
    if value is None:
        return AdjustmentRule((AdjustmentItem(kind, kind),))
    table = read.table(value, path)
    read.keys(table, {"cap", "items"}, path)
    raw_items = table.get("items", [{"column": kind}])
    if not isinstance(raw_items, list) or not raw_items:
        read.fail((*path, "items"), f"{kind}项应为非空列表")
    items = []
    for index, raw in enumerate(raw_items):
        item_path = (*path, "items", f"[{index}]")
        entry = read.table(raw, item_path)
        read.keys(entry, {"column", "label", "cap"}, item_path)
        column = read.text(entry.get("column"), (*item_path, "column"))
        label = read.text(entry.get("label", column), (*item_path, "label"))
        cap = read.optional_number(entry.get("cap"), (*item_path, "cap"), minimum=0.0)
        items.append(AdjustmentItem(column, label, cap))
    cap = read.optional_number(table.get("cap"), (*path, "cap"), minimum=0.0)
    return AdjustmentRule(tuple(items), cap)


def _class(
    value: object, path: tuple[str, ...], defaults: Mapping[str, object], taken_columns: set[str]
) -> ClassScheme:
    entry = read.table(value, path)
    read.keys(entry, {"name", "components", "grading", "warnings"}, path)
    name = read.text(entry.get("name"), (*path, "name"))

    def section(key: str) -> tuple[object, tuple[str, ...]]:
        if key in entry:
            return entry[key], (*path, key)
        return defaults.get(key), (key,)

    raw_components, components_path = section("components")
    parts = _components(raw_components, components_path)
    root = ComponentSpec(key=TOTAL, label="总分", weight=1.0, kind=ComponentKind.GROUP, parts=parts)
    _check_tree(root, components_path, taken_columns)
    raw_grading, grading_path = section("grading")
    raw_warnings, warnings_path = section("warnings")
    return ClassScheme(
        name=name,
        root=root,
        grading=_grading(raw_grading, grading_path, root),
        warnings=_warnings(raw_warnings, warnings_path, root),
    )


def _components(value: object, path: tuple[str, ...]) -> tuple[ComponentSpec, ...]:
    if not isinstance(value, list) or not value:
        read.fail(path, "至少需要一个考核指标（列表）")
    specs = tuple(_component(raw, (*path, f"[{i}]")) for i, raw in enumerate(value))
    read.guard(path, lambda: check_weights([(s.key, s.weight) for s in specs], "指标"))
    return specs


def _component(value: object, path: tuple[str, ...]) -> ComponentSpec:
    entry = read.table(value, path)
    read.keys(entry, {"key", "label", "weight", "kind", "column", "normalisation", "parts"}, path)
    key = read.text(entry.get("key"), (*path, "key"))
    if key in RESERVED_KEYS:
        read.fail((*path, "key"), f"「{key}」是保留字，请换一个指标名")
    label = read.text(entry.get("label", key), (*path, "label"))
    weight = read.number(entry.get("weight"), (*path, "weight"), minimum=0.0)
    if "parts" in entry:
        for field in ("kind", "column", "normalisation"):
            if field in entry:
                read.fail((*path, field), "含有 parts 的组合指标不能设置此项")
        parts = _components(entry["parts"], (*path, "parts"))
        return ComponentSpec(key, label, weight, ComponentKind.GROUP, parts=parts)
    kind = read.choice(entry.get("kind", "indicator"), (*path, "kind"), _KINDS)
    normalisation = _normalisation(entry.get("normalisation"), (*path, "normalisation"))
    if kind is ComponentKind.SATISFACTION and normalisation.method is not Method.NONE:
        read.fail((*path, "normalisation"), "满意度指数已是 0–100 分，不能再归一化")
    column = read.text(entry.get("column", key), (*path, "column"))
    return ComponentSpec(key, label, weight, kind, column, normalisation)


def _normalisation(value: object, path: tuple[str, ...]) -> Normalisation:
    if value is None:
        return Normalisation()
    table = read.table(value, path)
    read.keys(table, {"method", "target", "lower_is_better"}, path)
    method = read.choice(table.get("method", "none"), (*path, "method"), _NORMALISATIONS)
    lower = read.boolean(table.get("lower_is_better", False), (*path, "lower_is_better"))
    target = read.optional_number(table.get("target"), (*path, "target"))
    if method is Method.TARGET:
        if target is None or target <= 0:
            read.fail((*path, "target"), "目标值法必须设置大于 0 的目标值")
        if lower:
            read.fail(
                (*path, "lower_is_better"),
                "目标值法只适用于越高越好的指标；越低越好请用极差法或排名法",
            )
    elif target is not None:
        read.fail((*path, "target"), "只有目标值法需要目标值")
    return Normalisation(method, lower, target)


def _check_tree(root: ComponentSpec, path: tuple[str, ...], taken_columns: set[str]) -> None:
    keys = [spec.key for spec in root.walk()]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        read.fail(path, f"指标名「{'、'.join(duplicates)}」重复")
    columns = [spec.column for spec in root.leaves()]
    repeated = sorted({c for c in columns if columns.count(c) > 1} | (set(columns) & taken_columns))
    if repeated:
        read.fail(path, f"列名「{'、'.join(repeated)}」被多个指标或加扣分项使用")


def _grading(value: object, path: tuple[str, ...], root: ComponentSpec) -> GradingSpec:
    table = read.table(value, path)
    read.keys(table, {"method", "grades", "secondary_keys", "veto_in_quota"}, path)
    method = read.choice(table.get("method", "forced"), (*path, "method"), _METHODS)
    raw_grades = table.get("grades")
    if not isinstance(raw_grades, list):
        read.fail((*path, "grades"), "等次应为列表")
    grades = []
    for index, raw in enumerate(raw_grades):
        grade_path = (*path, "grades", f"[{index}]")
        entry = read.table(raw, grade_path)
        read.keys(entry, {"name", "ratio", "rounding", "tie", "min_score"}, grade_path)
        rounding = read.choice(
            entry.get("rounding", "largest_remainder"), (*grade_path, "rounding"), _ROUNDINGS
        )
        default_tie = "exclude" if rounding is QuotaRounding.FLOOR else "include"
        grades.append(
            GradeSpec(
                name=read.text(entry.get("name"), (*grade_path, "name")),
                ratio=read.optional_number(entry.get("ratio"), (*grade_path, "ratio")),
                rounding=rounding,
                tie=read.choice(entry.get("tie", default_tie), (*grade_path, "tie"), _TIES),
                min_score=read.optional_number(entry.get("min_score"), (*grade_path, "min_score")),
            )
        )
    keys = []
    raw_keys = table.get("secondary_keys", [])
    if not isinstance(raw_keys, list):
        read.fail((*path, "secondary_keys"), "次要排序指标应为列表")
    for index, raw in enumerate(raw_keys):
        key_path = (*path, "secondary_keys", f"[{index}]")
        entry = read.table(raw, key_path)
        read.keys(entry, {"key", "order"}, key_path)
        key = read.text(entry.get("key"), (*key_path, "key"))
        labels = {BONUS: "加分", DEDUCTION: "扣分"} | {
            s.key: s.label for s in root.walk() if s.key != TOTAL
        }
        if key not in labels:
            read.fail((*key_path, "key"), f"「{key}」不是本类别的指标，也不是 bonus/deduction")
        descending = read.choice(entry.get("order", "desc"), (*key_path, "order"), _ORDERS)
        keys.append(SortKey(key, labels[key], descending))
    veto_in_quota = read.boolean(table.get("veto_in_quota", True), (*path, "veto_in_quota"))
    return read.guard(path, lambda: GradingSpec(method, tuple(grades), tuple(keys), veto_in_quota))


def _warnings(value: object, path: tuple[str, ...], root: ComponentSpec) -> WarningRules:
    if value is None:
        return WarningRules()
    table = read.table(value, path)
    read.keys(table, {"enabled", "basis", "yellow", "red"}, path)
    basis = read.text(table.get("basis", TOTAL), (*path, "basis"))
    spec = next((s for s in root.walk() if s.key == basis), None)  # the root's key is total
    if spec is None:
        read.fail((*path, "basis"), f"「{basis}」不是本类别的指标（total 表示期间得分）")
    defaults = WarningRules()
    return WarningRules(
        enabled=read.boolean(table.get("enabled", True), (*path, "enabled")),
        basis=basis,
        basis_label="期间得分" if basis == TOTAL else spec.label,
        yellow=_card_rule(table.get("yellow"), (*path, "yellow"), defaults.yellow, red=False),
        red=_card_rule(table.get("red"), (*path, "red"), defaults.red, red=True),
    )


def _card_rule(value: object, path: tuple[str, ...], default: CardRule, *, red: bool) -> CardRule:
    if value is None:
        return default
    table = read.table(value, path)
    allowed = {"below", "bottom_k", "drop"} | ({"consecutive_yellow", "on_veto"} if red else set())
    read.keys(table, allowed, path)
    bottom_k = table.get("bottom_k")
    consecutive = table.get("consecutive_yellow")
    return CardRule(
        below=read.optional_number(table.get("below"), (*path, "below")),
        bottom_k=None if bottom_k is None else read.integer(bottom_k, (*path, "bottom_k"), 1, 1000),
        drop=read.optional_number(table.get("drop"), (*path, "drop"), minimum=0.0),
        consecutive_yellow=(
            None
            if consecutive is None
            else read.integer(consecutive, (*path, "consecutive_yellow"), 2, 12)
        ),
        on_veto=read.boolean(table.get("on_veto", False), (*path, "on_veto")),
    )
