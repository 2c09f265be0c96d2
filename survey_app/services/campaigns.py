"""Campaigns (调查批次): creation, opening and closing, and the vocabulary shared by the plan
(campaign_plans), the draw (campaign_draws) and the monitor (campaign_monitoring).

Invitation tokens are 192 random bits (secrets.token_urlsafe(24)), unrelated to the seed, so
knowing the seed reveals no link.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass

from questionnaires.model import Questionnaire
from survey_app.db.queries import audit
from survey_app.db.queries import campaigns as queries
from survey_app.db.queries import invitations as invitation_queries
from survey_app.errors import InvalidInput
from survey_app.services.questionnaires import AuthoringError, questionnaire_for_version
from survey_app.services.roster import (
    ROSTER_KINDS,
    Actor,
)

CampaignRecord = queries.CampaignRecord
InvitationLine = invitation_queries.InvitationLine

CAMPAIGN_STATUS_LABELS = {"draft": "草稿", "open": "进行中", "closed": "已结束"}
# Invitation statuses: the lead's respondent path sets "responded"; "replaced" is set here.
# Statuses that still await an answer (may be reminded, replaced, entered on paper):
AWAITING_STATUSES = ("pending", "opened", "started", "partial")
INVITATION_STATUS_LABELS = {
    "pending": "未回复", "opened": "已打开", "started": "填写中", "partial": "部分完成",
    "responded": "已回复", "replaced": "已替补", "withdrawn": "已撤回",
}


@dataclass(frozen=True)
class ReplacementReason:
    label: str
    disposition_status: str  # what the replaced case counts as in AAPOR terms
    respondent_status: str | None  # what the roster learns about the respondent


REPLACEMENT_REASONS = {
    "closed": ReplacementReason("企业注销、停业或已不存在", "closed", "closed"),
    "moved": ReplacementReason("已迁出本区", "ineligible", "closed"),
    "unreachable": ReplacementReason("多次联系不上", "undeliverable", "unreachable"),
    "wrong_contact": ReplacementReason("联系方式错误", "wrong_contact", "unreachable"),
}


TOKEN_BYTES = 24  # 192 bits
_PERIOD = re.compile(r"[0-9]{4}(-Q[1-4]|-H[12]|-(0[1-9]|1[0-2]))?")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_CHINA = dt.timezone(dt.timedelta(hours=8))


class CampaignError(InvalidInput):
    """A Chinese message about a campaign request that cannot be done."""


def new_seed() -> int:
    """A fresh random seed to show in the plan form (ten digits: easy to copy into a report)."""
    return 1_000_000_000 + secrets.randbelow(9_000_000_000)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# --- creation and status ---------------------------------------------------------------------


def _china_date(text: str, label: str, end_of_day: bool) -> dt.datetime | None:
    if not text.strip():
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CampaignError(f"{label}格式不正确，应为 2026-10-01 这样的日期") from None
    moment = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
    return dt.datetime.combine(day, moment, tzinfo=_CHINA).astimezone(dt.UTC)


async def create_campaign(
    *, code: str, name: str, version_id: int | None, audience: str, period: str,
    opens_on: str, closes_on: str, actor: Actor,
) -> int:
    code, name, period = code.strip(), name.strip(), period.strip().upper()
    if not name or len(name) > 200:
        raise CampaignError("请填写批次名称（不超过200字）")
    if not _CODE.fullmatch(code):
        raise CampaignError("批次代码只能由字母、数字、- 和 _ 组成（不超过64位），例如 2026Q3-ENT")
    if not _PERIOD.fullmatch(period):
        raise CampaignError("统计期格式应为 2026-Q3（季度）、2026-H1（半年）、2026-07（月）或 2026（年度）")
    if audience not in ROSTER_KINDS:
        raise CampaignError("请选择调查对象：企业或居民")
    version = await queries.find_version(version_id) if version_id else None
    if version is None or version.status != "published":
        raise CampaignError("请选择一个已发布的问卷版本")
    if version.audience != audience:
        raise CampaignError(
            f"所选问卷面向{ROSTER_KINDS.get(version.audience, version.audience)}，"
            f"与调查对象“{ROSTER_KINDS[audience]}”不一致"
        )
    opens_at = _china_date(opens_on, "开始日期", end_of_day=False)
    closes_at = _china_date(closes_on, "结束日期", end_of_day=True)
    if opens_at and closes_at and closes_at < opens_at:
        raise CampaignError("结束日期不能早于开始日期")
    if await queries.find_campaign_by_code(code):
        raise CampaignError(f"批次代码 {code} 已存在")
    same = await _same_name(name, period)
    if same is not None:
        # Staff tell campaigns apart by name and period (数据录入, QR sheets, reports).
        raise CampaignError(
            f"已有同名的调查批次“{same.name}”（{same.code}，{same.period}），"
            "请在名称中加以区分，例如注明调查对象或轮次"
        )
    campaign_id = await queries.insert_campaign(queries.NewCampaign(
        code=code, name=name, version_id=version.id, audience=audience, period=period,
        opens_at=opens_at, closes_at=closes_at, created_by=actor.id,
    ))
    await audit.record_event(
        "campaign.create", actor_id=actor.id, actor_name=actor.name, target=code, ip=actor.ip,
        detail={"period": period, "audience": audience, "version": version.id},
    )
    return campaign_id


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


async def _same_name(name: str, period: str) -> CampaignRecord | None:
    return next((c for c in await queries.list_campaigns()
                 if c.period == period and _name_key(c.name) == _name_key(name)), None)


async def open_campaign(campaign_id: int, actor: Actor) -> None:
    campaign = await require_campaign(campaign_id)
    if not campaign.drawn:
        raise CampaignError("请先完成抽样，再开始调查")
    if not await queries.change_status(campaign_id, "draft", "open"):
        raise CampaignError("只有草稿状态的批次可以开始")
    await _audit_status("campaign.open", campaign, actor)


async def close_campaign(campaign_id: int, actor: Actor) -> None:
    campaign = await require_campaign(campaign_id)
    if not await queries.change_status(campaign_id, "open", "closed"):
        raise CampaignError("只有进行中的批次可以结束")
    await _audit_status("campaign.close", campaign, actor)


async def _audit_status(action: str, campaign: CampaignRecord, actor: Actor) -> None:
    await audit.record_event(action, actor_id=actor.id, actor_name=actor.name,
                             target=campaign.code, ip=actor.ip)


async def require_campaign(campaign_id: int) -> CampaignRecord:
    campaign = await queries.find_campaign(campaign_id)
    if campaign is None:
        raise CampaignError("调查批次不存在")
    return campaign


async def campaign_questionnaire(campaign: CampaignRecord) -> Questionnaire:
    try:
        _, questionnaire = await questionnaire_for_version(campaign.version_id)
    except AuthoringError:
        raise CampaignError("该批次的问卷版本不存在") from None
    return questionnaire



async def list_campaigns() -> list[CampaignRecord]:
    return await queries.list_campaigns()


async def open_campaigns() -> list[CampaignRecord]:
    """Campaigns whose links are being answered (where paper questionnaires are keyed in)."""
    return await queries.campaigns_with_status("open")


async def published_versions() -> list[queries.VersionChoice]:
    """Published questionnaire versions a new campaign may use."""
    return await queries.published_versions()


def new_campaign_defaults(versions: list[queries.VersionChoice]) -> dict[str, str]:
    """What the new-campaign form selects before anything is chosen: a pair that agrees (the
    first audience that has a published questionnaire, and its newest questionnaire), so the
    form submitted unchanged is not refused for a mismatch."""
    for audience in ROSTER_KINDS:
        fitting = [v for v in versions if v.audience == audience]
        if fitting:
            return {"audience": audience, "version_id": str(fitting[0].id)}
    return {"audience": next(iter(ROSTER_KINDS)), "version_id": ""}
