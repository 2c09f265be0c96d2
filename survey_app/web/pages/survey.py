"""Respondent pages: /s/{token} (an invitation) and /o/{token} (an open link on a poster).

Works without JavaScript: one section per step, skip logic evaluated on the server at each step,
answers kept as a server-side draft so the respondent can resume on any device. survey.js adds
instant skip logic, inline checks and autosave. "谢谢" is rendered only after the commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from questionnaires.answers import coerce_form_answers, merge_section_answers
from questionnaires.client_logic import (
    answers_attribute,
    form_attributes,
    later_attributes,
    question_attributes,
    section_attributes,
)
from questionnaires.flow import (
    evaluate_visibility,
    possible_sections,
    visible_sections,
)
from questionnaires.model import SATISFACTION_SCALE, UNKNOWN_OPTION, Questionnaire
from questionnaires.paper import condition_text, never_shown, question_numbers
from questionnaires.skipped import SkippedAnswer, respondent_notice
from questionnaires.steps import decide_step, problems_on_page
from survey_app.services import submissions
from survey_app.services.submissions import LinkState, SubmissionRefused
from survey_app.web.answer_view import AnswerView
from survey_app.web.guards import PUBLIC
from survey_app.web.page_cache import CompiledPage, PageCache, compile_page
from survey_app.web.rendering import page
from survey_app.web.static_assets import NO_COMPRESSION


def _form_lists(form: Any) -> dict[str, list[str]]:
    return {key: [str(v) for v in form.getall(key)] for key in form}


def _error_items(
    questionnaire: Questionnaire, errors: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(anchor, what, message) for the error summary: each links to its question."""
    items = []
    for key, message in errors.items():
        name, _, row_id = key.partition("__")
        question = questionnaire.find_question(name)
        if question is None:
            continue
        label = question.label
        row = next((r for r in question.rows if r.id == row_id), None) if row_id else None
        if row is not None:
            label = row.label
        items.append((f"q-{name}", label, message))
    return items


def _csrf_token(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def csrf_markup(value: str) -> Markup:
    return Markup('<input type="hidden" name="_csrf_token" value="') + value + Markup('">')


_pages = PageCache()
REQUEST_VALUES = ("csrf", "submission_id", "started")
PAGE_VALUES = ("position", "total", "answers")


def step_context(
    questionnaire: Questionnaire, campaign_name: str, section_id: str, flags: tuple[bool, ...],
    open_intro: str = "",
) -> dict[str, Any]:
    """What survey/step.html needs besides the per-respondent values: the same for everyone
    who sees this step of this version with these flags (first, last, intro, restored)."""
    section = questionnaire.section(section_id)
    is_first, is_last, show_intro, restored = flags
    numbers = question_numbers(questionnaire)
    return dict(
        user=None, path="", questionnaire=questionnaire, campaign_name=campaign_name,
        section=section, section_attrs=section_attributes(section),
        question_attrs={q.name: question_attributes(q) for q in section.questions},
        numbers=numbers, error_items=[], skipped_items=[], skip_ack="",
        # Each condition as an instruction, as on paper: without JavaScript every question of
        # the step shows (survey.js hides irrelevant ones and, via CSS, these instructions).
        skip_rules={q.name: condition_text(q.relevant, questionnaire, numbers)
                    for q in section.questions if q.relevant and not never_shown(q.relevant)},
        section_rule=condition_text(section.relevant, questionnaire, numbers)
        if not never_shown(section.relevant) else "",
        is_first=is_first, is_last=is_last, show_intro=show_intro, restored=restored,
        nav_attrs=later_attributes(questionnaire, section_id), last_notice=False,
        scale=SATISFACTION_SCALE, unknown_option=UNKNOWN_OPTION, open_intro=open_intro,
    )


def step_renderer(template: Any) -> Callable[[dict[str, Any]], str]:
    """Renders survey/step.html from step_context + the REQUEST_VALUES and PAGE_VALUES."""

    def render(context: dict[str, Any]) -> str:
        context = dict(context)
        context["csrf_input"] = csrf_markup(context.pop("csrf"))
        context["form_attrs"] = {"data-survey": "", "data-answers": context.pop("answers")}
        return str(template.render(context))

    return render


def _step_page(
    environment: Any, state: LinkState, section_id: str, flags: tuple[bool, ...], blank: bool,
    page_values: dict[str, str], open_intro: str = "",
) -> CompiledPage | None:
    key = (state.context.version_id, state.context.definition_hash, state.context.campaign_name,
           section_id, flags, blank, open_intro)

    def build() -> CompiledPage | None:
        context = step_context(state.questionnaire, state.context.campaign_name, section_id, flags,
                               open_intro)
        return compile_page(step_renderer(environment.get_template("survey/step.html")), context,
                            REQUEST_VALUES + PAGE_VALUES, preset=page_values if blank else None)

    return _pages.get(key, build)


_first_sections: dict[str, str] = {}  # definition hash -> first step shown with no answers
_blank_steps: dict[tuple[Any, ...], tuple[tuple[bool, ...], dict[str, str]]] = {}


def _step_values(
    state: LinkState, section_id: str, answers: dict[str, Any], restored: bool
) -> tuple[tuple[bool, ...], dict[str, str]]:
    """The step's flags (first, last, intro, restored) and its position, step count and the
    answers survey.js starts from. With no answers yet they are the same for everyone."""
    key = (state.context.version_id, state.context.definition_hash, section_id)
    if not answers and not restored and key in _blank_steps:
        return _blank_steps[key]
    questionnaire = state.questionnaire
    # Skip logic evaluated once for possible_sections and the form's values (a GET page shows
    # the saved draft: the state has it evaluated already).
    visibility = state.draft_visibility if answers is state.draft else \
        evaluate_visibility(questionnaire, answers)
    steps = possible_sections(questionnaire, answers, section_id, visibility=visibility)
    position = steps.index(section_id) + 1 if section_id in steps else 1
    flags = (position == 1, section_id not in steps or steps[-1] == section_id, position == 1,
             restored)
    values = {"position": str(position), "total": str(len(steps)),
              "answers": answers_attribute(visibility.values)}
    if not answers and not restored and len(_blank_steps) < 10_000:
        _blank_steps[key] = (flags, values)
    return flags, values


def new_request_values(csrf: str, submission_id: str | None = None,
                       started: str = "") -> dict[str, str]:
    return {"csrf": csrf, "submission_id": submission_id or secrets.token_urlsafe(18),
            "started": started or str(int(time.time()))}


def cached_step_body(
    environment: Any, state: LinkState, section_id: str, answers: dict[str, Any],
    request_values: dict[str, str], gzipped: bool, restored: bool = False, open_intro: str = "",
) -> bytes | None:
    """The body of a step without errors from the page cache (gzip or UTF-8 HTML); None when
    the page cannot be cut into slots (then it is rendered per request)."""
    flags, page_values = _step_values(state, section_id, answers, restored)
    compiled = _step_page(environment, state, section_id, flags, not answers, page_values,
                          open_intro)
    if compiled is None:
        return None
    values = {**request_values, **page_values} if answers else request_values
    return compiled.gzip(answers, values) if gzipped else compiled.fill(answers, values).encode()


def _render_step(
    request: Request,
    state: LinkState,
    section_id: str,
    answers: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    started: str = "",
    submission_id: str | None = None,
    restored: bool = False,
    open_intro: str = "",
    last_notice: bool = False,
    skipped: tuple[SkippedAnswer, ...] = (),
) -> Response | Template:
    """A step of the questionnaire: from the page cache, or rendered when errors are shown.
    `open_intro` replaces the questionnaire's intro on open links (/o/…).
    `last_notice`: 下一页 was pressed but no later step is visible after all: the same step
    again with the submit button and a notice (rendered per request, like errors).
    `skipped`: answers this page's answers skip, named in a notice that the page confirms by
    posting their names again (rendered per request, like errors).
    (GET pages normally come through web/fast_path.py; this serves the rest.)"""
    request_values = new_request_values(_csrf_token(request), submission_id, started)
    gzipped = "gzip" in request.headers.get("accept-encoding", "")
    body = None if errors or last_notice or skipped else cached_step_body(
        request.app.template_engine.engine, state, section_id,  # type: ignore[union-attr]
        answers, request_values, gzipped, restored, open_intro)
    if body is None:
        questionnaire = state.questionnaire
        flags, page_values = _step_values(state, section_id, answers, restored)
        if last_notice:  # no later step after all: as on a last step
            flags = (flags[0], True, *flags[2:])
            page_values = {**page_values, "total": page_values["position"]}
        context = step_context(questionnaire, state.context.campaign_name, section_id, flags,
                               open_intro)
        button = "提交问卷" if flags[1] else "下一页"
        context.update(
            skipped_items=[(f"q-{item.name}", respondent_notice(item, questionnaire, button))
                           for item in skipped],
            skip_ack=" ".join(item.name for item in skipped),
            form_attrs=form_attributes(questionnaire, answers), view=AnswerView(answers, errors),
            error_items=_error_items(questionnaire, errors or {}),
            position=page_values["position"], total=page_values["total"],
            submission_id=request_values["submission_id"],
            started=request_values["started"], last_notice=last_notice,
        )
        return page(request, "survey/step.html", status_code=status_code, **context)
    return _html(body, gzipped, status_code)


_thanks_pages = PageCache(limit=500)


def thanks_body(environment: Any, campaign_name: str, receipt_code: str, gzipped: bool) -> bytes:
    """The "thank you" page with its receipt code (from the page cache: per campaign name)."""

    def build() -> CompiledPage | None:
        template = environment.get_template("survey/thanks.html")
        return compile_page(lambda context: str(template.render(context)),
                            {"user": None, "path": "", "campaign_name": campaign_name},
                            ("receipt_code",))

    compiled = _thanks_pages.get((campaign_name,), build)
    assert compiled is not None  # one slot, always shown
    values = {"receipt_code": receipt_code}
    return compiled.gzip({}, values) if gzipped else compiled.fill({}, values).encode()


def _thanks(request: Request, receipt: submissions.Receipt, campaign_name: str) -> Response:
    gzipped = "gzip" in request.headers.get("accept-encoding", "")
    body = thanks_body(request.app.template_engine.engine,  # type: ignore[union-attr]
                       campaign_name, receipt.receipt_code, gzipped)
    return _html(body, gzipped)


def _html(body: bytes, gzipped: bool, status_code: int = 200) -> Response:
    headers = {"vary": "accept-encoding"}
    if gzipped:
        headers["content-encoding"] = "gzip"
    return Response(body, status_code=status_code, media_type="text/html", headers=headers)


def _refusal_page(request: Request, refusal: SubmissionRefused) -> Template:
    status = {"unknown": 404, "invalid": 400, "conflict": 409, "used": 409}.get(refusal.reason, 410)
    return page(request, "survey/message.html", status_code=status, message=refusal.message,
                reason=refusal.reason, receipt_code=refusal.receipt_code)


def parse_started(raw: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
    now = dt.datetime.now(dt.UTC)
    return value if now - dt.timedelta(days=60) < value <= now else None


def resume_section(state: LinkState, step: str | None) -> tuple[str, bool]:
    """The step to show on opening a link (the asked one if visible, else where the draft left
    off, else the first) and whether a draft is being restored."""
    section_id = _first_sections.get(state.context.definition_hash, "")
    if state.draft or step is not None or not section_id:
        visible = _visible(state)
        resume_at = state.draft_section if state.draft_section in visible else visible[0]
        section_id = step if step in visible else resume_at
        if not state.draft and len(_first_sections) < 1000:
            _first_sections[state.context.definition_hash] = visible[0]
    return section_id, bool(state.draft) and step is None


_blank_visible: dict[tuple[int, str], list[str]] = {}


def _visible(state: LinkState) -> list[str]:
    """The visible steps; with no draft, the same for everyone on this version (kept)."""
    if state.draft:
        return list(state.draft_visibility.sections)
    key = (state.context.version_id, state.context.definition_hash)
    visible = _blank_visible.get(key)
    if visible is None:
        visible = visible_sections(state.questionnaire, {})
        if len(_blank_visible) < 1000:
            _blank_visible[key] = visible
    return visible


@get("/s/{token:str}", opt={**PUBLIC, NO_COMPRESSION: True}, include_in_schema=False)
async def survey_page(
    request: Request, token: FromPath[str], step: FromQuery[str | None] = None
) -> Response | Template:
    try:
        state = await submissions.open_link(token)
    except SubmissionRefused as refusal:
        return _refusal_page(request, refusal)
    section_id, restored = resume_section(state, step)
    return _render_step(request, state, section_id, state.draft, restored=restored)


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
    section_id = str(form.get("_section", ""))
    if state.questionnaire.find_section(section_id) is None:
        return _refusal_page(request, SubmissionRefused("invalid", "页面已过期，请重新打开链接。"))
    decision = decide_step(state.questionnaire, state.draft, fields, section_id,
                           str(form.get("_action", "next")))
    answers = decision.answers
    if decision.kind in ("prev", "next"):
        await submissions.save_draft(state, answers, decision.target)
        return Redirect(path=f"/s/{token}?step={decision.target}")
    if decision.kind != "submit":  # errors, or no later step after all
        await submissions.save_draft(state, answers, section_id)
        return _render_step(request, state, section_id, answers, decision.errors or None,
                            400 if decision.errors else 200, started=started,
                            submission_id=submission_id or None,
                            last_notice=decision.kind == "last_notice", skipped=decision.skipped)
    try:
        receipt = await submissions.submit_invitation_response(
            token, submission_id, answers, started_at=parse_started(started), state=state
        )
    except SubmissionRefused as refusal:
        if refusal.problems:
            await submissions.save_draft(state, answers, section_id)  # keep what was typed
            shown, problems = problems_on_page(state.questionnaire, refusal.problems, section_id)
            return _render_step(request, state, shown, answers, problems, 400,
                                started=started, submission_id=submission_id or None)
        return _refusal_page(request, refusal)
    return _thanks(request, receipt, state.context.campaign_name)


async def _replayed_receipt(
    request: Request, token: str, submission_id: str, fields: dict[str, list[str]]
) -> Response | Template:
    """A second POST of an already acknowledged final page gets its receipt, nothing new."""
    try:
        receipt = await submissions.replay_receipt(token, submission_id)
    except SubmissionRefused as refusal:
        return _refusal_page(request, refusal)
    return _thanks(request, receipt, "")


@post("/s/{token:str}/draft", opt=PUBLIC, include_in_schema=False)
async def survey_autosave(request: Request, token: FromPath[str]) -> Response:
    try:
        state = await submissions.open_link(token)
    except SubmissionRefused as refusal:
        return Response({"saved": False, "message": refusal.message}, status_code=409)
    merged = await autosaved_answers(request, state)
    if merged is None:
        return Response({"saved": False}, status_code=400)
    section_id, answers = merged
    # Autosave keeps answers only: the resume step is set by real navigation, so a late
    # autosave from the page being left cannot send the respondent back a step.
    saved = await submissions.save_draft(state, answers, state.draft_section or section_id)
    return Response({"saved": saved}, status_code=200 if saved else 413)


async def autosaved_answers(request: Request, state: LinkState) -> tuple[str, dict[str, Any]] | None:
    """The draft with the posted step's answers merged in, for survey.js's autosave; None when
    the step is unknown."""
    form = await request.form()
    section_id = str(form.get("_section", ""))
    if state.questionnaire.find_section(section_id) is None:
        return None
    submitted = coerce_form_answers(state.questionnaire, _form_lists(form), section_id)
    return section_id, merge_section_answers(state.questionnaire, state.draft, submitted, section_id)


# Open links (/o/…) are answered in pages/survey_open.py.


ROUTES = [survey_page, survey_submit, survey_autosave]
