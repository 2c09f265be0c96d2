"""Export: our questionnaire as an XLSForm workbook that read_xlsform reads back to an equal
questionnaire and pyxform converts."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

from questionnaires.model import CHOICE_TYPES, Option, Question, Questionnaire, QuestionType
from questionnaires.xlsform.vocabulary import (
    EXPORT_LANGUAGE,
    HIDDEN,
    METADATA_TYPES,
    RATING_LIST,
    RATING_LIST_WITH_UNKNOWN,
    RATING_LISTS,
    metadata_label,
)

SURVEY_HEADERS = (
    "type",
    "name",
    f"label::{EXPORT_LANGUAGE}",
    f"hint::{EXPORT_LANGUAGE}",
    "required",
    f"required_message::{EXPORT_LANGUAGE}",
    "relevant",
    "constraint",
    f"constraint_message::{EXPORT_LANGUAGE}",
    "choice_filter",
    "appearance",
    "parameters",
    "unit",
    "dimension",
    "allow_unknown",
    "min",
    "max",
    "max_length",
    "max_choices",
    "opinion",
)
SETTINGS_HEADERS = (
    "form_title",
    "form_id",
    "version",
    "default_language",
    "style",
    "description",
    "intro",
)


def write_xlsform(questionnaire: Questionnaire) -> bytes:
    """Export as an XLSForm workbook that read_xlsform reads back to an equal questionnaire."""
    lists = _choice_list_names(questionnaire)
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    _append(survey, SURVEY_HEADERS)
    for section in questionnaire.sections:
        _append_row(
            survey,
            type="begin group",
            name=section.id,
            label=section.title,
            hint=section.description,
            relevant=section.relevant,
            appearance="field-list",
        )
        for question in section.questions:
            for row in _question_rows(question, lists):
                _append_row(survey, **row)
        _append_row(survey, type="end group", name=section.id)
    choices = workbook.create_sheet("choices")
    attribute_keys = sorted({key for options in lists for option in options for key, _ in option.attributes})
    _append(choices, ("list_name", "name", f"label::{EXPORT_LANGUAGE}", *attribute_keys))
    for list_name, options in _rating_lists_used(questionnaire).items():
        for option in options:
            _append(choices, (list_name, option.value, option.label))
    for options, list_name in lists.items():
        for option in options:
            attributes = dict(option.attributes)
            extra = (attributes.get(key, "") for key in attribute_keys)
            _append(choices, (list_name, option.value, option.label, *extra))
    settings = workbook.create_sheet("settings")
    _append(settings, SETTINGS_HEADERS)
    _append(
        settings,
        (
            questionnaire.title,
            questionnaire.id,
            questionnaire.version,
            EXPORT_LANGUAGE,
            "pages",
            questionnaire.description,
            questionnaire.intro,
        ),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _choice_list_names(questionnaire: Questionnaire) -> dict[tuple[Option, ...], str]:
    """One list per distinct option set, named after the first question using it."""
    names: dict[tuple[Option, ...], str] = {}
    taken = set(RATING_LISTS)
    for question in questionnaire.iter_questions():
        if question.type in CHOICE_TYPES and question.options not in names:
            name = question.name
            while name in taken:
                name += "_list"
            taken.add(name)
            names[question.options] = name
    return names


def _rating_lists_used(questionnaire: Questionnaire) -> dict[str, tuple[Option, ...]]:
    used = {
        _rating_list(question)
        for question in questionnaire.iter_questions()
        if question.type in (QuestionType.RATING, QuestionType.MATRIX_RATING)
    }
    return {name: options for name, options in RATING_LISTS.items() if name in used}


def _rating_list(question: Question) -> str:
    return RATING_LIST_WITH_UNKNOWN if question.allow_unknown else RATING_LIST


# The hidden note a metadata row imported as -> that row's type, written back as it was.
_METADATA_BY_LABEL = {metadata_label(kind): kind for kind in METADATA_TYPES}


def _question_rows(question: Question, lists: dict[tuple[Option, ...], str]) -> list[dict[str, object]]:
    metadata = _METADATA_BY_LABEL.get(question.label)
    if question.type == QuestionType.NOTE and question.relevant == HIDDEN and metadata:
        return [{"type": metadata, "name": question.name}]
    common: dict[str, object] = {
        "name": question.name,
        "label": question.label,
        "hint": question.hint,
        "relevant": question.relevant,
        "unit": question.unit_code,
        "dimension": question.dimension,
    }
    kind = question.type
    if kind == QuestionType.MATRIX_RATING:
        rows: list[dict[str, object]] = [
            {
                **common,
                "type": "begin group",
                "appearance": "table-list",
                "allow_unknown": _yes(question.allow_unknown),
            }
        ]
        for matrix_row in question.rows:
            rows.append(
                {
                    "type": f"select_one {_rating_list(question)}",
                    "name": question.row_field(matrix_row),
                    "label": matrix_row.label,
                    "required": _required_cell(question.required),
                    "required_message": question.required_message,
                    "unit": matrix_row.unit_code,
                    "dimension": matrix_row.dimension,
                    "appearance": "likert",
                }
            )
        rows.append({"type": "end group", "name": question.name})
        return rows
    row: dict[str, object] = {
        **common,
        "required": _required_cell(question.required),
        "required_message": question.required_message,
        "constraint": question.constraint,
        "constraint_message": question.constraint_message,
        "choice_filter": question.choice_filter,
        "min": question.min_value,
        "max": question.max_value,
        "max_length": question.max_length,
        "max_choices": question.max_choices,
        "opinion": _yes(question.opinion),
    }
    if kind in CHOICE_TYPES:
        select = "select_multiple" if kind == QuestionType.MULTIPLE_CHOICE else "select_one"
        row["type"] = f"{select} {lists[question.options]}"
        row["appearance"] = "minimal" if kind == QuestionType.DROPDOWN else ""
    elif kind == QuestionType.RATING:
        row["type"] = f"select_one {_rating_list(question)}"
        row["appearance"] = "likert"
        row["allow_unknown"] = _yes(question.allow_unknown)
    else:
        row["type"] = _SIMPLE_EXPORT_TYPES[kind]
        if kind == QuestionType.NUMBER and question.allow_decimal:
            row["type"] = "decimal"
        if kind == QuestionType.TEXTAREA:
            row["appearance"] = "multiline"
        if kind == QuestionType.SCALE10:
            row["parameters"] = "start=0 end=10 step=1"
    return [row]


_SIMPLE_EXPORT_TYPES = {
    QuestionType.SCALE10: "range",
    QuestionType.NUMBER: "integer",
    QuestionType.DATE: "date",
    QuestionType.TEXT: "text",
    QuestionType.TEXTAREA: "text",
    QuestionType.NOTE: "note",
}


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _required_cell(required: bool | str) -> str:
    if isinstance(required, bool):
        return _yes(required)
    return required


def _append_row(sheet: Any, **values: object) -> None:
    by_key = {header.split("::")[0]: index for index, header in enumerate(SURVEY_HEADERS)}
    cells: list[object] = [""] * len(SURVEY_HEADERS)
    for key, value in values.items():
        cells[by_key[key]] = value
    _append(sheet, cells)


def _append(sheet: Any, values: Any) -> None:
    row: list[object] = []
    for value in values:
        if value in ("", None):
            row.append(None)
        elif isinstance(value, str):
            # Text is stored as text: openpyxl would otherwise turn a label starting with "=" into
            # a formula, which is both wrong and a formula-injection hazard for whoever opens it.
            cell = Cell(sheet, value=value)
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    sheet.append(row)  # cells built here: reading the appended row back costs O(sheet) per row
