"""Human-readable (Chinese) list of the changes between two questionnaire versions, shown to an
administrator before publishing a new version of a questionnaire a campaign already used."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from questionnaires.model import (
    QUESTION_TYPE_LABELS,
    MatrixRow,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)

HEADER_FIELDS = {
    "id": "问卷编号",
    "title": "问卷标题",
    "description": "问卷说明",
    "intro": "开场说明",
    "version": "版本号",
}
SECTION_FIELDS = {"title": "标题", "description": "说明", "relevant": "显示条件"}
QUESTION_FIELDS = {
    "type": "题型",
    "label": "题目文字",
    "hint": "提示",
    "required": "必答",
    "required_message": "必答提示",
    "relevant": "显示条件",
    "constraint": "校验条件",
    "constraint_message": "校验提示",
    "choice_filter": "选项筛选条件",
    "unit_code": "评价单位",
    "dimension": "评价维度",
    "allow_unknown": "“不了解”选项",
    "min_value": "最小值",
    "max_value": "最大值",
    "allow_decimal": "允许小数",
    "max_length": "最大字数",
    "max_choices": "最多可选项数",
    "opinion": "意见建议标记",
}
ROW_FIELDS = {"label": "文字", "unit_code": "评价单位", "dimension": "评价维度"}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "（无）"
    if isinstance(value, QuestionType):
        return QUESTION_TYPE_LABELS[value]
    return f"「{value}」"


def _changed(prefix: str, name: str, old: Any, new: Any) -> str:
    return f"{prefix}{name}由{_shown(old)}改为{_shown(new)}"


def diff_versions(old: Questionnaire, new: Questionnaire) -> list[str]:
    """What changed from `old` to `new`, one sentence per change; empty if nothing did."""
    changes = [
        _changed("", label, getattr(old, key), getattr(new, key))
        for key, label in HEADER_FIELDS.items()
        if getattr(old, key) != getattr(new, key)
    ]
    changes += _section_changes(old, new)
    changes += _question_changes(old, new)
    return changes


def _section_changes(old: Questionnaire, new: Questionnaire) -> list[str]:
    before = {section.id: section for section in old.sections}
    after = {section.id: section for section in new.sections}
    changes = [f"删除部分「{s.title or s.id}」" for s in old.sections if s.id not in after]
    changes += [f"新增部分「{s.title or s.id}」" for s in new.sections if s.id not in before]
    for section in new.sections:
        previous = before.get(section.id)
        if previous is None:
            continue
        prefix = f"部分「{section.title or section.id}」的"
        changes += [
            _changed(prefix, label, getattr(previous, key), getattr(section, key))
            for key, label in SECTION_FIELDS.items()
            if getattr(previous, key) != getattr(section, key)
        ]
    kept_old = [s.id for s in old.sections if s.id in after]
    kept_new = [s.id for s in new.sections if s.id in before]
    if kept_old != kept_new:
        changes.append("部分的顺序有调整")
    return changes


def _placement(questionnaire: Questionnaire) -> dict[str, Section]:
    return {q.name: section for section in questionnaire.sections for q in section.questions}


def _question_changes(old: Questionnaire, new: Questionnaire) -> list[str]:
    before = {q.name: q for q in old.iter_questions()}
    after = {q.name: q for q in new.iter_questions()}
    old_place, new_place = _placement(old), _placement(new)
    changes = [
        f"删除题目 {q.name}「{q.label}」" for q in old.iter_questions() if q.name not in after
    ]
    for question in new.iter_questions():
        previous = before.get(question.name)
        section = new_place[question.name]
        if previous is None:
            where = section.title or section.id
            changes.append(f"新增题目 {question.name}「{question.label}」（部分「{where}」）")
            continue
        if old_place[question.name].id != section.id:
            changes.append(
                f"题目 {question.name} 从部分「{old_place[question.name].title}」"
                f"移到「{section.title or section.id}」"
            )
        changes += _field_changes(previous, question)
    kept_old = [name for name in before if name in after]
    kept_new = [name for name in after if name in before]
    if kept_old != kept_new:
        changes.append("题目的顺序有调整")
    return changes


def _field_changes(old: Question, new: Question) -> list[str]:
    subject = f"题目 {new.name} "
    changes = [
        _changed(subject + "的", label, getattr(old, key), getattr(new, key))
        for key, label in QUESTION_FIELDS.items()
        if getattr(old, key) != getattr(new, key)
    ]
    changes += _option_changes(subject, old.options, new.options)
    changes += _row_changes(subject, old.rows, new.rows)
    return changes


def _option_changes(prefix: str, old: tuple[Option, ...], new: tuple[Option, ...]) -> list[str]:
    before = {option.value: option for option in old}
    after = {option.value: option for option in new}
    changes = [f"{prefix}删除选项 {o.value}「{o.label}」" for o in old if o.value not in after]
    changes += [f"{prefix}新增选项 {o.value}「{o.label}」" for o in new if o.value not in before]
    for option in new:
        previous = before.get(option.value)
        if previous is not None and previous.label != option.label:
            changes.append(
                _changed(f"{prefix}选项 {option.value} 的", "文字", previous.label, option.label)
            )
        if previous is not None and previous.attributes != option.attributes:
            changes.append(f"{prefix}选项 {option.value} 的附加列有变化")
    if [v for v in before if v in after] != [v for v in after if v in before]:
        changes.append(f"{prefix}的选项顺序有调整")
    return changes


def _row_changes(prefix: str, old: tuple[MatrixRow, ...], new: tuple[MatrixRow, ...]) -> list[str]:
    before = {row.id: row for row in old}
    after = {row.id: row for row in new}
    changes = [f"{prefix}删除矩阵行 {r.id}「{r.label}」" for r in old if r.id not in after]
    changes += [f"{prefix}新增矩阵行 {r.id}「{r.label}」" for r in new if r.id not in before]
    for row in new:
        previous = before.get(row.id)
        if previous is None:
            continue
        changes += [
            _changed(
                f"{prefix}矩阵行 {row.id} 的", label, getattr(previous, key), getattr(row, key)
            )
            for key, label in ROW_FIELDS.items()
            if getattr(previous, key) != getattr(row, key)
        ]
    if [r for r in before if r in after] != [r for r in after if r in before]:
        changes.append(f"{prefix}的矩阵行顺序有调整")
    return changes


# Every Question field is either compared above or is options/rows/name, so that a new field
# added to the model without a label here fails loudly in tests instead of being ignored.
_COMPARED = set(QUESTION_FIELDS) | {"name", "options", "rows"}
UNCOMPARED_QUESTION_FIELDS = frozenset(f.name for f in fields(Question)) - _COMPARED
