"""A printable paper questionnaire (print CSS, A4) from a published version, with the question
numbers of the data-entry form."""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Template

from questionnaires.model import SATISFACTION_SCALE, UNKNOWN_OPTION
from questionnaires.paper import condition_text, hidden_items, question_numbers
from survey_app.roles import ADMIN
from survey_app.services.questionnaires import AuthoringError, questionnaire_for_version
from survey_app.web.guards import roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import page


@get("/questionnaires/versions/{version_id:int}/paper", opt=roles(ADMIN))
async def paper_questionnaire(request: Request, version_id: RecordId) -> Template:
    try:
        version, questionnaire = await questionnaire_for_version(version_id)
    except AuthoringError:
        raise NotFoundException("问卷版本不存在") from None
    if version.status != "published":
        raise HTTPException(status_code=409, detail="只能打印已发布的问卷版本：草稿发布后题号才固定")
    numbers = question_numbers(questionnaire)
    conditions = {
        q.name: condition_text(q.relevant, questionnaire, numbers)
        for q in questionnaire.iter_questions() if q.relevant
    }
    section_conditions = {
        s.id: condition_text(s.relevant, questionnaire, numbers)
        for s in questionnaire.sections if s.relevant
    }
    return page(request, "admin/questionnaire_paper.html", version=version,
                hidden=hidden_items(questionnaire),
                questionnaire=questionnaire, numbers=numbers, conditions=conditions,
                section_conditions=section_conditions, scale=SATISFACTION_SCALE,
                unknown_option=UNKNOWN_OPTION)


ROUTES = [paper_questionnaire]
