"""Conditions pyxform accepts but this platform cannot evaluate are left out with a warning
naming the cause, rather than refusing the whole form: a reference to an item imported as a
placeholder (metadata, an unsupported type), to a later question (answers are evaluated in
order), or a choice_filter on a column the option list lacks (ODK reads it from a media file).
Functions such as pulldata() are found earlier, when calculations are inlined (Reader.expression).
"""

from __future__ import annotations

from questionnaires.expressions import ExpressionError, compile_expression
from questionnaires.model import ROW_SEPARATOR, Problem
from questionnaires.xlsform.locations import SectionDraft
from questionnaires.xlsform.questions import Draft
from questionnaires.xlsform.workbook import Sheet

EXPRESSION_KEYS = ("relevant", "constraint", "required", "choice_filter")
# Said in every warning about a condition left out, so that such forms can be counted (bench/).
LOGIC_NOT_IMPORTED = "未导入该条件"
DROPPED_EFFECTS = {
    "relevant": "总是显示",
    "constraint": "不检查该约束",
    "required": "不设为必答",
    "choice_filter": "显示全部选项",
}


def dropped(where: str, key: str, source: str, reason: str) -> Problem:
    """The warning about a condition left out."""
    effect = DROPPED_EFFECTS[key]
    return Problem(where, f"表达式“{source}”{reason}，本平台无法计算，{LOGIC_NOT_IMPORTED}（{effect}）")


# Limits of the safe evaluator, not mistakes of the author: ODK computes such a condition.
_EVALUATOR_LIMITS = ("regex() 中", "表达式过长", "表达式过于复杂", "表达式嵌套过深", "嵌套超过")


def beyond_evaluator(source: str, key: str) -> str:
    """Why the safe evaluator cannot take this well-formed condition (an ODK regex feature it
    does not run, a size it refuses), or "" (also when the condition is simply wrong: the checks
    report that)."""
    try:
        compile_expression(source, allow_fields=key == "choice_filter")
    except ExpressionError as error:
        message = str(error)
        if any(limit in message for limit in _EVALUATOR_LIMITS):
            return f"超出本平台表达式的能力（{message}）"
    return ""


def drop_unusable_logic(sections: list[SectionDraft], survey: Sheet, warnings: list[Problem]) -> None:
    placeholders = {d.name for s in sections for d in s.questions if d.placeholder}
    names = {d.name for s in sections for d in s.questions}
    earlier: set[str] = set()
    for section in sections:
        reason = unusable(section.relevant, earlier, names, placeholders)
        if reason:
            warnings.append(
                dropped(survey.where(section.row, "relevant"), "relevant", section.relevant, reason)
            )
            section.relevant = ""
        for draft in section.questions:
            for key in EXPRESSION_KEYS:
                value = draft.values.get(key)
                if isinstance(value, str) and value:
                    reason = unusable(value, earlier, names, placeholders, draft, key)
                    if reason:
                        warnings.append(dropped(survey.where(draft.row, key), key, value, reason))
                        draft.values[key] = False if key == "required" else ""
            earlier.add(draft.name)


def unusable(
    source: str,
    earlier: set[str],
    names: set[str],
    placeholders: set[str],
    draft: Draft | None = None,
    key: str = "relevant",
) -> str:
    """Why this platform cannot evaluate the condition (Chinese), or ""."""
    if not source:
        return ""
    try:
        expression = compile_expression(source, allow_fields=key == "choice_filter")
    except ExpressionError:
        return ""  # reported by the checks
    for reference in sorted(expression.references):
        base = reference.partition(ROW_SEPARATOR)[0]
        if base in placeholders:
            return f"引用的 ${{{reference}}} 是本平台不支持的项目（已导入为说明项，没有答案）"
        if base in names and base not in earlier and (draft is None or base != draft.name):
            return f"引用了后面的题目 ${{{reference}}}（本平台按题目顺序计算条件）"
    options = draft.values.get("options", ()) if draft is not None and key == "choice_filter" else ()
    columns = {column for option in options for column in option.attribute_map()}
    missing = sorted(expression.fields - columns) if options else []
    if missing:
        return f"用到选项列表中没有的列“{missing[0]}”（ODK 从外部数据文件读取）"
    return ""
