"""What question templates ask about a respondent's answers: `view.checked(field, value)`,
`view.selected(...)`, `view.value(field)`, `view.error(field)`.

`AnswerView` answers from real answers and errors (any page rendered per request).
`SlotView` answers nothing: it records a numbered slot and returns a marker in its place, so a
page rendered once can be cut into literal text and slots (survey_app/web/page_cache.py) and
filled in per respondent from `answer_strings(answers)` without running the template again.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

CHECKED = Markup(" checked")
SELECTED = Markup(" selected")
EMPTY = Markup("")
SLOT_OPEN = "\ue000"  # private-use characters, then a random nonce per compiled page: text that
SLOT_CLOSE = "\ue001"  # imitates a marker cannot guess it


def answer_strings(answers: Mapping[str, Any]) -> dict[str, frozenset[str] | str]:
    """Field name -> the answer as the page shows it: the set of chosen option values (compared
    as strings, so 3 matches "3"), or the text of a typed answer. A matrix question's rows become
    fields "question__row", as in the form."""
    shown: dict[str, frozenset[str] | str] = {}
    for name, value in answers.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            for row, level in value.items():
                if level is not None:
                    shown[f"{name}__{row}"] = frozenset((str(level),))
        elif isinstance(value, list | tuple | set | frozenset):
            shown[name] = frozenset(str(item) for item in value)
        else:
            shown[name] = str(value)
    return shown


def is_chosen(shown: frozenset[str] | str | None, value: object) -> bool:
    if shown is None:
        return False
    if isinstance(shown, str):
        return shown == str(value)
    return str(value) in shown


class AnswerView:
    """Answers and errors of one request, as the question macros ask for them."""

    is_answer_view = True

    def __init__(self, answers: Mapping[str, Any] | None, errors: Mapping[str, str] | None):
        self._shown = answer_strings(answers or {})
        self._errors = errors or {}

    def checked(self, field: str, value: object) -> Markup:
        return CHECKED if is_chosen(self._shown.get(field), value) else EMPTY

    def selected(self, field: str, value: object) -> Markup:
        return SELECTED if is_chosen(self._shown.get(field), value) else EMPTY

    def value(self, field: str) -> str:
        shown = self._shown.get(field)
        return shown if isinstance(shown, str) else ""

    def error(self, field: str) -> str:
        return self._errors.get(field, "")


def answer_view(answers: Any, errors: Any) -> AnswerView:
    """Jinja global: the live view of plain answer and error dicts (or Undefined)."""
    return AnswerView(answers if isinstance(answers, Mapping) else None,
                      errors if isinstance(errors, Mapping) else None)


class SlotView:
    """Records where per-respondent content goes; renders an error-free page."""

    is_answer_view = True

    def __init__(self) -> None:
        self.slots: list[tuple[str, str, str]] = []  # (kind, field, option value)
        self.nonce = secrets.token_hex(8)

    def mark(self, kind: str, field: str, value: str = "") -> Markup:
        self.slots.append((kind, field, value))
        number = len(self.slots) - 1  # an int and our nonce: nothing from outside
        return Markup(f"{SLOT_OPEN}{self.nonce}:{number}{SLOT_CLOSE}")  # noqa: S704

    def checked(self, field: str, value: object) -> Markup:
        return self.mark("checked", field, str(value))

    def selected(self, field: str, value: object) -> Markup:
        return self.mark("selected", field, str(value))

    def value(self, field: str) -> Markup:
        return self.mark("value", field)

    def error(self, field: str) -> str:
        return ""
