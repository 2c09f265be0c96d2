"""The imported questionnaire from its drafts, and the semantic problems worth reporting."""

from __future__ import annotations

from questionnaires.checks import Locator, check_questionnaire
from questionnaires.model import Problem, Question, Questionnaire, Section
from questionnaires.xlsform.locations import SectionDraft
from questionnaires.xlsform.names import safe_name
from questionnaires.xlsform.vocabulary import DEFAULT_FORM_ID, DEFAULT_TITLE


def build(drafts: list[SectionDraft], settings: dict[str, str], warnings: list[Problem]) -> Questionnaire:
    sections = []
    for draft in drafts:
        questions = [Question(**question.values) for question in draft.questions]
        sections.append(
            Section(
                id=draft.id,
                title=draft.title,
                questions=tuple(questions),
                description=draft.description,
                relevant=draft.relevant,
            )
        )
    form_id = settings.get("form_id", "")
    safe_id = safe_name(form_id) if form_id else DEFAULT_FORM_ID
    if safe_id != form_id and form_id:
        warnings.append(Problem("settings 工作表的 form_id", f"问卷编号“{form_id}”已改为“{safe_id}”"))
    return Questionnaire(
        id=safe_id,
        title=settings.get("form_title") or form_id or DEFAULT_TITLE,
        sections=tuple(sections),
        description=settings.get("description", ""),
        intro=settings.get("intro", ""),
        version=settings.get("version", ""),
    )


def semantic_problems(
    questionnaire: Questionnaire, locate: Locator, already_reported: bool, consequences_of: set[str]
) -> list[Problem]:
    """The checks' problems, less those that only follow from a problem already reported: a
    section emptied by a failed row, a missing label column, a reference to a failed row or to a
    calculation that could not be inlined (`consequences_of`)."""
    problems = check_questionnaire(questionnaire, locate)
    if already_reported:
        consequences = ("该部分没有题目", "缺少题目文字（label）", "问卷至少需要一个部分")
        problems = [p for p in problems if p.message not in consequences]
    return [
        problem
        for problem in problems
        if not ("不存在" in problem.message and any(f"${{{n}}}" in problem.message for n in consequences_of))
    ]
