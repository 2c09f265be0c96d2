"""Open links (/o/{token}, posters with a QR code): paged like an invitation, with progress and
a draft per device; no token per person; final submissions rate limited per address; a device
that has already submitted is told so when it opens the link."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from questionnaires.answers import coerce_form_answers, validate_answers
from questionnaires.skipped import SkippedAnswer
from questionnaires.steps import decide_step, problems_on_page
from survey_app.services import open_links, submissions
from survey_app.services.rate_limits import SharedRateLimiter
from survey_app.services.submissions import LinkState, SubmissionRefused
from survey_app.web.guards import PUBLIC
from survey_app.web.pages.survey import (
    _form_lists,
    _refusal_page,
    _render_step,
    _thanks,
    autosaved_answers,
    resume_section,
)
from survey_app.web.ratelimit import RateLimiter
from survey_app.web.rendering import client_ip, page
from survey_app.web.static_assets import NO_COMPRESSION

_open_submits = SharedRateLimiter("open-submit", limit=10, window_seconds=3600)
_open_views = RateLimiter(limit=120, window_seconds=60)
DEVICE_COOKIE = "dev"
OPEN_INTRO = (
    "您好！区绩效考核办公室正在开展“{campaign}”，欢迎您参与。本问卷面向所有企业和群众公开，"
    "不记名，每台手机或电脑可以填写一次，中途离开后用同一设备再次打开即可接着填写。"
)


def _device(request: Request) -> tuple[str, str | None]:
    """(device id, a new cookie value to set or None)."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if cookie:
        return cookie, None
    fresh = secrets.token_urlsafe(16)
    return fresh, fresh


def _with_cookie(request: Request, response: Response, fresh: str | None) -> Response:
    if fresh:
        secure = request.app.state.settings.secure_cookies or request.url.scheme == "https"
        response.set_cookie(DEVICE_COOKIE, fresh, max_age=365 * 86400, httponly=True,
                            samesite="lax", path="/o/", secure=secure)
    return response


def _step(request: Request, state: LinkState, section_id: str, answers: dict[str, Any],
          errors: dict[str, str] | None = None, status_code: int = 200,
          submission_id: str | None = None, last_notice: bool = False,
          skipped: tuple[SkippedAnswer, ...] = ()) -> Response | Template:
    return _render_step(request, state, section_id, answers, errors, status_code,
                        submission_id=submission_id, last_notice=last_notice, skipped=skipped,
                        open_intro=OPEN_INTRO.format(campaign=state.context.campaign_name))


async def _state(request: Request, token: str, device: str) -> tuple[LinkState, str]:
    """For posts: a paused link is returned marked `paused` (what was posted is kept first)."""
    return await open_links.open_for_device(token, request.app.state.settings.secret_key, device,
                                            allow_paused=True)


async def _keep_while_paused(request: Request, state: LinkState, hashed: str,
                             fields: dict[str, list[str]]) -> Response:
    """The link was paused while the page was open: whatever was typed on the posted page is
    kept as this device's draft (through the same draft checks as any draft: answers that fail
    them are left out), on the same page, and the notice says so. Nothing is submitted."""
    merged = await autosaved_answers(request, state)  # the step merged into the draft
    if merged is not None:
        section_id, answers = merged
    else:  # the whole questionnaire at once (a page from before paging)
        answers = {**state.draft, **coerce_form_answers(state.questionnaire, fields)}
        section_id = state.draft_section
    kept = await open_links.save_draft(state, hashed, answers, section_id)
    message = submissions.PAUSED_KEPT_MESSAGE if kept else submissions.PAUSED_MESSAGE
    return _refusal_page(request, SubmissionRefused("paused", message))


@get("/o/{token:str}", opt={**PUBLIC, NO_COMPRESSION: True}, include_in_schema=False)
async def open_page(request: Request, token: FromPath[str],
                    step: FromQuery[str | None] = None) -> Response:
    if not _open_views.allow(client_ip(request)):
        return page(request, "survey/message.html", status_code=429, reason="rate",
                    message="访问过于频繁，请稍后再试。")
    device, fresh = _device(request)
    try:
        state, _hashed = await open_links.open_for_device(
            token, request.app.state.settings.secret_key, device, new_device=fresh is not None)
    except SubmissionRefused as refusal:
        return _refusal_page(request, refusal)
    section_id, _restored = resume_section(state, step)
    return _with_cookie(request, _step(request, state, section_id, state.draft), fresh)


async def _final(request: Request, state: LinkState, hashed: str, submission_id: str,
                 answers: dict[str, Any], section_id: str | None) -> Response:
    # Checked before the rate limit: correcting a mistake must not use up the address's quota.
    problems = validate_answers(state.questionnaire, answers)
    if not problems:
        if not await _open_submits.allow(client_ip(request), request.app.state.settings.secret_key):
            return page(request, "survey/message.html", status_code=429, reason="rate",
                        message="提交过于频繁，请稍后再试。")
        try:
            receipt = await submissions.submit_open_response(state, submission_id, answers,
                                                             device_hash=hashed)
        except SubmissionRefused as refusal:
            if not refusal.problems:
                return _refusal_page(request, refusal)
            problems = refusal.problems
        else:
            await open_links.forget_draft(state, hashed)
            return _thanks(request, receipt, state.context.campaign_name)
    if section_id is not None:  # keep what was typed
        await open_links.save_draft(state, hashed, answers, section_id)
    shown, on_page = problems_on_page(state.questionnaire, problems,
                                      section_id or state.questionnaire.sections[0].id)
    return _step(request, state, shown, answers, on_page, 400,
                 submission_id=submission_id or None)


@post("/o/{token:str}", opt=PUBLIC, include_in_schema=False)
async def open_submit(request: Request, token: FromPath[str]) -> Response:
    form = await request.form()
    fields = _form_lists(form)
    submission_id = str(form.get("_submission_id", ""))
    device, fresh = _device(request)
    try:
        state, hashed = await _state(request, token, device)
    except SubmissionRefused as refusal:
        if refusal.reason == "used" and submission_id:  # a repeated final POST: same receipt
            try:
                state = await submissions.open_link(token, open_mode=True)
                hashed = open_links.device_hash(request.app.state.settings.secret_key,
                                                state.context.campaign_id, device)
                receipt = await submissions.submit_open_response(state, submission_id, {},
                                                                 device_hash=hashed)
                return _thanks(request, receipt, state.context.campaign_name)
            except SubmissionRefused as again:
                return _refusal_page(request, again)
        return _refusal_page(request, refusal)
    section_id = str(form.get("_section", ""))
    if state.paused:
        return _with_cookie(request, await _keep_while_paused(request, state, hashed, fields),
                            fresh)
    questionnaire = state.questionnaire
    if not section_id:  # the whole questionnaire at once (a page from before paging)
        whole = dict(coerce_form_answers(questionnaire, fields))
        return _with_cookie(request, await _final(request, state, hashed, submission_id, whole, None),
                            fresh)
    if questionnaire.find_section(section_id) is None:
        return _refusal_page(request, SubmissionRefused("invalid", "页面已过期，请重新打开链接。"))
    decision = decide_step(questionnaire, state.draft, fields, section_id,
                           str(form.get("_action", "next")))
    answers = decision.answers
    if decision.kind in ("prev", "next"):
        await open_links.save_draft(state, hashed, answers, decision.target)
        return _with_cookie(request, Redirect(path=f"/o/{token}?step={decision.target}"), fresh)
    if decision.kind != "submit":  # errors, or no later step after all
        await open_links.save_draft(state, hashed, answers, section_id)
        return _with_cookie(request, _step(request, state, section_id, answers,
                                           decision.errors or None,
                                           400 if decision.errors else 200,
                                           submission_id=submission_id or None,
                                           last_notice=decision.kind == "last_notice",
                                           skipped=decision.skipped), fresh)
    return _with_cookie(request, await _final(request, state, hashed, submission_id, answers,
                                              section_id), fresh)


@post("/o/{token:str}/draft", opt=PUBLIC, include_in_schema=False)
async def open_autosave(request: Request, token: FromPath[str]) -> Response:
    """survey.js saves a device's answers every few seconds, as on invitation links."""
    device, _fresh = _device(request)
    if _fresh:  # no device cookie yet: nothing of this device to resume
        return Response({"saved": False}, status_code=409)
    try:
        state, hashed = await _state(request, token, device)
    except SubmissionRefused as refusal:
        return Response({"saved": False, "message": refusal.message}, status_code=409)
    merged = await autosaved_answers(request, state)
    if merged is None:
        return Response({"saved": False}, status_code=400)
    section_id, answers = merged
    saved = await open_links.save_draft(state, hashed, answers, state.draft_section or section_id)
    if state.paused:  # kept all the same; survey.js then lets 下一页 bring the notice
        message = submissions.PAUSED_KEPT_MESSAGE if saved else submissions.PAUSED_MESSAGE
        return Response({"saved": saved, "message": message}, status_code=409)
    return Response({"saved": saved}, status_code=200 if saved else 413)


ROUTES = [open_page, open_submit, open_autosave]
