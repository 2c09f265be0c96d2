"""The questionnaires and unit list shipped in questionnaires/library/ (demo data, templates)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import yaml

from questionnaires.definition import parse_definition
from questionnaires.model import Questionnaire

LIBRARY_PACKAGE = "questionnaires"
LIBRARY_FOLDER = "library"
UNITS_FILE = "units.yaml"


@dataclass(frozen=True)
class ShippedUnit:
    code: str
    name: str
    category: str  # 职能部门 or 街道园区


def _library_files() -> list[resources.abc.Traversable]:
    folder = resources.files(LIBRARY_PACKAGE) / LIBRARY_FOLDER
    return sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )


def shipped_questionnaires() -> dict[str, Questionnaire]:
    """Every shipped questionnaire definition, by questionnaire id."""
    found: dict[str, Questionnaire] = {}
    for entry in _library_files():
        if entry.name == UNITS_FILE:
            continue
        questionnaire = parse_definition(entry.read_text(encoding="utf-8"), "yaml")
        found[questionnaire.id] = questionnaire
    return found


def shipped_units() -> list[ShippedUnit]:
    """The appraised units the shipped questionnaires refer to, in code order."""
    text = (resources.files(LIBRARY_PACKAGE) / LIBRARY_FOLDER / UNITS_FILE).read_text("utf-8")
    return [ShippedUnit(**unit) for unit in yaml.safe_load(text)["units"]]
