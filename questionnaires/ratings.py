"""One response's ratings of one unit as a short string: the grain unit scores are computed at.

Every rating of a unit sits in a fixed position: the unit's rated items (rating questions and
matrix rows that name the unit) in questionnaire order. A response's ratings of the unit are
one character per position:

    "1"…"5"  the level (5 = 非常满意 … 1 = 非常不满意)
    "0"      不了解
    "-"      no answer (not shown, skipped)

so "54-0" says: first item 非常满意, second 满意, third not answered, fourth 不了解. The string is
written with the answer rows (same transaction) and read back by position with `rated_items`
of the same questionnaire version, which is immutable once published. Unit scores then group
about 5× fewer rows than the answer table and need one pass instead of two
(analysis/scoring/patterns.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from questionnaires.model import Questionnaire, QuestionType

NO_ANSWER = "-"
UNKNOWN = "0"

Item = tuple[str, str]  # (question name, matrix row id or "")
Rating = tuple[str, str, str, int | None]  # (unit code, question, row id or "", level)


class RatedItems(dict[str, tuple[Item, ...]]):
    """Unit code → the unit's rated items, with each item's position worked out once."""

    @cached_property
    def positions(self) -> dict[str, dict[Item, int]]:
        return _positions(self)


def rated_items(questionnaire: Questionnaire) -> RatedItems:
    """Unit code → the unit's rated items in questionnaire order (units without a code are
    not scored and left out). Worked out once per questionnaire: do not modify."""
    found = questionnaire.derived.get("rated_items")
    if found is None:
        found = questionnaire.derived["rated_items"] = RatedItems(_rated_items(questionnaire))
    return found  # type: ignore[no-any-return]


def _rated_items(questionnaire: Questionnaire) -> dict[str, tuple[Item, ...]]:
    items: dict[str, list[Item]] = {}
    for question in questionnaire.iter_questions():
        if question.type == QuestionType.RATING:
            if question.unit_code:
                items.setdefault(question.unit_code, []).append((question.name, ""))
        elif question.type == QuestionType.MATRIX_RATING:
            for row in question.rows:
                code = question.row_unit_code(row)
                if code:
                    items.setdefault(code, []).append((question.name, row.id))
    return {code: tuple(unit_items) for code, unit_items in items.items()}


def _positions(items_by_unit: dict[str, tuple[Item, ...]]) -> dict[str, dict[Item, int]]:
    """Each unit's item -> position."""
    return {code: {item: i for i, item in enumerate(items)}
            for code, items in items_by_unit.items()}


def rating_strings(
    items_by_unit: dict[str, tuple[Item, ...]], ratings: Iterable[Rating]
) -> dict[str, str]:
    """Unit code → the response's rating string, for every unit it rated at least once.

    `ratings` are (unit code, question, row id or "", level or None for 不了解): the answer
    rows of one response."""
    positions = (items_by_unit.positions if isinstance(items_by_unit, RatedItems)
                 else _positions(items_by_unit))
    chars: dict[str, list[str]] = {}
    for unit_code, question, row, level in ratings:
        if not unit_code:
            continue
        slot = positions[unit_code][(question, row)]
        unit_chars = chars.setdefault(unit_code, [NO_ANSWER] * len(items_by_unit[unit_code]))
        unit_chars[slot] = UNKNOWN if level is None else str(level)
    return {code: "".join(unit_chars) for code, unit_chars in chars.items()}
