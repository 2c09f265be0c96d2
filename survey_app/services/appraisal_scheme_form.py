"""The form editor of scheme versions, beside the YAML, and its what-if preview.

The form covers the common yearly edits: period (quarterly) weights, indicator weights per
class, grade ratios and minimum scores, card thresholds, bonus and deduction caps and the
survey-period thresholds. The form's values are written into the YAML of the version it
started from (so everything the form does not show is kept), and the result goes through the
same strict validation as the YAML editor: weights that do not sum to 1 are refused with the
sum shown. Before a version is saved, the preview grades the stored data with it and lists the
units whose rank or grade would change against the current results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import yaml

from analysis.appraisal.scheme import Scheme
from analysis.appraisal.warnings import WarningRules
from survey_app.services import appraisal_runs
from survey_app.services.appraisal import AppraisalFailed, parse_strict
from survey_app.services.appraisal_publication import office_view


@dataclass(frozen=True)
class Field:
    name: str  # form field name: a dotted path into the YAML document
    label: str
    value: str
    group: str


def _card_defaults(card: str) -> dict[str, Any]:
    """The rules a card gets when the YAML leaves it out (what the engine applies then)."""
    rule = asdict(getattr(WarningRules(), card))
    return {key: value for key, value in rule.items() if value is not None and value is not False}


def _seed(path: list[str | int]) -> dict[str, Any]:
    """The content of an optional section the form is about to create: a card rule starts
    from its defaults so that writing one threshold does not drop the others."""
    if len(path) >= 2 and path[-2] == "warnings" and path[-1] in ("yellow", "red"):
        return _card_defaults(str(path[-1]))
    return {}


def _node(document: Any, path: str, *, create: bool) -> tuple[Any, str | int]:
    """The container holding the value at a dotted path ("classes.0.components.1.weight").

    Optional sections (survey_periods, a card rule) may be missing from the YAML; they are
    created only when a value is written into them (create), otherwise None is returned."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = document
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, dict) and node.get(part) is None:
            if not create:
                return None, parts[-1]
            node[part] = _seed(parts[: i + 1])
        node = node[part]
    return node, parts[-1]


def _shown(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def form_fields(text: str) -> list[Field]:
    document = yaml.safe_load(text) or {}
    fields: list[Field] = []

    def add(path: str, label: str, group: str, value: object) -> None:
        fields.append(Field(path, label, _shown(value), group))

    for key, weight in (document.get("periods") or {}).items():
        add(f"periods.{key}", f"{key} 权重", "期间权重（合计为 1）", weight)
    gate = document.get("survey_periods") or {}
    add(
        "survey_periods.min_responses",
        "最少有效答卷（份）",
        "满意度调查计入条件",
        gate.get("min_responses", 30),
    )
    add(
        "survey_periods.min_response_rate",
        "最低回收率（0–1）",
        "满意度调查计入条件",
        gate.get("min_response_rate", 0.2),
    )
    for kind, label in (("bonus", "加分合计上限"), ("deduction", "扣分合计上限")):
        if isinstance(document.get(kind), dict):
            add(f"{kind}.cap", label, "加扣分上限", document[kind].get("cap"))

    def components(entries: list[Any], path: str, group: str, prefix: str = "") -> None:
        for i, entry in enumerate(entries):
            name = f"{prefix}{entry.get('label') or entry.get('key')}"
            add(f"{path}.{i}.weight", f"{name} 权重", group, entry.get("weight"))
            if entry.get("parts"):
                components(entry["parts"], f"{path}.{i}.parts", group, f"{name} › ")

    def grading(table: Mapping[str, Any], path: str, group: str) -> None:
        for i, grade in enumerate(table.get("grades") or []):
            if "ratio" in grade:
                add(f"{path}.grades.{i}.ratio", f"{grade['name']} 比例", group, grade.get("ratio"))
            if i < len(table["grades"]) - 1:
                add(f"{path}.grades.{i}.min_score", f"{grade['name']} 最低分", group, grade.get("min_score"))

    def warnings(table: Mapping[str, Any], path: str, group: str) -> None:
        for card, label in (("yellow", "黄牌"), ("red", "红牌")):
            rule = table.get(card)
            rule = _card_defaults(card) if rule is None else rule  # shown as the engine applies it
            add(f"{path}.{card}.below", f"{label}：得分低于", group, rule.get("below"))
            if card == "yellow":
                add(f"{path}.yellow.drop", "黄牌：比上期下降超过", group, rule.get("drop"))
                add(f"{path}.yellow.bottom_k", "黄牌：类别内倒数名次", group, rule.get("bottom_k"))

    if document.get("components"):
        components(document["components"], "components", "各类别共用的指标权重")
    if isinstance(document.get("grading"), dict):
        grading(document["grading"], "grading", "等次（共用）")
    if isinstance(document.get("warnings"), dict):
        warnings(document["warnings"], "warnings", "预警（共用）")
    for c, entry in enumerate(document.get("classes") or []):
        name = entry.get("name", f"类别{c + 1}")
        if entry.get("components"):
            components(entry["components"], f"classes.{c}.components", f"「{name}」指标权重")
        if isinstance(entry.get("grading"), dict):
            grading(entry["grading"], f"classes.{c}.grading", f"「{name}」等次")
        if isinstance(entry.get("warnings"), dict):
            warnings(entry["warnings"], f"classes.{c}.warnings", f"「{name}」预警")
    return fields


def apply_form(text: str, values: Mapping[str, str]) -> tuple[str, Scheme]:
    """The YAML with the form's values written in, validated strictly (weights sum to 1)."""
    document = yaml.safe_load(text) or {}
    fields = {f.name: f for f in form_fields(text)}
    problems = []
    for name, raw in values.items():
        field = fields.get(name)
        if field is None:
            continue
        cleaned = raw.strip()
        if cleaned == field.value:
            continue  # untouched: the YAML keeps what it had, defaults stay implicit
        if not cleaned:
            node, key = _node(document, name, create=False)
            if isinstance(node, dict):
                node.pop(key, None)
            continue
        try:
            number = float(cleaned)
        except ValueError:
            problems.append(f"「{field.group} · {field.label}」应为数字，实际为「{cleaned}」")
            continue
        if not math.isfinite(number) or number < 0:
            problems.append(f"「{field.group} · {field.label}」必须是非负数，实际为「{cleaned}」")
            continue
        integral = name.endswith(("min_responses", "bottom_k"))
        if integral and not number.is_integer():
            problems.append(f"「{field.group} · {field.label}」应为整数，实际为「{cleaned}」")
            continue
        whole = integral or (number.is_integer() and name.endswith("ratio"))
        node, key = _node(document, name, create=True)
        if isinstance(node, dict):
            node[key] = int(number) if whole else number
    if problems:
        raise AppraisalFailed("表单有错误：\n" + "\n".join(problems))
    new_text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    return new_text, parse_strict(new_text)


@dataclass(frozen=True)
class WhatIf:
    basis: str  # what the preview compares against
    changes: list[dict[str, Any]]
    compared: int


async def what_if(scheme: Scheme) -> WhatIf:
    """Grade the stored data with the edited scheme; compare with the current results."""
    view = await office_view(scheme.year)
    if view.run is None:
        raise AppraisalFailed("本年度还没有计算结果，无法预览变化；可以直接保存后计算")
    periods = tuple(view.run.settings.get("periods") or ())
    include_low = tuple(view.run.settings.get("include_low") or ())
    preview = await appraisal_runs.preview_grades(scheme, periods, include_low)
    changes = []
    for unit in view.live:
        new = preview.get(unit["unit_code"])
        if new is None:
            continue
        total, rank, grade = new
        if rank != unit["rank"] or grade != unit["grade"]:
            changes.append({
                "unit_name": unit["unit_name"], "unit_code": unit["unit_code"], "class": unit["class"],
                "old_total": unit["total"], "new_total": total, "old_rank": unit["rank"], "new_rank": rank,
                "old_grade": unit["grade"], "new_grade": grade,
            })  # fmt: skip
    basis = f"计算#{view.run.id}（第{view.run.scheme_version}版，期间 {'、'.join(periods)}）"
    return WhatIf(basis, changes, len(view.live))
