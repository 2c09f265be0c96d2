"""Question and section names as our model needs them: valid, and unique in the questionnaire."""

from __future__ import annotations

import re

from questionnaires.model import NAME_PATTERN, ROW_SEPARATOR, Problem, QuestionType
from questionnaires.xlsform.locations import SectionDraft
from questionnaires.xlsform.workbook import Sheet


def safe_name(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_.-]", "_", name.strip())
    text = re.sub(f"{ROW_SEPARATOR}+", "_", text)
    if text and not re.match(r"[A-Za-z_]", text):
        text = "_" + text
    text = text[:64]
    return text if NAME_PATTERN.fullmatch(text) else ""


def unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem = name[:60].rstrip("_") + "_"  # never "__", reserved for matrix rows
    number = 2
    while f"{stem}{number}" in taken:
        number += 1
    return f"{stem}{number}"


def unique_names(sections: list[SectionDraft], survey: Sheet, warnings: list[Problem]) -> dict[str, str]:
    """Make question names valid and unique (XLSForm needs them unique only within a group);
    returns old name -> new name for the references."""
    taken: set[str] = set()
    renamed: dict[str, str] = {}
    scopes: set[tuple[int, str]] = set()
    for section in sections:
        for draft in section.questions:
            old = draft.name
            if (draft.scope, old) in scopes:
                continue  # the same name twice in one group: a problem, reported by the checks
            scopes.add((draft.scope, old))
            new = safe_name(old) if draft.values["type"] != QuestionType.MATRIX_RATING else old
            if new and not new.strip("_"):  # e.g. a Chinese name, which XML allows: no letter left
                new = f"row{draft.row}"
            new = unique(new, taken) if new else new
            taken.add(new)
            if new != old:
                draft.values["name"] = new
                renamed.setdefault(old, new)
                reason = (
                    "重名" if safe_name(old) == old else "含本平台题目名不允许的字符（只用字母、数字、_ . -）"
                )
                warnings.append(
                    Problem(survey.where(draft.row, "name"), f"题目名“{old}”{reason}，已改为“{new}”")
                )
    for name in list(renamed):
        if name in taken:  # a duplicate: references keep pointing at the first one
            del renamed[name]
    return renamed
