"""Where a problem found by the semantic checks is, in sheet/row/column terms, and saying a
problem shared by the copies of a repeat once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from questionnaires.checks import Locator, Place
from questionnaires.model import Problem
from questionnaires.xlsform.choices import OptionLists
from questionnaires.xlsform.questions import Draft
from questionnaires.xlsform.workbook import Sheet

SECTION_KEYS = {"id": "name", "title": "label", "description": "hint"}
SURVEY_KEYS = {"id": "name", "title": "label", "options": "type", "allow_decimal": "type"}
SETTINGS_KEYS = {"id": "form_id", "title": "form_title", "sections": ""}


@dataclass
class SectionDraft:
    id: str
    title: str
    description: str
    relevant: str
    row: int  # begin group row, or the first loose question's row
    grouped: bool
    questions: list[Draft] = field(default_factory=list)
    # Items a respondent never sees (metadata, calculations), by the position they go to.
    hidden: list[tuple[int, Draft]] = field(default_factory=list)

    def same_page_as(self, other: SectionDraft) -> bool:
        """Two drafts that would show as one page (questions after a nested group go on)."""
        return (self.title, self.description, self.relevant, self.grouped) == (
            other.title, other.description, other.relevant, other.grouped)


def locator(survey: Sheet, sections: list[SectionDraft], choice_lists: OptionLists) -> Locator:
    def locate(place: Place) -> str:
        if place.section is None:
            settings_key = SETTINGS_KEYS.get(place.field, place.field)
            return "settings 工作表" + (f"的 {settings_key}" if settings_key else "")
        draft = sections[place.section]
        if place.question is None:
            if not draft.grouped:
                return f"survey 工作表第 {draft.row} 行起未分组的题目"
            return where(survey, draft.row, SECTION_KEYS.get(place.field, place.field))
        return _question_location(survey, choice_lists, draft.questions[place.question], place)

    return locate


def _question_location(survey: Sheet, choice_lists: OptionLists, draft: Draft, place: Place) -> str:
    if place.field == "options" and draft.list_name in choice_lists:
        options = choice_lists[draft.list_name]
        if place.item is not None and place.item < len(options):
            return f"choices 工作表第 {options[place.item][1]} 行（列表 {draft.list_name}）"
        return f"choices 工作表的列表 {draft.list_name}"
    if place.field == "rows" and place.item is not None and place.item < len(draft.row_rows):
        return where(survey, draft.row_rows[place.item], "name")
    return where(survey, draft.row, SURVEY_KEYS.get(place.field, place.field))


def where(sheet: Sheet, row: int, key: str) -> str:
    return sheet.where(row, key if key in sheet.chosen else "")


# A copy's name: the row's name and the copy numbers (`${age_2_1}`, `m_pos_3`), said of one row.
_COPY_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*?)(?:_[0-9]+)+(?![A-Za-z0-9_.-])")


def once(problems: list[Problem]) -> list[Problem]:
    """Copies of a repeat or loop repeat their row's problems: each is said once, for the first
    copy, with the number of copies that share it."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        key = (problem.location, _COPY_NAME.sub(r"\1", problem.message))
        if problem not in groups.setdefault(key, []):
            groups[key].append(problem)
    said = []
    for same in groups.values():
        first = same[0]
        extra = f"（另有 {len(same) - 1} 份重复组副本有同样的问题）" if len(same) > 1 else ""
        said.append(Problem(first.location, first.message + extra))
    return said
