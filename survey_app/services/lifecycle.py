"""Closing and reopening a campaign, publishing its results, and following up on
non-respondents: filters, select-all and the reminder batch for an SMS/WeChat platform.

Closing is confirmed against the counts it would cut off (open invitations, drafts in progress)
and the planned end date. A closed campaign may be reopened until its results are published
(results_final_at, which also starts the retention clock). Every step is audited; the reminder
batch holds full phone numbers, so its export is audited with its row count.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from analysis.tabular import write_xlsx
from survey_app.db.queries import audit
from survey_app.db.queries import campaigns as campaign_queries
from survey_app.db.queries import invitations as invitation_queries
from survey_app.db.queries import lifecycle as queries
from survey_app.db.queries import roster as roster_queries
from survey_app.db.queries._rows import utcnow
from survey_app.services.campaign_monitoring import InvitationView, invitation_views
from survey_app.services.campaigns import AWAITING_STATUSES, CampaignError, CampaignRecord, require_campaign
from survey_app.services.distribution import (
    check_message_template,
    invitation_url,
    render_message,
)
from survey_app.services.reminders import sms_length, sms_segments
from survey_app.services.roster import Actor

FILTERS = {
    "all": "全部未回复",
    "started": "已开始填写、未提交",
    "not_started": "尚未开始填写",
    "never_reminded": "从未提醒",
    "reminded": "已提醒过",
}
PAGE_SIZE = 100
BATCH_HEADER = ("邀请编号", "手机号", "联系人", "名称", "个人链接", "短信内容", "字数", "短信条数")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class CloseSummary:
    awaiting: int  # invitations still open
    drafts: int  # of which someone has started (a draft is saved)
    closes_at: dt.datetime | None  # the planned end
    early: bool  # closing before the planned end

    @property
    def token(self) -> str:
        """What the admin confirmed: closing fails if the counts changed meanwhile."""
        return f"{self.awaiting}-{self.drafts}"


async def close_summary(campaign: CampaignRecord) -> CloseSummary:
    awaiting = await invitation_queries.count_invitations(campaign.id, AWAITING_STATUSES)
    drafts = len(await queries.draft_invitation_ids(campaign.id, AWAITING_STATUSES))
    early = campaign.closes_at is not None and utcnow() < campaign.closes_at
    return CloseSummary(awaiting, drafts, campaign.closes_at, early)


async def close(campaign_id: int, confirmed_token: str, actor: Actor) -> CloseSummary:
    campaign = await require_campaign(campaign_id)
    if campaign.status != "open":
        raise CampaignError("只有进行中的批次可以结束")
    summary = await close_summary(campaign)
    if confirmed_token != summary.token:
        raise CampaignError("确认后数字已有变化（又有对象开始填写或提交），请核对最新数字后再确认")
    if not await campaign_queries.change_status(campaign_id, "open", "closed"):
        raise CampaignError("只有进行中的批次可以结束")
    await audit.record_event(
        "campaign.close", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip, detail={"awaiting": summary.awaiting, "drafts": summary.drafts,
                             "early": summary.early},
    )
    return summary


async def reopen(campaign_id: int, reason: str, actor: Actor) -> None:
    campaign = await require_campaign(campaign_id)
    reason = reason.strip()[:200]
    if campaign.status != "closed":
        raise CampaignError("只有已结束的批次可以重新开放")
    if await queries.results_final_at(campaign_id) is not None:
        raise CampaignError("该批次结果已公布，不能重新开放")
    if not reason:
        raise CampaignError("请填写重新开放的原因（记入审计日志）")
    if not await queries.reopen(campaign_id):
        raise CampaignError("该批次已不能重新开放，请刷新页面")
    await audit.record_event(
        "campaign.reopen", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip, detail={"reason": reason},
    )


async def publish_results(campaign_id: int, actor: Actor) -> None:
    campaign = await require_campaign(campaign_id)
    if not await queries.mark_results_final(campaign_id, utcnow()):
        raise CampaignError("只有已结束且结果尚未公布的批次可以标记为结果已公布")
    await audit.record_event(
        "campaign.results_final", actor_id=actor.id, actor_name=actor.name,
        target=campaign.code, ip=actor.ip,
    )


async def results_published(campaign_id: int) -> bool:
    return await queries.results_final_at(campaign_id) is not None


# --- non-respondents ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpPage:
    views: list[InvitationView]
    total: int  # matching the filter
    page: int
    pages: int
    filter: str
    started: int  # started but not submitted, whatever the filter


async def _matching(campaign_id: int, filter_key: str) -> tuple[
        list[invitation_queries.InvitationLine], set[int]]:
    lines = await invitation_queries.invitation_lines(campaign_id, AWAITING_STATUSES)
    started = await queries.draft_invitation_ids(campaign_id, AWAITING_STATUSES)
    keep = {
        "started": lambda line: line.id in started,
        "not_started": lambda line: line.id not in started,
        "never_reminded": lambda line: line.reminder_count == 0,
        "reminded": lambda line: line.reminder_count > 0,
    }.get(filter_key, lambda line: True)
    return [line for line in lines if keep(line)], started


async def follow_up_page(campaign_id: int, filter_key: str, page: int) -> FollowUpPage:
    filter_key = filter_key if filter_key in FILTERS else "all"
    lines, started = await _matching(campaign_id, filter_key)
    pages = max(1, math.ceil(len(lines) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = lines[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return FollowUpPage(await invitation_views(shown), len(lines), page, pages, filter_key,
                        len(started))


async def started_ids(campaign_id: int) -> set[int]:
    """Invitations started (a draft saved) but not submitted."""
    return await queries.draft_invitation_ids(campaign_id, AWAITING_STATUSES)


@dataclass(frozen=True)
class SampleMessage:
    text: str
    characters: int
    segments: int
    problem: str = ""


def sample_message(campaign: CampaignRecord, template: str, base_url: str) -> SampleMessage:
    """The message as one respondent would get it (a typical name, a real-length link)."""
    try:
        text = render_message(check_message_template(template), name="某某科技有限公司",
                              campaign=campaign, link=invitation_url(base_url, "x" * 32))
    except CampaignError as problem:
        return SampleMessage("", 0, 0, str(problem))
    return SampleMessage(text, sms_length(text), sms_segments(text))


@dataclass(frozen=True)
class BatchPreview:
    rows: int
    sample: str  # the message of the first row
    characters: int
    segments: int


async def reminder_batch(
    campaign: CampaignRecord, *, ids: list[int], select_all: bool, filter_key: str,
    template: str, base_url: str, mark_reminded: bool, actor: Actor,
) -> tuple[bytes, BatchPreview]:
    """XLSX for the SMS/WeChat platform: phone, name, personal link, message, its length and
    SMS parts. `select_all` takes every non-respondent matching the filter (all pages)."""
    if campaign.status != "open":
        raise CampaignError("只有进行中的批次可以发送提醒")
    template = check_message_template(template)
    lines, _started = await _matching(campaign.id, filter_key if filter_key in FILTERS else "all")
    if not select_all:
        wanted = set(ids)
        lines = [line for line in lines if line.id in wanted]
    if not lines:
        raise CampaignError("没有选中任何未回复对象：请勾选对象，或选择“全选符合筛选条件的对象”")
    contacts = await roster_queries.contacts_of(
        [line.respondent_id for line in lines if line.respondent_id is not None])
    rows = []
    for line in lines:
        contact = contacts.get(line.respondent_id) if line.respondent_id else None
        link = invitation_url(base_url, line.token)
        message = render_message(template, name=line.respondent_name, campaign=campaign,
                                 link=link)
        rows.append((line.id, contact.phone if contact else "",
                     contact.contact_name if contact else "", line.respondent_name, link,
                     message, sms_length(message), sms_segments(message)))
    content = write_xlsx({"提醒批次": (BATCH_HEADER, rows)})
    if mark_reminded:
        await invitation_queries.mark_reminded(campaign.id, [line.id for line in lines],
                                               AWAITING_STATUSES)
    await audit.record_event(
        "campaign.reminder_batch", actor_id=actor.id, actor_name=actor.name,
        target=campaign.code, ip=actor.ip,
        detail={"rows": len(rows), "filter": filter_key, "select_all": select_all,
                "marked": mark_reminded},
    )
    first = rows[0]
    return content, BatchPreview(len(rows), str(first[5]), int(first[6]), int(first[7]))
