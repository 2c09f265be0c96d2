"""The questionnaire model: frozen plain data, no behaviour beyond simple lookups.

A questionnaire is a list of sections, each a list of questions. Expressions (`relevant`,
`constraint`, an expression-valued `required`, `choice_filter`) are kept as their source text;
`questionnaires.expressions.compile_expression` parses them (cached) where they are evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any


class QuestionType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    DROPDOWN = "dropdown"
    RATING = "rating"
    MATRIX_RATING = "matrix_rating"
    SCALE10 = "scale10"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    TEXTAREA = "textarea"
    NOTE = "note"


CHOICE_TYPES = frozenset(
    {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.DROPDOWN}
)
SATISFACTION_TYPES = frozenset({QuestionType.RATING, QuestionType.MATRIX_RATING})
TEXT_TYPES = frozenset({QuestionType.TEXT, QuestionType.TEXTAREA})

QUESTION_TYPE_LABELS: dict[QuestionType, str] = {
    QuestionType.SINGLE_CHOICE: "单选题",
    QuestionType.MULTIPLE_CHOICE: "多选题",
    QuestionType.DROPDOWN: "下拉选择题",
    QuestionType.RATING: "满意度评价题",
    QuestionType.MATRIX_RATING: "矩阵评价题",
    QuestionType.SCALE10: "0–10 分量表题",
    QuestionType.NUMBER: "数字题",
    QuestionType.DATE: "日期题",
    QuestionType.TEXT: "单行文本题",
    QuestionType.TEXTAREA: "多行文本题",
    QuestionType.NOTE: "说明文字",
}

# Field separator between a matrix question and one of its rows, in answer keys, HTML field names
# and expression references (`${units__U03}`). Question names may therefore not contain it.
ROW_SEPARATOR = "__"

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
ROW_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
UNIT_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")

# Value of the optional 不了解 answer of a rating. A string, so that `${q} <= 2` is false for it
# (number('unknown') is NaN) instead of silently counting it as dissatisfied.
UNKNOWN = "unknown"
UNKNOWN_LABEL = "不了解"

DEFAULT_TEXT_MAX_LENGTH = 200
DEFAULT_TEXTAREA_MAX_LENGTH = 2000
SCALE10_MIN = 0
SCALE10_MAX = 10


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    # Extra columns of an XLSForm choices row, usable by name in a `choice_filter`.
    attributes: tuple[tuple[str, str], ...] = ()

    def attribute_map(self) -> dict[str, str]:
        """Values a `choice_filter` can read for this option (extra columns, name, label)."""
        return {**dict(self.attributes), "name": self.value, "label": self.label}


# The five-level 好差评 scale, best first; the value is the level (5 = 非常满意).
SATISFACTION_SCALE: tuple[Option, ...] = (
    Option("5", "非常满意"),
    Option("4", "满意"),
    Option("3", "基本满意"),
    Option("2", "不满意"),
    Option("1", "非常不满意"),
)
UNKNOWN_OPTION = Option(UNKNOWN, UNKNOWN_LABEL)


@dataclass(frozen=True)
class MatrixRow:
    id: str
    label: str
    unit_code: str = ""  # falls back to the question's unit_code
    dimension: str = ""  # falls back to the question's dimension


@dataclass(frozen=True)
class Question:
    name: str
    type: QuestionType
    label: str
    hint: str = ""
    required: bool | str = False  # True/False, or an expression source
    required_message: str = ""
    relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    options: tuple[Option, ...] = ()
    choice_filter: str = ""
    rows: tuple[MatrixRow, ...] = ()
    unit_code: str = ""
    dimension: str = ""
    allow_unknown: bool = False
    min_value: int | float | None = None
    max_value: int | float | None = None
    allow_decimal: bool = False  # number questions: integers only unless set
    max_length: int | None = None  # text questions; None = the type's default
    max_choices: int | None = None  # multiple choice
    opinion: bool = False  # text whose answers are opinions (意见建议) for theme analysis

    @property
    def effective_max_length(self) -> int:
        if self.max_length is not None:
            return self.max_length
        if self.type == QuestionType.TEXTAREA:
            return DEFAULT_TEXTAREA_MAX_LENGTH
        return DEFAULT_TEXT_MAX_LENGTH

    @cached_property
    def option_values(self) -> frozenset[str]:
        """The values of all its options (checked for every answer of every submission)."""
        return frozenset(option.value for option in self.options)

    @property
    def scale_options(self) -> tuple[Option, ...]:
        """The answer options of a rating or matrix: the five levels, then 不了解 if allowed."""
        return SATISFACTION_SCALE + ((UNKNOWN_OPTION,) if self.allow_unknown else ())

    def row_unit_code(self, row: MatrixRow) -> str:
        return row.unit_code or self.unit_code

    def row_dimension(self, row: MatrixRow) -> str:
        return row.dimension or self.dimension

    def row_field(self, row: MatrixRow) -> str:
        """Answer key / HTML field name / expression variable of one matrix row."""
        return f"{self.name}{ROW_SEPARATOR}{row.id}"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    description: str = ""
    relevant: str = ""


@dataclass(frozen=True)
class Questionnaire:
    id: str
    title: str
    sections: tuple[Section, ...]
    description: str = ""
    intro: str = ""  # shown before the first question: purpose, privacy notice (隐私说明)
    version: str = ""

    def iter_questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    @cached_property
    def _questions_by_name(self) -> dict[str, Question]:
        return {question.name: question for question in self.iter_questions()}

    @cached_property
    def _sections_by_id(self) -> dict[str, Section]:
        return {section.id: section for section in self.sections}

    def question(self, name: str) -> Question:
        """The question called `name`; KeyError if there is none."""
        return self._questions_by_name[name]

    def find_question(self, name: str) -> Question | None:
        return self._questions_by_name.get(name)

    def section(self, section_id: str) -> Section:
        """The section with this id; KeyError if there is none."""
        return self._sections_by_id[section_id]

    def find_section(self, section_id: str) -> Section | None:
        return self._sections_by_id.get(section_id)

    @cached_property
    def derived(self) -> dict[str, Any]:
        """Values worked out from this (immutable) questionnaire by other modules and kept with
        it, e.g. questionnaires.ratings' rated items: every submission needs them."""
        return {}

    def referenced_unit_codes(self) -> frozenset[str]:
        """Every unit code the questionnaire rates or collects opinions about (for the app to
        check against its unit register)."""
        codes: set[str] = set()
        for question in self.iter_questions():
            if question.unit_code:
                codes.add(question.unit_code)
            codes.update(row.unit_code for row in question.rows if row.unit_code)
        return frozenset(codes)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where (sheet/row/column or path) and what, in Chinese."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}：{self.message}" if self.location else self.message


class DefinitionError(ValueError):
    """A questionnaire definition (YAML, JSON, XLSForm or dict) is invalid."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
