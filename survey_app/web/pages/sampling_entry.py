"""Paper questionnaire entry (role data_entry, and admins): pick an open campaign, find the
invitation printed on the sheet, type the whole questionnaire on one keyboard-friendly page.

The submission goes through the respondent path's own service, so validation, the one-response-
per-token rule and the transaction are the same; the channel and the operator are recorded.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from questionnaires.answers import coerce_form_answers, relevant_answers, validate_answers
from questionnaires.model import SATISFACTION_SCALE, UNKNOWN_OPTION
from questionnaires.paper import condition_text, hidden_items, question_numbers
from questionnaires.skipped import SkippedAnswer, all_confirmed, skipped_answers
from survey_app.roles import ADMIN, DATA_ENTRY
from survey_app.services import campaign_monitoring, campaigns
from survey_app.services.submissions import CHANNELS, SubmissionRefused, submit_invitation_response
from survey_app.web.guards import roles
from survey_app.web.pages.sampling_common import actor_of, campaign_or_404, form_lists, user_of
from survey_app.web.params import RecordId
from survey_app.web.rendering import page

SKIPPED_MESSAGE = ("有按跳题规则应跳过的题目填写了内容，尚未保存。请对照纸质问卷核对：改正前面的回答，"
                   "或勾选“确认按问卷逻辑不保存这些回答”后再保存。")
RECEIPT_CODE = re.compile(r"[0-9]{6,}-[0-9A-F]{8}")
ENTRY_CHANNELS = {key: CHANNELS[key] for key in ("paper", "interview", "phone")}


async def _open_campaign(campaign_id: int) -> campaigns.CampaignRecord:
    campaign = await campaign_or_404(campaign_id)
    if campaign.status != "open":
        raise NotFoundException("该调查批次不在进行中，不能录入")
    return campaign


@get("/entry", opt=roles(DATA_ENTRY, ADMIN))
async def entry_home(request: Request) -> Template:
    return page(request, "entry/index.html",
                campaigns=await campaigns.open_campaigns())


@get("/entry/{campaign_id:int}", opt=roles(DATA_ENTRY, ADMIN))
async def entry_search(
    request: Request, campaign_id: RecordId, q: FromQuery[str] = "",
    done: FromQuery[str] = "",
) -> Template:
    campaign = await _open_campaign(campaign_id)
    return page(
        request, "entry/search.html", campaign=campaign, q=q[:100],
        results=await campaign_monitoring.entry_candidates(campaign.id, q[:100]),
        awaiting=campaigns.AWAITING_STATUSES,
        done=done if RECEIPT_CODE.fullmatch(done) else "",  # a receipt code, nothing else
    )


def _numbers(questionnaire: Any) -> dict[str, int]:
    return question_numbers(questionnaire)  # the printed paper sheet uses the same numbers


async def _form_page(
    request: Request, campaign: campaigns.CampaignRecord, invitation: campaigns.InvitationLine,
    *, answers: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
    message: str | None = None, channel: str = "paper", submission_id: str | None = None,
    status_code: int = 200, skipped: list[SkippedAnswer] | None = None,
    skip_confirmed: bool = False,
) -> Template:
    questionnaire = await campaigns.campaign_questionnaire(campaign)
    views = await campaign_monitoring.invitation_views([invitation])
    numbers = _numbers(questionnaire)
    return page(
        request, "entry/form.html", status_code=status_code, campaign=campaign,
        invitation=views[0], questionnaire=questionnaire, numbers=numbers,
        hidden=hidden_items(questionnaire),
        # The conditions as the printed sheet words them, so the clerk sees which to skip.
        conditions={q.name: condition_text(q.relevant, questionnaire, numbers)
                    for q in questionnaire.iter_questions() if q.relevant},
        section_conditions={s.id: condition_text(s.relevant, questionnaire, numbers)
                            for s in questionnaire.sections if s.relevant},
        skipped=skipped or [], skip_confirmed=skip_confirmed,
        answers=answers or {}, errors=errors or {}, message=message,
        channels=ENTRY_CHANNELS, channel=channel,
        submission_id=submission_id or secrets.token_urlsafe(18),
        scale=SATISFACTION_SCALE, unknown_option=UNKNOWN_OPTION,
        awaiting=invitation.status in campaigns.AWAITING_STATUSES,
    )


async def _invitation(campaign_id: int, invitation_id: int) -> campaigns.InvitationLine:
    try:
        return await campaign_monitoring.entry_invitation(campaign_id, invitation_id)
    except campaigns.CampaignError:
        raise NotFoundException("邀请不存在") from None


@get("/entry/{campaign_id:int}/invitations/{invitation_id:int}", opt=roles(DATA_ENTRY, ADMIN))
async def entry_form(
    request: Request, campaign_id: RecordId, invitation_id: RecordId
) -> Template:
    campaign = await _open_campaign(campaign_id)
    return await _form_page(request, campaign, await _invitation(campaign.id, invitation_id))


@post("/entry/{campaign_id:int}/invitations/{invitation_id:int}", opt=roles(DATA_ENTRY, ADMIN))
async def entry_submit(
    request: Request, campaign_id: RecordId, invitation_id: RecordId
) -> Response:
    campaign = await _open_campaign(campaign_id)
    invitation = await _invitation(campaign.id, invitation_id)
    form = form_lists(await request.form())
    questionnaire = await campaigns.campaign_questionnaire(campaign)
    answers = coerce_form_answers(questionnaire, form)
    channel = (form.get("_channel") or ["paper"])[0]
    submission_id = (form.get("_submission_id") or [""])[0]
    if channel not in ENTRY_CHANNELS:
        channel = "paper"
    # What the paper says for skipped questions is stored only once the clerk has confirmed
    # exactly these answers away (a later answer to another skipped question asks again).
    skipped = skipped_answers(questionnaire, answers)
    if skipped and not all_confirmed(skipped, (form.get("_skip_confirmed") or [""])[0]):
        problems = validate_answers(questionnaire, relevant_answers(questionnaire, answers))
        return await _form_page(  # type: ignore[return-value]
            request, campaign, invitation, answers=answers,
            errors={**problems, **{item.name: item.message for item in skipped}},
            message=SKIPPED_MESSAGE, channel=channel, submission_id=submission_id,
            status_code=400, skipped=skipped,
        )
    try:
        receipt = await submit_invitation_response(
            invitation.token, submission_id, answers, channel=channel,
            entered_by=user_of(request).id,
        )
    except SubmissionRefused as refusal:
        return await _form_page(  # type: ignore[return-value]
            request, campaign, invitation, answers=answers, errors=refusal.problems,
            message=refusal.message, channel=channel, submission_id=submission_id,
            status_code=400, skipped=skipped, skip_confirmed=bool(skipped),
        )
    await campaign_monitoring.record_entry(campaign, invitation.id, channel, actor_of(request),
                                           discarded=[item.label for item in skipped])
    return Redirect(path=f"/entry/{campaign.id}", query_params={"done": receipt.receipt_code})


ROUTES = [entry_home, entry_search, entry_form, entry_submit]
