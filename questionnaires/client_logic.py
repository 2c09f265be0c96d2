"""The data-* attributes survey.js reads, so templates need not know the expression format.

Templates render them as `{% for key, value in attrs.items() %} {{ key }}="{{ value }}"{% endfor %}`
(Jinja's autoescape quotes the JSON safely). See the comment at the top of survey.js for the
whole HTML contract.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from questionnaires.expressions import compile_expression, expression_to_json
from questionnaires.flow import evaluate_visibility
from questionnaires.model import (
    CHOICE_TYPES,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def section_attributes(section: Section) -> dict[str, str]:
    attributes = {"data-section": section.id}
    if section.relevant:
        attributes["data-relevant"] = _json(expression_to_json(section.relevant))
    return attributes


def question_attributes(question: Question) -> dict[str, str]:
    """Attributes of a question's container element."""
    attributes = {"data-question": question.name, "data-type": str(question.type)}
    if question.relevant:
        attributes["data-relevant"] = _json(expression_to_json(question.relevant))
    if question.required is True:
        attributes["data-required"] = "true"
    elif isinstance(question.required, str) and question.required:
        attributes["data-required"] = _json(expression_to_json(question.required))
    if question.required_message:
        attributes["data-required-message"] = question.required_message
    if question.constraint:
        attributes["data-constraint"] = _json(expression_to_json(question.constraint))
        if question.constraint_message:
            attributes["data-constraint-message"] = question.constraint_message
    if question.choice_filter and question.type in CHOICE_TYPES:
        choice_filter = compile_expression(question.choice_filter, allow_fields=True)
        attributes["data-choice-filter"] = _json(expression_to_json(choice_filter))
    if question.type == QuestionType.NUMBER:
        if question.min_value is not None:
            attributes["data-min"] = str(question.min_value)
        if question.max_value is not None:
            attributes["data-max"] = str(question.max_value)
        if not question.allow_decimal:
            attributes["data-integer"] = "true"
    if question.type in (QuestionType.TEXT, QuestionType.TEXTAREA):
        attributes["data-maxlength"] = str(question.effective_max_length)
    if question.max_choices is not None:
        attributes["data-max-choices"] = str(question.max_choices)
    return attributes


def option_attributes(question: Question, option: Option) -> dict[str, str]:
    """Attributes of one option's input (or <option>), needed only under a choice_filter."""
    if not question.choice_filter:
        return {}
    return {"data-fields": _json(option.attribute_map())}


def form_attributes(questionnaire: Questionnaire, answers: Mapping[str, object]) -> dict[str, str]:
    """Attributes of the <form>: the answers already given on other pages, as the expression
    variables survey.js starts from (only visible answers, so hidden ones stay hidden)."""
    values = evaluate_visibility(questionnaire, answers).values
    return {"data-survey": "", "data-answers": answers_attribute(values)}


def answers_attribute(values: Mapping[str, str]) -> str:
    """The `data-answers` value: visible answers as expression variables (JSON)."""
    return _json(dict(values))


def later_attributes(questionnaire: Questionnaire, section_id: str) -> dict[str, str]:
    """Attributes of the step's buttons: the later steps' conditions and question names, so
    survey.js can say 下一页 or 提交问卷 (and count the steps) as answers change, by the rule of
    flow.possible_sections. Nothing when no later step has a condition (nothing to update)."""
    ids = [section.id for section in questionnaire.sections]
    later = questionnaire.sections[ids.index(section_id) + 1:] if section_id in ids else []
    if not any(section.relevant for section in later):
        return {}
    steps = [[expression_to_json(section.relevant) if section.relevant else None,
              [question.name for question in section.questions]] for section in later]
    return {"data-later": _json(steps)}
