"""Skip logic: which sections and questions a respondent sees, given the answers so far.

Relevance is evaluated in questionnaire order, the way ODK does it: a hidden question's answer
counts as empty for everything after it, so hiding cascades. The same walk yields the string
environment expressions read (`${name}` -> answer text), which survey.js mirrors in the browser.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType

from questionnaires.evaluation import EvaluationContext, evaluate_bool, format_number
from questionnaires.expressions import ExpressionError, compile_expression
from questionnaires.model import ROW_SEPARATOR, Question, Questionnaire, QuestionType

# today() means the date in China (UTC+8, no daylight saving) whatever the server's zone.
CHINA_TIME = timezone(timedelta(hours=8))


def china_today() -> date:
    return datetime.now(CHINA_TIME).date()


_EXACT = 2**53  # integers a float holds exactly


def answer_text(value: object) -> str:
    """An answer as expressions see it: numbers without '.0', choices space-separated."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if type(value) is int and -_EXACT < value < _EXACT:  # the common case, as format_number
        return str(value)
    if isinstance(value, int | float):
        return format_number(float(value))
    if isinstance(value, list):
        return " ".join(item for item in value if isinstance(item, str))
    return ""


def answer_environment(question: Question, value: object) -> dict[str, str]:
    """The expression variables one answer defines (a matrix defines one per row)."""
    if question.type == QuestionType.MATRIX_RATING:
        if not isinstance(value, Mapping):
            return {}
        return {
            question.row_field(row): answer_text(value[row.id])
            for row in question.rows
            if row.id in value
        }
    text = answer_text(value)
    return {question.name: text} if text else {}


@dataclass(frozen=True)
class Visibility:
    sections: tuple[str, ...]  # ids of the visible sections, in order
    questions: frozenset[str]  # names of the visible questions
    values: Mapping[str, str]  # expression variables from the visible answers


_OUTCOMES: dict[tuple[object, ...], bool | None] = {}
_OUTCOMES_SIZE = 4096  # keys may hold a referenced text answer: kept small


def condition_holds(
    source: str, values: Mapping[str, str], today: date, *, current: str = ""
) -> bool | None:
    """Evaluate a boolean expression; None when it cannot be evaluated (too costly).

    An expression reads nothing but the values of its references (a missing one reads as ""),
    `current` and the day, so outcomes are remembered by those: every respondent page with a
    draft evaluates the questionnaire's conditions, mostly on the same few answers."""
    try:
        expression = compile_expression(source)
    except ExpressionError:
        return None
    key = (source, today, current, *(values.get(name, "") for name in expression.references))
    try:
        return _OUTCOMES[key]
    except KeyError:
        pass
    try:
        outcome: bool | None = evaluate_bool(expression,
                                             EvaluationContext(values, today, current=current))
    except ExpressionError:
        outcome = None
    if len(_OUTCOMES) >= _OUTCOMES_SIZE:
        _OUTCOMES.clear()
    _OUTCOMES[key] = outcome
    return outcome


_RECENT: dict[tuple[int, date, str], tuple[Questionnaire, Visibility]] = {}
_RECENT_SIZE = 1024  # a burst of respondents interleaves: a page's POST and the next GET


def evaluate_visibility(
    questionnaire: Questionnaire, answers: Mapping[str, object], *, today: date | None = None
) -> Visibility:
    """What skip logic shows for these answers. One request asks this several times for the
    same answers (validate, clean, score, next step), so the last results are remembered, keyed
    by the questionnaire object, the day and the answers' repr."""
    day = today or china_today()
    # repr tells apart every value an answer can hold (1, 1.0, True, "1"), in a third of the
    # time of canonical JSON; the same answers in another key order only miss the memo.
    key = (id(questionnaire), day, repr(answers))
    hit = _RECENT.get(key)
    if hit is not None and hit[0] is questionnaire:
        return hit[1]
    visibility = _evaluate_visibility(questionnaire, answers, day)
    if len(_RECENT) >= _RECENT_SIZE:
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # other threads
            _RECENT.pop(next(iter(_RECENT)))
    _RECENT[key] = (questionnaire, visibility)  # the questionnaire is kept: its id stays unique
    return visibility


def _evaluate_visibility(
    questionnaire: Questionnaire, answers: Mapping[str, object], day: date
) -> Visibility:
    values: dict[str, str] = {}
    sections: list[str] = []
    questions: set[str] = set()
    for section in questionnaire.sections:
        # An expression that cannot be evaluated shows the item: asking too much is safer than
        # silently dropping answers.
        if section.relevant and condition_holds(section.relevant, values, day) is False:
            continue
        sections.append(section.id)
        for question in section.questions:
            if question.relevant and condition_holds(question.relevant, values, day) is False:
                continue
            questions.add(question.name)
            if question.name not in answers:
                continue
            if question.type == QuestionType.MATRIX_RATING:
                values.update(answer_environment(question, answers[question.name]))
            elif text := answer_text(answers[question.name]):  # answer_environment, inlined
                values[question.name] = text
    return Visibility(tuple(sections), frozenset(questions), MappingProxyType(values))


def visible_questions(
    questionnaire: Questionnaire, answers: Mapping[str, object], *, today: date | None = None
) -> set[str]:
    return set(evaluate_visibility(questionnaire, answers, today=today).questions)


def visible_sections(
    questionnaire: Questionnaire, answers: Mapping[str, object], *, today: date | None = None
) -> list[str]:
    return list(evaluate_visibility(questionnaire, answers, today=today).sections)


def section_after(
    questionnaire: Questionnaire,
    answers: Mapping[str, object],
    section_id: str,
    *,
    today: date | None = None,
) -> str | None:
    """The next visible section after `section_id` (for page-by-page answering), or None."""
    visible = set(visible_sections(questionnaire, answers, today=today))
    ids = [section.id for section in questionnaire.sections]
    later = ids[ids.index(section_id) + 1 :] if section_id in ids else []
    return next((candidate for candidate in later if candidate in visible), None)


def section_before(
    questionnaire: Questionnaire,
    answers: Mapping[str, object],
    section_id: str,
    *,
    today: date | None = None,
) -> str | None:
    """The previous visible section before `section_id`, or None."""
    visible = set(visible_sections(questionnaire, answers, today=today))
    ids = [section.id for section in questionnaire.sections]
    earlier = ids[: ids.index(section_id)] if section_id in ids else []
    return next((candidate for candidate in reversed(earlier) if candidate in visible), None)


def is_required(question: Question, values: Mapping[str, str], today: date) -> bool:
    if isinstance(question.required, bool):
        return question.required
    return bool(question.required) and condition_holds(question.required, values, today) is True


def possible_sections(
    questionnaire: Questionnaire,
    answers: Mapping[str, object],
    section_id: str,
    *,
    today: date | None = None,
    visibility: Visibility | None = None,
) -> tuple[str, ...]:
    """The steps a respondent on `section_id` may go through: the visible ones up to it, then
    each later one that is visible or whose condition reads an answer not settled yet (one on
    this page, which may change before the button is pressed, or an unanswered later one).
    The page offers 提交问卷 only when no later step is possible, so that button never leads
    to another page; 下一页 with no later step visible after all shows the last-step notice.
    `visibility`: evaluate_visibility's result for these answers, when the caller has it."""
    if visibility is None:
        visibility = evaluate_visibility(questionnaire, answers, today=today)
    ids = [section.id for section in questionnaire.sections]
    if section_id not in ids:
        return visibility.sections
    at = ids.index(section_id)
    shown = set(visibility.sections)
    steps = [sid for sid in ids[:at] if sid in shown] + [section_id]
    on_page = {question.name for question in questionnaire.sections[at].questions}
    later = {q.name for s in questionnaire.sections[at + 1:] for q in s.questions}
    for section in questionnaire.sections[at + 1:]:
        if section.id in shown or (section.relevant and _reads_open(
                section.relevant, on_page, later, visibility.values)):
            steps.append(section.id)
    return tuple(steps)


def _reads_open(
    source: str, on_page: set[str], later: set[str], values: Mapping[str, str]
) -> bool:
    try:
        references = compile_expression(source).references
    except ExpressionError:
        return True
    for reference in references:
        name = reference.split(ROW_SEPARATOR)[0]
        if name in on_page or (name in later and not values.get(reference)):
            return True
    return False
