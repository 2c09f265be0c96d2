"""Writing a questionnaire back out: the canonical dict (stored as a version's definition, and
compared to tell versions apart) and readable YAML that `parse_definition` reads back."""

from __future__ import annotations

from typing import Any

import yaml

from questionnaires.definition import QUESTION_DEFAULTS, QUESTION_KEYS, ROW_KEYS
from questionnaires.model import Option, Question, Questionnaire, Section


def to_canonical_dict(questionnaire: Questionnaire) -> dict[str, Any]:
    """Deterministic, JSON-safe dict form (defaults omitted, option lists written out)."""
    result: dict[str, Any] = {"id": questionnaire.id, "title": questionnaire.title}
    for key in ("description", "intro", "version"):
        if getattr(questionnaire, key):
            result[key] = getattr(questionnaire, key)
    result["sections"] = [_section_dict(section) for section in questionnaire.sections]
    return result


def _section_dict(section: Section) -> dict[str, Any]:
    result: dict[str, Any] = {"id": section.id, "title": section.title}
    for key in ("description", "relevant"):
        if getattr(section, key):
            result[key] = getattr(section, key)
    result["questions"] = [_question_dict(question) for question in section.questions]
    return result


def _question_dict(question: Question) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, attribute in QUESTION_KEYS.items():
        value = getattr(question, attribute)
        if key not in ("name", "type", "label") and value == QUESTION_DEFAULTS[attribute]:
            continue
        if key == "type":
            value = str(value)
        elif key == "options":
            value = [_option_dict(option) for option in value]
        elif key == "rows":
            value = [
                {k: getattr(row, attr) for k, attr in ROW_KEYS.items() if getattr(row, attr)}
                for row in value
            ]
        result[key] = value
    return result


def _option_dict(option: Option) -> dict[str, Any]:
    result: dict[str, Any] = {"value": option.value, "label": option.label}
    if option.attributes:
        result["attributes"] = dict(option.attributes)
    return result


class _ReadableDumper(yaml.SafeDumper):
    pass


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ReadableDumper.add_representer(str, _represent_text)


def dump_yaml(questionnaire: Questionnaire) -> str:
    """The questionnaire as a readable YAML definition (parse_definition reads it back)."""
    return yaml.dump(
        to_canonical_dict(questionnaire),
        Dumper=_ReadableDumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
