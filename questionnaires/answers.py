"""Answers: typed form, conversion from HTML forms, server-side validation, and the normalised
rows (scored ratings, opinion texts) the app stores.

Typed answers (JSON-safe), keyed by question name; an unanswered question is simply absent:

    single_choice, dropdown   "value"                       (an option value)
    multiple_choice           ["value", ...]
    rating                    5 … 1, or "unknown" (不了解, when allow_unknown)
    matrix_rating             {"row_id": 5 … 1 or "unknown", ...}
    scale10                   0 … 10
    number                    int (or float with allow_decimal)
    date                      "YYYY-MM-DD"
    text, textarea            "text"

HTML field naming (the no-JavaScript path, read by `coerce_form_answers`, and by survey.js):
    * one field per question, named as the question: radio buttons, <select>, text and number
      inputs, <textarea>; a rating's radios have values "5" … "1" and "unknown";
    * a multiple choice is a group of checkboxes all named as the question, one value each;
    * a matrix row is a radio group named `<question>__<row id>` (e.g. `units__U03`);
    * any other field (CSRF token, submission id, buttons) is ignored.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from questionnaires.evaluation import EvaluationContext, evaluate_bool
from questionnaires.expressions import ExpressionError, compile_expression
from questionnaires.flow import (
    Visibility,
    answer_text,
    china_today,
    condition_holds,
    evaluate_visibility,
    is_required,
)
from questionnaires.model import (
    CHOICE_TYPES,
    SCALE10_MAX,
    SCALE10_MIN,
    TEXT_TYPES,
    UNKNOWN,
    MatrixRow,
    Option,
    Question,
    Questionnaire,
    QuestionType,
)

AnswerValue = str | int | float | list[str] | dict[str, int | str]

DEFAULT_REQUIRED_MESSAGE = "此题为必答题"
DEFAULT_CONSTRAINT_MESSAGE = "答案不符合要求"
BAD_FORMAT_MESSAGE = "答案格式不正确"
# Control characters other than tab and newline have no place in a typed answer.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LEVELS = frozenset({1, 2, 3, 4, 5})


# --- scope helpers -----------------------------------------------------------------------------


def _questions_in_scope(questionnaire: Questionnaire, section_id: str | None) -> list[Question]:
    if section_id is None:
        return list(questionnaire.iter_questions())
    section = questionnaire.find_section(section_id)
    if section is None:
        raise ValueError(f"问卷中没有编号为“{section_id}”的部分")
    return list(section.questions)


def is_empty_answer(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not value
    return False


def relevant_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object], *, today: date | None = None
) -> dict[str, object]:
    """The answers worth storing: non-empty answers to known, visible questions. Answers to
    questions hidden by skip logic are dropped (not errors), as are unknown keys."""
    visible = evaluate_visibility(questionnaire, answers, today=today).questions
    return {
        name: value
        for name, value in answers.items()
        if name in visible
        and questionnaire.question(name).type != QuestionType.NOTE
        and not is_empty_answer(value)
    }


def merge_section_answers(
    questionnaire: Questionnaire,
    stored: Mapping[str, object],
    submitted: Mapping[str, object],
    section_id: str,
) -> dict[str, object]:
    """Stored answers with one section's answers replaced by a page's submission (a question of
    that section left empty on the page is cleared)."""
    names = {question.name for question in _questions_in_scope(questionnaire, section_id)}
    merged = {name: value for name, value in stored.items() if name not in names}
    merged.update({name: value for name, value in submitted.items() if name in names})
    return merged


# --- HTML form -> typed answers ----------------------------------------------------------------


def coerce_form_answers(
    questionnaire: Questionnaire,
    form: Mapping[str, list[str]],
    section_id: str | None = None,
) -> dict[str, AnswerValue]:
    """Typed answers from HTML form fields (see the module docstring for field names), for all
    questions or one section's. Empty fields are left out. A value that cannot be converted is
    kept as text so that `validate_answers` reports it."""
    result: dict[str, AnswerValue] = {}
    for question in _questions_in_scope(questionnaire, section_id):
        value = _coerce_question(question, form)
        if value is not None:
            result[question.name] = value
    return result


def _field_values(form: Mapping[str, list[str]], name: str) -> list[str]:
    values = form.get(name)
    if not values:
        return []
    return [_clean_text(value) for value in values if isinstance(value, str) and value.strip()]


def _clean_text(text: str) -> str:
    if text.isascii() and text.isalnum():  # an option value or a number: nothing to clean
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", text).strip()


def _coerce_question(question: Question, form: Mapping[str, list[str]]) -> AnswerValue | None:
    kind = question.type
    if kind == QuestionType.NOTE:
        return None
    if kind == QuestionType.MATRIX_RATING:
        rows: dict[str, int | str] = {}
        for row in question.rows:
            values = _field_values(form, question.row_field(row))
            if values:
                rows[row.id] = _coerce_integer(values[0])
        return rows or None
    values = _field_values(form, question.name)
    if not values:
        return None
    if kind == QuestionType.MULTIPLE_CHOICE:
        return list(dict.fromkeys(values))
    text = values[0]
    if kind in (QuestionType.RATING, QuestionType.SCALE10):
        return _coerce_integer(text)
    if kind == QuestionType.NUMBER:
        return _coerce_number(text)
    return text


def _coerce_integer(text: str) -> int | str:
    return int(text) if text.isascii() and text.isdigit() else text


def _coerce_number(text: str) -> int | float | str:
    # Phones in Chinese input mode often type full-width digits (１２); NFKC folds them.
    normal = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    if re.fullmatch(r"-?[0-9]+", normal):
        return int(normal)
    if re.fullmatch(r"-?(?:[0-9]+\.[0-9]*|\.[0-9]+)", normal):
        return float(normal)
    return text


# --- validation --------------------------------------------------------------------------------


def validate_answers(
    questionnaire: Questionnaire,
    answers: Mapping[str, object],
    *,
    partial: bool = False,
    section_id: str | None = None,
    today: date | None = None,
) -> dict[str, str]:
    """Problems per question name (or `question__row` for a matrix row), in Chinese; empty when
    valid. This is the server's authority whatever the browser checked.

    `partial` skips the required checks (drafts); `section_id` checks one section only (one page
    of a multi-page form). Answers to questions hidden by skip logic are ignored, not errors."""
    day = today or china_today()
    visibility = evaluate_visibility(questionnaire, answers, today=day)
    errors: dict[str, str] = {}
    for question in _questions_in_scope(questionnaire, section_id):
        if question.name not in visibility.questions or question.type == QuestionType.NOTE:
            continue
        value = answers.get(question.name)
        if question.type == QuestionType.MATRIX_RATING:
            errors.update(_matrix_problems(question, value, visibility, day, partial=partial))
            continue
        if is_empty_answer(value):
            if not partial and is_required(question, visibility.values, day):
                errors[question.name] = question.required_message or DEFAULT_REQUIRED_MESSAGE
            continue
        problem = _value_problem(question, value, visibility, day) or _constraint_problem(
            question, value, visibility, day
        )
        if problem:
            errors[question.name] = problem
    return errors


def _matrix_problems(
    question: Question, value: object, visibility: Visibility, today: date, *, partial: bool
) -> dict[str, str]:
    if value is not None and not isinstance(value, Mapping):
        return {question.name: BAD_FORMAT_MESSAGE}
    rows: Mapping[str, object] = value or {}
    known = {row.id for row in question.rows}
    if any(key not in known for key in rows):
        return {question.name: BAD_FORMAT_MESSAGE}
    required = not partial and is_required(question, visibility.values, today)
    errors: dict[str, str] = {}
    for row in question.rows:
        key = question.row_field(row)
        if row.id not in rows:
            if required:
                errors[key] = question.required_message or f"请对“{row.label}”作出评价"
        elif not _is_rating_value(question, rows[row.id]):
            errors[key] = _rating_message(question)
    return errors


def _is_rating_value(question: Question, value: object) -> bool:
    if value == UNKNOWN:
        return question.allow_unknown
    return isinstance(value, int) and not isinstance(value, bool) and value in _LEVELS


def _rating_message(question: Question) -> str:
    return "请选择一个评价等级" + ("（或“不了解”）" if question.allow_unknown else "")


def _value_problem(
    question: Question, value: object, visibility: Visibility, today: date
) -> str | None:
    kind = question.type
    if kind in CHOICE_TYPES:
        return _choice_problem(question, value, visibility, today)
    if kind == QuestionType.RATING:
        return None if _is_rating_value(question, value) else _rating_message(question)
    if kind == QuestionType.SCALE10:
        in_range = isinstance(value, int) and SCALE10_MIN <= value <= SCALE10_MAX
        if in_range and not isinstance(value, bool):
            return None
        return f"请选择 {SCALE10_MIN}–{SCALE10_MAX} 之间的分值"
    if kind == QuestionType.NUMBER:
        return _number_problem(question, value)
    if kind == QuestionType.DATE:
        return None if _is_iso_date(value) else "请输入有效的日期（年-月-日）"
    if kind in TEXT_TYPES:
        return _text_problem(question, value)
    return None


def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def available_options(
    question: Question, values: Mapping[str, str], today: date
) -> tuple[Option, ...]:
    """The options offered to the respondent: all, or those passing the choice_filter."""
    if not question.choice_filter:
        return question.options
    expression = compile_expression(question.choice_filter, allow_fields=True)
    kept: list[Option] = []
    for option in question.options:
        context = EvaluationContext(values, today, fields=option.attribute_map())
        try:
            keep = evaluate_bool(expression, context)
        except ExpressionError:
            keep = True  # cannot tell: offer it rather than make the question unanswerable
        if keep:
            kept.append(option)
    return tuple(kept)


def _choice_problem(
    question: Question, value: object, visibility: Visibility, today: date
) -> str | None:
    allowed = question.option_values if not question.choice_filter else {
        option.value for option in available_options(question, visibility.values, today)}
    if question.type != QuestionType.MULTIPLE_CHOICE:
        if not isinstance(value, str):
            return BAD_FORMAT_MESSAGE
        return None if value in allowed else "请从给出的选项中选择"
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return BAD_FORMAT_MESSAGE
    if len(set(value)) != len(value):
        return "选项不能重复选择"
    if any(item not in allowed for item in value):
        return "请从给出的选项中选择"
    if question.max_choices is not None and len(value) > question.max_choices:
        return f"最多选择 {question.max_choices} 项"
    return None


def _number_problem(question: Question, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "请输入数字"
    if not question.allow_decimal and value != int(value):
        return "请输入整数"
    low, high = question.min_value, question.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return f"请输入 {low} 到 {high} 之间的数"
        return f"不能小于 {low}" if low is not None else f"不能大于 {high}"
    return None


def _text_problem(question: Question, value: object) -> str | None:
    if not isinstance(value, str):
        return BAD_FORMAT_MESSAGE
    if _CONTROL_CHARACTERS.search(value):
        return "包含无效的控制字符"
    limit = question.effective_max_length
    if len(value) > limit:
        return f"不能超过 {limit} 个字（现有 {len(value)} 个）"
    return None


def _constraint_problem(
    question: Question, value: object, visibility: Visibility, today: date
) -> str | None:
    if not question.constraint:
        return None
    holds = condition_holds(
        question.constraint, visibility.values, today, current=answer_text(value)
    )
    if holds:
        return None
    return question.constraint_message or DEFAULT_CONSTRAINT_MESSAGE


# --- normalised rows ---------------------------------------------------------------------------


class ScoredAnswer(NamedTuple):
    """One rating of one unit (a rating question, or one matrix row). A named tuple: a
    submission makes dozens, and a frozen dataclass costs several times more to build."""

    question: str
    row: str | None
    unit_code: str
    dimension: str
    level: int | None  # 5 = 非常满意 … 1 = 非常不满意; None when unknown
    unknown: bool  # 不了解: leaves the score's denominator, counts for awareness


@dataclass(frozen=True)
class OpinionText:
    question: str
    unit_code: str | None
    text: str


def scored_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object], *, today: date | None = None,
    relevant: bool = False,
) -> list[ScoredAnswer]:
    """Every valid rating among the visible answers, in questionnaire order. `relevant`: the
    answers are already `relevant_answers` (skip logic is not evaluated again)."""
    kept = answers if relevant else relevant_answers(questionnaire, answers, today=today)
    scored: list[ScoredAnswer] = []
    for question in questionnaire.iter_questions():
        value = kept.get(question.name)
        if value is None:
            continue
        if question.type == QuestionType.RATING:
            scored.extend(_scored(question, None, value))
        elif question.type == QuestionType.MATRIX_RATING and isinstance(value, Mapping):
            for row in question.rows:
                if row.id in value:
                    scored.extend(_scored(question, row, value[row.id]))
    return scored


def _scored(question: Question, row: MatrixRow | None, value: object) -> Iterable[ScoredAnswer]:
    if not _is_rating_value(question, value):
        return ()
    unknown = value == UNKNOWN
    level = value if isinstance(value, int) else None
    return (
        ScoredAnswer(
            question=question.name,
            row=row.id if row else None,
            unit_code=question.row_unit_code(row) if row else question.unit_code,
            dimension=question.row_dimension(row) if row else question.dimension,
            level=level,
            unknown=unknown,
        ),
    )


def opinion_texts(
    questionnaire: Questionnaire, answers: Mapping[str, object], *, today: date | None = None,
    relevant: bool = False,
) -> list[OpinionText]:
    """The visible answers to opinion (意见建议) questions, in questionnaire order. `relevant`:
    the answers are already `relevant_answers`."""
    kept = answers if relevant else relevant_answers(questionnaire, answers, today=today)
    return [
        OpinionText(question.name, question.unit_code or None, value.strip())
        for question in questionnaire.iter_questions()
        if question.opinion and isinstance(value := kept.get(question.name), str)
    ]
