"""A questionnaire on paper (pure): question numbers shared with the data-entry form, and skip
conditions written as instructions ("第 5 题选“是”时回答") instead of expressions."""

from __future__ import annotations

import re

from questionnaires.model import Questionnaire, QuestionType

_EQUALS = re.compile(r"\$\{(\w+)\}\s*(!?=)\s*'([^']*)'")
_SELECTED = re.compile(r"selected\(\s*\$\{(\w+)\}\s*,\s*'([^']*)'\s*\)")
_REFERENCE = re.compile(r"\$\{(\w+)\}")
_WORDS = ((" and ", " 且 "), (" or ", " 或 "), ("not(", "并非("), ("selected(", "已选("))


def question_numbers(questionnaire: Questionnaire) -> dict[str, int]:
    """1, 2, 3 … over every question except notes, in order: the paper sheet, the data-entry
    form and the respondent pages use the same numbers."""
    numbered = [q.name for q in questionnaire.iter_questions() if q.type != QuestionType.NOTE]
    return {name: index for index, name in enumerate(numbered, start=1)}


def never_shown(relevant: str) -> bool:
    """An item whose condition is `false()` (metadata and calculations kept from an XLSForm
    import) is never asked, so paper sheets and the data-entry form leave it out."""
    return relevant.replace(" ", "") == "false()"


def hidden_items(questionnaire: Questionnaire) -> set[str]:
    """Ids of sections and names of questions that are never asked."""
    return {s.id for s in questionnaire.sections if never_shown(s.relevant)} | {
        q.name for q in questionnaire.iter_questions() if never_shown(q.relevant)}


def condition_text(expression: str, questionnaire: Questionnaire,
                   numbers: dict[str, int]) -> str:
    """`${used_approval} = 'yes'` -> 第 7 题选“是”; `selected(${ways}, 'hall')` -> 第 1 题选了
    “大厅” (option labels, never their codes)."""
    if not expression.strip():
        return ""

    def label(name: str, value: str) -> str:
        question = questionnaire.find_question(name)
        for option in question.options if question is not None else ():
            if str(option.value) == value:
                return str(option.label)
        return value

    def equals(match: re.Match[str]) -> str:
        name, operator, value = match.groups()
        number = numbers.get(name)
        subject = f"第 {number} 题" if number else "前面的题目"
        verb = "选" if operator == "=" else "未选"
        return f"{subject}{verb}“{label(name, value)}”"

    def selected(match: re.Match[str]) -> str:
        name, value = match.groups()
        number = numbers.get(name)
        subject = f"第 {number} 题" if number else "前面的题目"
        return f"{subject}选了“{label(name, value)}”"

    text = _SELECTED.sub(selected, _EQUALS.sub(equals, expression))
    text = _REFERENCE.sub(lambda m: f"第 {numbers[m.group(1)]} 题" if m.group(1) in numbers
                          else "前面的题目", text)
    for english, chinese in _WORDS:
        text = text.replace(english, chinese)
    return text
