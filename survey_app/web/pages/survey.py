"""Respondent pages: /s/{token} (an invitation) and /o/{token} (an open link on a poster).

Works without JavaScript: one section per step, skip logic evaluated on the server at each step,
answers kept as a server-side draft so the respondent can resume on any device. survey.js adds
instant skip logic, inline checks and autosave. "谢谢" is rendered only after the commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from questionnaires.answers import coerce_form_answers, merge_section_answers, validate_answers
from questionnaires.client_logic import form_attributes, question_attributes, section_attributes
from questionnaires.flow import section_after, section_before, visible_sections
from questionnaires.model import SATISFACTION_SCALE, UNKNOWN_OPTION, Questionnaire
from questionnaires.paper import question_numbers
from survey_app.services import submissions
from survey_app.services.submissions import LinkState, SubmissionRefused
from survey_app.web.guards import PUBLIC
from survey_app.web.rendering import page


def _form_lists(form: Any) -> dict[str, list[str]]:
    return {key: [str(v) for v in form.getall(key)] for key in form}


def _section_index(
    questionnaire: Questionnaire, answers: dict[str, Any], section_id: str
) -> tuple[int, int]:
    visible = visible_sections(questionnaire, answers)
    position = visible.index(section_id) + 1 if section_id in visible else 1
    return position, len(visible)


def _render_step(
    request: Request,
    state: LinkState,
    section_id: str,
    answers: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    base_path: str = "/s",
    started: str = "",
    submission_id: str | None = None,
) -> Template:
    questionnaire = state.questionnaire
    section = questionnaire.section(section_id)
    position, total = _section_index(questionnaire, answers, section_id)
    is_last = section_after(questionnaire, answers, section_id) is None
    return page(
        request,
        "survey/step.html",
        status_code=status_code,
        questionnaire=questionnaire,
        campaign_name=state.context.campaign_name,
        section=section,
        section_attrs=section_attributes(section),
        question_attrs={q.name: question_attributes(q) for q in section.questions},
        form_attrs=form_attributes(questionnaire, answers),
        answers=answers,
        errors=errors or {},
        position=position,
        total=total,
        is_first=section_before(questionnaire, answers, section_id) is None,
        is_last=is_last,
        action=f"{base_path}/{state.context.token}",
        draft_url=f"{base_path}/{state.context.token}/draft" if base_path == "/s" else "",
        submission_id=submission_id or secrets.token_urlsafe(18),
        started=started or str(int(dt.datetime.now(dt.UTC).timestamp())),
        scale=SATISFACTION_SCALE,
        unknown_option=UNKNOWN_OPTION,
        show_intro=position == 1,
        numbers=question_numbers(questionnaire),  # as on the paper sheet and in data entry
    )


def _refusal_page(request: Request, refusal: SubmissionRefused) -> Template:
    status = {"unknown": 404, "invalid": 400, "conflict": 409, "used": 409}.get(refusal.reason, 410)
    return page(request, "survey/message.html", status_code=status, message=refusal.message,
                reason=refusal.reason)


def _started_at(raw: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
    now = dt.datetime.now(dt.UTC)
    return value if now - dt.timedelta(days=60) < value <= now else None


@get("/s/{token:str}", opt=PUBLIC, include_in_schema=False)
async def survey_page(
    request: Request, token: FromPath[str], step: FromQuery[str | None] = None
) -> Template:
    try:
        state = await submissions.open_link(token)
    except SubmissionRefused as refusal:
        return _refusal_page(request, refusal)
    questionnaire = state.questionnaire
    visible = visible_sections(questionnaire, state.draft)
    resume_at = state.draft_section if state.draft_section in visible else visible[0]
    section_id = step if step in visible else resume_at
    return _render_step(request, state, section_id, state.draft)


@post("/s/{token:str}", opt=PUBLIC, include_in_schema=False)
async def survey_submit(request: Request, token: FromPath[str]) -> Response | Template:
    form = await request.form()
    fields = _form_lists(form)
    submission_id = str(form.get("_submission_id", ""))
    started = str(form.get("_started", ""))
    try:
        state = await submissions.open_link(token)
    except SubmissionRefused as refusal:
        if refusal.reason == "used" and submission_id:
            return await _replayed_receipt(request, token, submission_id, fields)
        return _refusal_page(request, refusal)
    questionnaire = state.questionnaire
    section_id = str(form.get("_section", ""))
    if questionnaire.find_section(section_id) is None:
        return _refusal_page(request, SubmissionRefused("invalid", "页面已过期，请重新打开链接。"))
    submitted = coerce_form_answers(questionnaire, fields, section_id)
    answers = merge_section_answers(questionnaire, state.draft, submitted, section_id)
    action = str(form.get("_action", "next"))

    if action == "prev":
        await submissions.save_draft(state, answers, section_id)
        previous = section_before(questionnaire, answers, section_id) or section_id
        return Redirect(path=f"/s/{token}?step={previous}")

    errors = validate_answers(questionnaire, answers, section_id=section_id)
    if errors:
        await submissions.save_draft(state, answers, section_id)
        return _render_step(request, state, section_id, answers, errors, 400, started=started,
                            submission_id=submission_id or None)
    following = section_after(questionnaire, answers, section_id)
    if following is not None:
        await submissions.save_draft(state, answers, following)
        return Redirect(path=f"/s/{token}?step={following}")
    try:
        receipt = await submissions.submit_invitation_response(
            token, submission_id, answers, started_at=_started_at(started)
        )
    except SubmissionRefused as refusal:
        if refusal.problems:
            first = _first_section_with_problem(questionnaire, refusal.problems) or section_id
            return _render_step(request, state, first, answers, refusal.problems, 400,
                                started=started, submission_id=submission_id or None)
        return _refusal_page(request, refusal)
    return page(request, "survey/thanks.html", receipt=receipt,
                campaign_name=state.context.campaign_name)


async def _replayed_receipt(
    request: Request, token: str, submission_id: str, fields: dict[str, list[str]]
) -> Template:
    """A second POST of an already acknowledged final page gets its receipt, nothing new."""
    try:
        receipt = await submissions.replay_receipt(token, submission_id)
    except SubmissionRefused as refusal:
        return _refusal_page(request, refusal)
    return page(request, "survey/thanks.html", receipt=receipt, campaign_name="")


def _first_section_with_problem(
    questionnaire: Questionnaire, problems: dict[str, str]
) -> str | None:
    names = {key.split("__")[0] for key in problems}
    for section in questionnaire.sections:
        if any(q.name in names for q in section.questions):
            return section.id
    return None


@post("/s/{token:str}/draft", opt=PUBLIC, include_in_schema=False)
async def survey_autosave(request: Request, token: FromPath[str]) -> Response:
    try:
        state = await submissions.open_link(token)
    except SubmissionRefused as refusal:
        return Response({"saved": False, "message": refusal.message}, status_code=409)
    form = await request.form()
    section_id = str(form.get("_section", ""))
    if state.questionnaire.find_section(section_id) is None:
        return Response({"saved": False}, status_code=400)
    submitted = coerce_form_answers(state.questionnaire, _form_lists(form), section_id)
    answers = merge_section_answers(state.questionnaire, state.draft, submitted, section_id)
    # Autosave keeps answers only: the resume step is set by real navigation, so a late
    # autosave from the page being left cannot send the respondent back a step.
    await submissions.save_draft(state, answers, state.draft_section or section_id)
    return Response({"saved": True})


# Open links (/o/…) are answered in pages/survey_open.py.


ROUTES = [survey_page, survey_submit, survey_autosave]
