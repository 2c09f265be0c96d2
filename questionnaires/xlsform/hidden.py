"""Items a respondent never sees: a metadata row or a calculation imports as a note that is
never relevant, named after its row, so nothing is silently dropped and nothing special is
needed in answering, drafts, paper entry or exports. They are placed once names and references
are settled (no expression refers to them: calculations are inlined where they are used, and
such a calculation needs no item of its own)."""

from __future__ import annotations

from questionnaires.model import Problem, QuestionType
from questionnaires.xlsform.locations import SectionDraft
from questionnaires.xlsform.names import safe_name, unique
from questionnaires.xlsform.questions import Draft
from questionnaires.xlsform.vocabulary import HIDDEN
from questionnaires.xlsform.workbook import Sheet


def hidden_item(name: str, label: str, row: int, hint: str = "") -> Draft:
    values = {"name": name, "type": QuestionType.NOTE, "label": label, "hint": hint, "relevant": HIDDEN}
    return Draft(values, row, placeholder=True)


def place_hidden(
    sections: list[SectionDraft],
    pending: list[Draft],
    calculation_notes: set[int],
    inlined: set[str],
    survey: Sheet,
    warnings: list[Problem],
) -> None:
    """Insert each section's hidden items at their positions, with names unique in the form;
    the item of a calculation inlined where it is used (`calculation_notes` holds the id() of
    calculation items, `inlined` the calculations inlined) is left out. Items still `pending`
    (after the last question) join the last section; a form of nothing else gets one page,
    never shown."""
    if pending and not sections:
        sections.append(SectionDraft("part1", "", "", HIDDEN, pending[0].row, grouped=False))
    if pending:
        sections[-1].hidden.extend((len(sections[-1].questions), draft) for draft in pending)
        pending.clear()
    taken = {d.name for s in sections for d in s.questions} | {s.id for s in sections}
    for section in sections:
        for position, draft in reversed(section.hidden):
            name = draft.name
            if id(draft) in calculation_notes and name in inlined:
                continue
            safe = safe_name(name)
            new = unique(safe if safe.strip("_") else f"row{draft.row}", taken)
            taken.add(new)
            if new != name:
                draft.values["name"] = new
                warnings.append(
                    Problem(survey.where(draft.row, "name"), f"题目名“{name}”重名或无效，已改为“{new}”")
                )
            section.questions.insert(position, draft)
        section.hidden.clear()
