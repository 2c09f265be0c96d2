"""The respondent path: what a link may do, drafts, and submissions that arrive exactly once.

Idempotency: the client sends a submission id with every final POST. The first receipt stores
it; an identical replay (same id, same answers) gets the same receipt; the same id with other
answers, or a second completed response for an invitation, is refused. The database's unique
constraints (submission_id; invitation) decide races between concurrent requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from analysis.text import clean_opinion, mask_text_answers
from questionnaires.answers import opinion_texts, relevant_answers, scored_answers, validate_answers
from questionnaires.flow import Visibility, evaluate_visibility
from questionnaires.model import TEXT_TYPES, Questionnaire
from questionnaires.ratings import rated_items, rating_strings
from survey_app.db.errors import is_unique_violation
from survey_app.db.queries import submission_store
from survey_app.db.queries import submissions as queries
from survey_app.db.queries._rows import utcnow
from survey_app.errors import ServiceError
from survey_app.services.questionnaires import questionnaire_for_version

SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
LINK_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
CHANNELS = {"online": "网上填写", "open": "公开链接", "paper": "纸质问卷", "interview": "入户访谈",
            "phone": "电话访问"}


class SubmissionRefused(ServiceError):
    """Why a link or a submission cannot be accepted, in words for the respondent."""

    def __init__(self, reason: str, message: str, problems: dict[str, str] | None = None,
                 receipt_code: str = ""):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.problems = problems or {}
        self.receipt_code = receipt_code  # a used link: the receipt of its response


@dataclass(frozen=True)
class Receipt:
    response_id: int
    submission_id: str
    receipt_code: str
    submitted_at: dt.datetime | None
    replay: bool = False


@dataclass(frozen=True)
class LinkState:
    """A usable link: its campaign, questionnaire and saved draft."""

    context: queries.InvitationContext
    questionnaire: Questionnaire
    draft: dict[str, Any] = field(default_factory=dict)
    draft_section: str = ""
    paused: bool = False  # an open link paused by the administrator (only with allow_paused)

    @cached_property
    def draft_visibility(self) -> Visibility:
        """What skip logic shows for the saved draft: a page asks it several times (the step
        to resume, its position and total, the form's answers); the draft is not changed."""
        return evaluate_visibility(self.questionnaire, self.draft)


def receipt_code(response_id: int, submission_id: str) -> str:
    """A short code the respondent can quote; reveals nothing about the answers."""
    digest = hashlib.sha256(f"{response_id}:{submission_id}".encode()).hexdigest()[:8].upper()
    return f"{response_id:06d}-{digest}"


def _receipt(stored: queries.StoredResponse, *, replay: bool = False) -> Receipt:
    return Receipt(stored.id, stored.submission_id,
                   receipt_code(stored.id, stored.submission_id), stored.submitted_at, replay)


def payload_hash(answers: dict[str, Any]) -> str:
    canonical = json.dumps(answers, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_window(context: queries.InvitationContext, now: dt.datetime) -> None:
    if context.campaign_status == "draft" or (context.opens_at and now < context.opens_at):
        raise SubmissionRefused("not_open", "本次调查尚未开始，请在调查开始后再填写。")
    if context.campaign_status == "closed" or (context.closes_at and now > context.closes_at):
        raise SubmissionRefused("closed", "本次调查已经结束，感谢您的关注。")


PAUSED_MESSAGE = "该公开链接已暂停使用，请稍后再试；如有疑问，请联系调查组织单位。"
PAUSED_KEPT_MESSAGE = ("该公开链接已暂停使用，请稍后再试。您已填写的内容已保存在这台设备上，"
                       "链接恢复使用后用同一设备打开即可接着填写；如有疑问，请联系调查组织单位。")


async def open_link(token: str, *, open_mode: bool = False,
                    allow_paused: bool = False) -> LinkState:
    """Resolve an invitation token (or an open-link token) for answering. `allow_paused`: a
    paused open link is returned (marked `paused`) instead of refused, so a page posted while
    it was paused can still be kept as the draft; the caller then shows the pause notice."""
    if not LINK_TOKEN.fullmatch(token):
        raise SubmissionRefused("unknown", "链接无效，请核对链接或二维码是否完整。")
    draft: dict[str, Any] = {}
    section = ""
    if open_mode:
        context = await queries.find_open_link_context(token)
    else:
        found = await queries.find_link_state(token)
        context, draft, section = found if found is not None else (None, {}, "")
    if context is None:
        raise SubmissionRefused("unknown", "链接无效，请核对链接或二维码是否完整。")
    if context.invitation_status == "responded":
        stored = (await queries.find_response_by_invitation(context.invitation_id)
                  if context.invitation_id is not None else None)
        raise SubmissionRefused(
            "used", "您已经提交过本问卷，感谢您的参与！每份邀请只能提交一次。",
            receipt_code=receipt_code(stored.id, stored.submission_id) if stored else "",
        )
    if context.invitation_status in {"replaced", "withdrawn"}:
        raise SubmissionRefused("withdrawn", "该邀请已失效。如有疑问，请联系调查组织单位。")
    paused = context.invitation_status == "paused"
    if paused and not allow_paused:
        raise SubmissionRefused("paused", PAUSED_MESSAGE)
    _check_window(context, utcnow())  # a closed campaign's notice comes first, paused or not
    _, questionnaire = await questionnaire_for_version(context.version_id, context.definition_hash)
    return LinkState(context, questionnaire, draft, section, paused=paused)


# --- personal information: masked before anything is written (issue 17) ---------------------

MAX_DRAFT_BYTES = 256 * 1024


def masked_for_storage(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as they may be written: personal information in every free-text answer
    replaced by placeholders (analysis/text/personal.py). Responses and drafts both pass
    through here; opinions are masked by `clean_opinion`."""
    names = [q.name for q in questionnaire.iter_questions() if q.type in TEXT_TYPES]
    return mask_text_answers(answers, names)


def _valid_entries(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """What a draft may hold: what a submission could hold. Answers to unknown or hidden
    questions and answers that fail validation (too long, wrong type, not an option) are left
    out (the page being shown still has them)."""
    visible = relevant_answers(questionnaire, answers)  # known, visible, not empty
    # Checked on `answers`, not `visible`: the same problems (hidden and empty answers are not
    # checked), and the skip logic just evaluated for `answers` is reused.
    wrong = {key.split("__")[0] for key in validate_answers(questionnaire, answers, partial=True)}
    return {name: value for name, value in visible.items() if name not in wrong}


def _storable(questionnaire: Questionnaire, answers: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """The draft as it may be written (validated, masked) and its JSON; None when too large."""
    draft = masked_for_storage(questionnaire, _valid_entries(questionnaire, answers))
    text = json.dumps(draft, ensure_ascii=False)
    return None if len(text.encode("utf-8")) > MAX_DRAFT_BYTES else (draft, text)


def storable_draft(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, Any] | None:
    """A draft as it may be written (validated, bounded, masked); None when too large to keep.
    Invitation drafts and open-link drafts per device both pass through here."""
    stored = _storable(questionnaire, answers)
    return None if stored is None else stored[0]


async def save_draft(state: LinkState, answers: dict[str, Any], section: str) -> bool:
    """Keep the answers so far of an invitation; False when nothing was kept."""
    if state.context.invitation_id is None:
        return False  # open links keep their drafts per device (services/open_links.py)
    stored = _storable(state.questionnaire, answers)
    if stored is None:
        return False
    await queries.save_draft(state.context.invitation_id, stored[1], section)
    return True


async def _replay_or_refuse(submission_id: str, digest: str, state: LinkState) -> Receipt:
    existing = await queries.find_response_by_submission(submission_id)
    if existing is not None:
        same_link = existing.invitation_id == state.context.invitation_id
        if existing.payload_hash == digest and same_link:
            return _receipt(existing, replay=True)
        raise SubmissionRefused(
            "conflict", "这份提交与之前收到的内容不一致，未被接受。请刷新页面后重新提交。"
        )
    raise SubmissionRefused("used", "您已经提交过本问卷，感谢您的参与！每份邀请只能提交一次。")


@dataclass(frozen=True)
class PreparedAnswers:
    """What is stored of a submission's answers and opinions, ready for the write."""

    answers: dict[str, Any]
    opinion_rows: list[queries.OpinionRow]


def prepare_answers(questionnaire: Questionnaire, cleaned: dict[str, Any]) -> PreparedAnswers:
    """THE one place where answers are prepared before they are written: every free-text
    opinion is cleaned (contact details masked) here. Anything that must never be stored
    unmasked goes through this function. `cleaned`: the `relevant_answers` of a valid
    submission. The sentiment is not scored here: the "opinions.sentiment" job queued with
    the response does it after the commit (services/opinion_sentiment.py)."""
    opinions = opinion_texts(questionnaire, cleaned, relevant=True)
    masked = [clean_opinion(o.text) for o in opinions]
    return PreparedAnswers(
        answers=masked_for_storage(questionnaire, cleaned),  # issue 17: never the raw text
        opinion_rows=[
            queries.OpinionRow(o.question, o.unit_code or "", text)
            for o, text in zip(opinions, masked, strict=True)
            if text.strip()
        ],
    )


async def submit(
    state: LinkState,
    submission_id: str,
    answers: dict[str, Any],
    *,
    channel: str = "online",
    entered_by: int | None = None,
    started_at: dt.datetime | None = None,
    device_hash: str = "",
) -> Receipt:
    if not SUBMISSION_ID.fullmatch(submission_id):
        raise SubmissionRefused("invalid", "提交编号无效，请刷新页面后重新提交。")
    if channel not in CHANNELS:
        raise SubmissionRefused("invalid", "未知的填报渠道")
    questionnaire = state.questionnaire
    cleaned = relevant_answers(questionnaire, answers)
    problems = validate_answers(questionnaire, cleaned)
    if problems:
        raise SubmissionRefused("invalid", "有题目需要修改，请查看标出的提示。", problems)
    digest = payload_hash(cleaned)
    # No look-up first: a replay of an acknowledged submission (same id) meets the unique
    # constraint on submission_id and gets its receipt back below, not "already used".
    prepared = prepare_answers(questionnaire, cleaned)
    now = utcnow()
    answer_rows = [
        queries.AnswerRow(a.question, a.row or "", a.unit_code, a.dimension, None if a.unknown else a.level)
        for a in scored_answers(questionnaire, cleaned, relevant=True)
    ]
    new = queries.NewResponse(
        campaign_id=state.context.campaign_id,
        version_id=state.context.version_id,
        invitation_id=state.context.invitation_id,
        submission_id=submission_id,
        payload_hash=digest,
        channel=channel,
        answers=prepared.answers,
        stratum=state.context.stratum,
        design_weight=state.context.design_weight,
        started_at=started_at,
        duration_seconds=int((now - started_at).total_seconds()) if started_at else None,
        entered_by=entered_by,
        device_hash=device_hash,
        answer_rows=answer_rows,
        rating_rows=[
            queries.RatingRow(code, levels)
            for code, levels in rating_strings(
                rated_items(questionnaire),
                ((a.unit_code, a.question, a.row, a.level) for a in answer_rows),
            ).items()
        ],
        opinion_rows=prepared.opinion_rows,
    )
    try:
        stored = await submission_store.store_submission(new)
    except Exception as error:
        if not is_unique_violation(error):
            raise
        return await _replay_or_refuse(submission_id, digest, state)
    return _receipt(stored)


async def submit_invitation_response(
    token: str,
    submission_id: str,
    answers: dict[str, Any],
    *,
    channel: str = "online",
    entered_by: int | None = None,
    started_at: dt.datetime | None = None,
    state: LinkState | None = None,
) -> Receipt:
    """Resolve the token and submit: the respondent's final page, paper entry, scripts.
    `state`: the link as the caller has just resolved it (no second look-up)."""
    try:
        if state is None or state.context.token != token:
            state = await open_link(token)
    except SubmissionRefused as refusal:
        if refusal.reason != "used":
            raise
        # The token is used: a replay of that very submission still gets its receipt.
        context = await queries.find_invitation_context(token)
        assert context is not None
        _, questionnaire = await questionnaire_for_version(
            context.version_id, context.definition_hash
        )
        state = LinkState(context, questionnaire)
        return await _replay_or_refuse(
            submission_id, payload_hash(relevant_answers(questionnaire, answers)), state
        )
    return await submit(state, submission_id, answers, channel=channel, entered_by=entered_by,
                        started_at=started_at)


async def replay_receipt(token: str, submission_id: str) -> Receipt:
    """The receipt of an acknowledged submission made through this very link, if any.

    A browser that re-sends its final page (double tap, retry on a weak network) gets the same
    "thank you" instead of an error; anything else on a used link is refused.
    """
    context = await queries.find_invitation_context(token)
    existing = await queries.find_response_by_submission(submission_id)
    if context is None or existing is None or existing.invitation_id != context.invitation_id:
        raise SubmissionRefused("used", "您已经提交过本问卷，感谢您的参与！每份邀请只能提交一次。")
    return _receipt(existing, replay=True)


async def submit_open_response(
    state: LinkState, submission_id: str, answers: dict[str, Any], *, device_hash: str
) -> Receipt:
    """An open-link response: no invitation, one per device, flagged as the open channel."""
    if SUBMISSION_ID.fullmatch(submission_id):
        existing = await queries.find_response_by_submission(submission_id)
        if existing is not None and existing.campaign_id == state.context.campaign_id:
            return _receipt(existing, replay=True)
    if await queries.device_has_responded(state.context.campaign_id, device_hash):
        raise SubmissionRefused("used", "本设备已经提交过这份问卷，感谢您的参与！")
    return await submit(state, submission_id, answers, channel="open", device_hash=device_hash)
