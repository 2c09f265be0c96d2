"""Answers given to questions the skip logic hides (pure), for paper data entry and for
respondents' pages without JavaScript (where conditional questions show and can be answered).

A respondent online never sees a skipped question, so dropping its answer loses nothing. A clerk
copying a paper form is different: what is written on the sheet must never vanish silently, so
every such answer is named, with the earlier answers that make the question skipped, and the
clerk corrects the earlier answer or confirms that these answers are not stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from questionnaires.answers import is_empty_answer
from questionnaires.expressions import ExpressionError, compile_expression
from questionnaires.flow import evaluate_visibility
from questionnaires.model import (
    ROW_SEPARATOR,
    SATISFACTION_SCALE,
    UNKNOWN_OPTION,
    Question,
    Questionnaire,
    QuestionType,
)
from questionnaires.paper import condition_text, never_shown, question_numbers


@dataclass(frozen=True)
class SkippedAnswer:
    name: str  # the question's name
    label: str  # "第 4 题"
    message: str  # "第 4 题：按第 1 题的回答（大型）本题应跳过，但填写了内容"
    condition: str = ""  # the display condition that skips it (the question's or its section's)
    subjects: tuple[str, ...] = ()  # the questions that condition reads: ("第 1 题",)
    in_section: str = ""  # the title of its section when the section as a whole is skipped


def skipped_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object], *, today: date | None = None
) -> list[SkippedAnswer]:
    """The non-empty answers to questions hidden by skip logic, in questionnaire order. Items
    never asked (condition `false()`) are not on the entry form and are left out."""
    visibility = evaluate_visibility(questionnaire, answers, today=today)
    numbers = question_numbers(questionnaire)
    found: list[SkippedAnswer] = []
    for section in questionnaire.sections:
        if never_shown(section.relevant):
            continue
        section_hidden = section.id not in visibility.sections
        for question in section.questions:
            if (question.name in visibility.questions or question.type == QuestionType.NOTE
                    or never_shown(question.relevant)
                    or is_empty_answer(answers.get(question.name))):
                continue
            condition = section.relevant if section_hidden else question.relevant
            label = f"第 {numbers[question.name]} 题"
            read, references = _read(condition, numbers)
            because = _because(read, references, questionnaire, numbers, visibility.values)
            where = f"本题所在的“{section.title}”部分" if section_hidden else "本题"
            found.append(SkippedAnswer(
                question.name, label, f"{label}：{because}{where}应跳过，但填写了内容",
                condition, tuple(f"第 {numbers[name]} 题" for name in read),
                section.title if section_hidden else ""))
    return found


def all_confirmed(skipped: Sequence[SkippedAnswer], acknowledged: str) -> bool:
    """Whether the page confirmed every one of these skipped answers (`acknowledged`: the
    space-separated names it carried); an answer skipped since asks again."""
    return {item.name for item in skipped} <= set(acknowledged.split())


def respondent_notice(item: SkippedAnswer, questionnaire: Questionnaire, button: str) -> str:
    """What a respondent reads of a skipped answer: "第 10 题只在第 6 题选“是”时回答。按您目前的
    选择，本题将跳过，您填写的内容不会保存。如需保存，请修改第 6 题；如确认无误，请再点“下一页”。"""
    rule = condition_text(item.condition, questionnaire, question_numbers(questionnaire))
    whom = f"{item.label}所在的“{item.in_section}”部分" if item.in_section else item.label
    change = f"请修改{'、'.join(item.subjects)}" if item.subjects else "请修改前面的回答"
    return (f"{whom}只在{rule}时回答。按您目前的选择，本题将跳过，您填写的内容不会保存。"
            f"如需保存，{change}；如确认无误，请再点“{button}”。")


def _read(condition: str, numbers: dict[str, int]) -> tuple[list[str], frozenset[str]]:
    """The questions a condition reads, in questionnaire order, and its references."""
    try:
        references = compile_expression(condition).references
    except ExpressionError:
        references = frozenset()
    read = sorted({ref.split(ROW_SEPARATOR)[0] for ref in references} & numbers.keys(),
                  key=numbers.__getitem__)
    return read, references


def _because(read: list[str], references: frozenset[str], questionnaire: Questionnaire,
             numbers: dict[str, int], values: Mapping[str, str]) -> str:
    """"按第 1 题的回答（大型）": the answers the condition reads, as the clerk sees them."""
    if not read:
        return "按问卷的显示条件，"
    subjects = "、".join(f"第 {numbers[name]} 题" for name in read)
    shown = "；".join(_answer_label(questionnaire.question(name), values, references)
                     for name in read)
    return f"按{subjects}的回答（{shown}）"


_LEVELS = {option.value: option.label for option in (*SATISFACTION_SCALE, UNKNOWN_OPTION)}


def _answer_label(question: Question, values: Mapping[str, str],
                  references: frozenset[str]) -> str:
    if question.type == QuestionType.MATRIX_RATING:  # the rows the condition reads: "态度：满意"
        rows = [(row.label, values.get(question.row_field(row), "")) for row in question.rows
                if question.row_field(row) in references]
        return "、".join(f"{label}：{_LEVELS.get(level, level) or '未作答'}"
                        for label, level in rows) or "未作答"
    text = values.get(question.name, "")
    if not text:
        return "未作答"
    if question.type == QuestionType.RATING:
        return _LEVELS.get(text, text)
    if question.options:
        labels = {str(option.value): str(option.label) for option in question.options}
        parts = text.split() if question.type == QuestionType.MULTIPLE_CHOICE else [text]
        return "、".join(labels.get(part, part) for part in parts)
    return text if len(text) <= 20 else text[:20] + "…"  # a referenced text answer: a glimpse
