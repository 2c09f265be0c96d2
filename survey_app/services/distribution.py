"""Getting invitations to the sampled respondents and following up on them.

Links are built from settings.base_url, never from the request's Host header. The contact list
(XLSX/CSV, through analysis.tabular so no cell can run as a formula) is masked unless an admin
asks for full contacts; every export and QR sheet is an audited event. The list of
non-respondents shows who has not answered, never what anyone answered.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import segno

from analysis.tabular import write_csv, write_xlsx
from survey_app.db.queries import audit
from survey_app.db.queries import campaigns as campaign_queries
from survey_app.db.queries import invitations as invitation_queries
from survey_app.db.queries import roster as roster_queries
from survey_app.services.campaign_monitoring import InvitationView, invitation_views
from survey_app.services.campaigns import (
    AWAITING_STATUSES,
    INVITATION_STATUS_LABELS,
    CampaignError,
    CampaignRecord,
    require_campaign,
)
from survey_app.services.roster import SYSTEM, Actor, display_key, display_name, mask_name, mask_phone

_CHINA = dt.timezone(dt.timedelta(hours=8))
LINK_PLACEHOLDER = "{链接}"
PLACEHOLDERS = {"{名称}": "对象名称", "{调查}": "调查批次名称", LINK_PLACEHOLDER: "问卷链接",
                "{截止日期}": "调查结束日期"}
DEFAULT_MESSAGE = (
    "【区绩效办】{名称}：您好！您被随机抽中参加“{调查}”，请于{截止日期}前点击链接填写问卷："
    "{链接} 。问卷不记名，仅用于统计分析，感谢您的支持！"
)
MAX_MESSAGE_CHARS = 500
EXPORT_HEADER = ("邀请编号", "名称", "编号/信用代码", "所在地", "层", "状态", "联系人", "联系电话",
                 "问卷链接", "短信内容")
EXPORT_FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
QR_PAGE_SIZE = 60
NON_RESPONDENT_PAGE = 100
# Invitations that are out of the sample (replaced, withdrawn) get no link.
_CURRENT_STATUSES = (*AWAITING_STATUSES, "responded")


def invitation_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def check_message_template(template: str) -> str:
    template = template.strip() or DEFAULT_MESSAGE
    if len(template) > MAX_MESSAGE_CHARS:
        raise CampaignError(f"短信/微信模板不能超过{MAX_MESSAGE_CHARS}字")
    if LINK_PLACEHOLDER not in template:
        raise CampaignError(f"短信/微信模板必须包含链接占位符 {LINK_PLACEHOLDER}")
    return template


def render_message(template: str, *, name: str, campaign: CampaignRecord, link: str) -> str:
    """Fill the placeholders by plain replacement (no format strings run on staff input)."""
    values = {"{名称}": name or "您好", "{调查}": campaign.name, LINK_PLACEHOLDER: link,
              "{截止日期}": _china_day(campaign.closes_at)}
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def _china_day(moment: dt.datetime | None) -> str:
    if moment is None:
        return "调查结束"
    return f"{moment.astimezone(_CHINA):%Y年%m月%d日}"


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    media_type: str


async def export_links(
    campaign: CampaignRecord, *, fmt: str, full_contacts: bool, template: str, base_url: str,
    actor: Actor,
) -> ExportFile:
    """The contact list with one link (and message text) per current invitation."""
    if fmt not in EXPORT_FORMATS:
        raise CampaignError("导出格式只能是 XLSX 或 CSV")
    template = check_message_template(template)
    lines = await invitation_queries.invitation_lines(campaign.id, _CURRENT_STATUSES)
    contacts = await roster_queries.contacts_of(
        [line.respondent_id for line in lines if line.respondent_id is not None]
    )
    rows = []
    for line in lines:
        contact = contacts.get(line.respondent_id) if line.respondent_id else None
        name = line.respondent_name if full_contacts else display_name(
            line.respondent_kind, line.respondent_name)
        contact_name = contact.contact_name if contact else ""
        phone = contact.phone if contact else ""
        link = invitation_url(base_url, line.token)
        rows.append((
            line.id, name,
            line.respondent_key if full_contacts else display_key(line.respondent_kind,
                                                                  line.respondent_key),
            " ".join(p for p in (line.park or line.street, line.community) if p),
            line.stratum, INVITATION_STATUS_LABELS.get(line.status, line.status),
            contact_name if full_contacts else mask_name(contact_name),
            phone if full_contacts else mask_phone(phone),
            link,
            render_message(template, name=line.respondent_name if full_contacts else name,
                           campaign=campaign, link=link),
        ))
    content = (write_xlsx({"邀请名单": (EXPORT_HEADER, rows)}) if fmt == "xlsx"
               else write_csv(rows, EXPORT_HEADER))
    await audit.record_event(
        "campaign.export_links", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip, detail={"format": fmt, "full_contacts": full_contacts, "rows": len(rows)},
    )
    suffix = "-full" if full_contacts else "-masked"
    return ExportFile(f"{campaign.code}-links{suffix}.{fmt}", content, EXPORT_FORMATS[fmt])


@dataclass(frozen=True)
class QrCard:
    invitation_id: int
    title: str  # the enterprise's name, or the resident's community (never a person's name)
    place: str
    url: str
    svg: str  # inline SVG made here by segno from our own URL, no user data inside


@dataclass(frozen=True)
class QrSheet:
    cards: list[QrCard]
    page: int
    pages: int
    total: int


def qr_svg(url: str) -> str:
    # No fixed size: a viewBox only, so the print CSS decides how large the code is.
    return segno.make(url, error="m").svg_inline(border=2, omitsize=True)


async def qr_sheet(campaign: CampaignRecord, base_url: str, page: int, actor: Actor) -> QrSheet:
    """Printable QR codes for the invitations still awaiting an answer, one page at a time."""
    total = await invitation_queries.count_invitations(campaign.id, AWAITING_STATUSES)
    pages = max(1, math.ceil(total / QR_PAGE_SIZE))
    page = min(max(page, 1), pages)
    lines = await invitation_queries.invitation_lines(
        campaign.id, AWAITING_STATUSES, (page - 1) * QR_PAGE_SIZE, QR_PAGE_SIZE
    )
    cards = []
    for line in lines:
        url = invitation_url(base_url, line.token)
        is_resident = line.respondent_kind == "resident"
        cards.append(QrCard(
            invitation_id=line.id,
            title=(line.community or line.street) if is_resident else line.respondent_name,
            place=line.street if is_resident else line.park,
            url=url, svg=qr_svg(url),
        ))
    await audit.record_event(
        "campaign.qr_sheet", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip, detail={"page": page, "cards": len(cards)},
    )
    return QrSheet(cards, page, pages, total)


async def awaiting_links(base_url: str, campaign_code: str | None, actor: Actor = SYSTEM
                         ) -> list[str]:
    """Links still awaiting an answer: of one campaign, or of every open campaign."""
    if campaign_code:
        campaign = await campaign_queries.find_campaign_by_code(campaign_code)
        if campaign is None:
            raise CampaignError(f"调查批次 {campaign_code} 不存在")
        campaigns = [campaign]
    else:
        campaigns = await campaign_queries.campaigns_with_status("open")
    tokens = await invitation_queries.awaiting_tokens([c.id for c in campaigns],
                                                      AWAITING_STATUSES)
    await audit.record_event(
        "campaign.links", actor_id=actor.id, actor_name=actor.name,
        target=",".join(c.code for c in campaigns)[:128], ip=actor.ip,
        detail={"links": len(tokens)},
    )
    return [invitation_url(base_url, token) for _, token in tokens]


# --- following up ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NonRespondentPage:
    views: list[InvitationView]
    total: int
    page: int
    pages: int


async def non_respondents(campaign_id: int, page: int) -> NonRespondentPage:
    total = await invitation_queries.count_invitations(campaign_id, AWAITING_STATUSES)
    pages = max(1, math.ceil(total / NON_RESPONDENT_PAGE))
    page = min(max(page, 1), pages)
    lines = await invitation_queries.invitation_lines(
        campaign_id, AWAITING_STATUSES, (page - 1) * NON_RESPONDENT_PAGE, NON_RESPONDENT_PAGE
    )
    return NonRespondentPage(await invitation_views(lines), total, page, pages)


async def record_reminders(campaign_id: int, invitation_ids: list[int], actor: Actor) -> int:
    campaign = await require_campaign(campaign_id)
    if campaign.status == "closed":
        raise CampaignError("批次已结束，无需再提醒")
    if not invitation_ids:
        raise CampaignError("请先勾选已提醒的对象")
    reminded = await invitation_queries.mark_reminded(campaign_id, invitation_ids,
                                                      AWAITING_STATUSES)
    await audit.record_event(
        "campaign.remind", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip, detail={"count": reminded},
    )
    return reminded
