"""The red/yellow card register and its rectification workflow, and the appraisal panels of the
dashboards.

A card is registered when a run is published (appraisal_publication): unit, period, rule and
reason, date, deadline. The unit sees it on its dashboard and unit page and submits a
rectification plan; the office accepts it (the card is lifted) or returns it with a note.
A card not lifted by its deadline is overdue. Every step is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from analysis.appraisal.scheme import SurveyGate
from survey_app.db.queries import appraisal as store
from survey_app.db.queries import audit, invitations
from survey_app.db.queries import campaigns as campaign_queries
from survey_app.db.queries import scores as score_queries
from survey_app.roles import UNIT_VIEWER
from survey_app.services import themes
from survey_app.services.appraisal import MAX_REASON, AppraisalFailed
from survey_app.services.auth import CurrentUser

STATUS_LABELS = {
    "open": "待提交整改方案",
    "submitted": "整改方案待审核",
    "returned": "整改方案已退回",
    "lifted": "已撤销",
}
MIN_PLAN = 10


class CardNotFound(AppraisalFailed):
    """No such card, or one of another unit (the same answer for both)."""


@dataclass(frozen=True)
class CardLine:
    card: store.CardRecord
    overdue: bool

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.card.status, self.card.status)


def _line(card: store.CardRecord, now: dt.datetime) -> CardLine:
    overdue = card.status != "lifted" and card.deadline is not None and card.deadline < now
    return CardLine(card, overdue)


async def register(year: int | None = None, unit_id: int | None = None) -> list[CardLine]:
    now = dt.datetime.now(dt.UTC)
    return [_line(c, now) for c in await store.cards(year, unit_id)]


async def _card_for(card_id: int, user: CurrentUser) -> store.CardRecord:
    card = await store.find_card(card_id)
    if card is None or (user.role == UNIT_VIEWER and user.unit_id != card.unit_id):
        raise CardNotFound("预警记录不存在或无权查看")
    return card


async def submit_plan(card_id: int, plan: str, user: CurrentUser, ip: str) -> store.CardRecord:
    card = await _card_for(card_id, user)
    if user.role != UNIT_VIEWER:
        raise AppraisalFailed("整改方案由被预警单位提交")
    if card.status not in ("open", "returned"):
        raise AppraisalFailed("该预警当前不需要提交整改方案")
    plan = plan.strip()
    if len(plan) < MIN_PLAN:
        raise AppraisalFailed(f"整改方案至少写 {MIN_PLAN} 个字：问题原因、整改措施、责任人和完成时限")
    if len(plan) > 4000:
        raise AppraisalFailed("整改方案不能超过 4000 个字")
    await store.update_card(card_id, status="submitted", plan=plan, plan_at=dt.datetime.now(dt.UTC))
    await audit.record_event(
        "appraisal.card.plan", actor_id=user.id, actor_name=user.username, ip=ip,
        target=f"{card.unit_name} {card.period} {card.color}", detail={"card": card_id, "chars": len(plan)},
    )  # fmt: skip
    return card


async def review(card_id: int, decision: str, note: str, user: CurrentUser, ip: str) -> store.CardRecord:
    card = await _card_for(card_id, user)
    note = note.strip()
    if decision not in ("accept", "return"):
        raise AppraisalFailed("请选择“通过并撤销预警”或“退回整改方案”")
    if card.status != "submitted":
        raise AppraisalFailed("该预警还没有待审核的整改方案")
    if decision == "return" and len(note) < 4:
        raise AppraisalFailed("退回整改方案必须写明原因（至少 4 个字）")
    if len(note) > MAX_REASON:
        raise AppraisalFailed(f"意见不能超过 {MAX_REASON} 个字")
    now = dt.datetime.now(dt.UTC)
    if decision == "accept":
        await store.update_card(card_id, status="lifted", office_note=note, lifted_at=now, lifted_by=user.id)
    else:
        await store.update_card(card_id, status="returned", office_note=note)
    await audit.record_event(
        "appraisal.card.review", actor_id=user.id, actor_name=user.username, ip=ip,
        target=f"{card.unit_name} {card.period} {card.color}",
        detail={"card": card_id, "decision": decision, "note": note},
    )  # fmt: skip
    return card


# --- dashboards -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignRate:
    name: str
    period: str
    responses: int  # every complete answer, open-link answers included
    invited: int
    sampled: int  # invitations answered: the response rate is of the sample only
    low: bool  # below the default survey thresholds: will not count in the appraisal by default

    @property
    def rate(self) -> float | None:
        return self.sampled / self.invited if self.invited else None


async def open_campaign_rates() -> list[CampaignRate]:
    """Running campaigns with their responses and response rates, lowest rate first."""
    lines = []
    campaigns = await campaign_queries.campaigns_with_status("open")
    counts = await score_queries.status_counts([c.id for c in campaigns])
    gate = SurveyGate()
    for campaign in campaigns:
        responses = sum(c.count for c in counts if c.campaign_id == campaign.id and c.status == "complete")
        invited = await invitations.count_invitations(campaign.id)
        sampled = await score_queries.sample_responses([campaign.id])
        low = responses < gate.min_responses or (invited > 0 and sampled / invited < gate.min_response_rate)
        lines.append(CampaignRate(campaign.name, campaign.period, responses, invited, sampled, low))
    return sorted(lines, key=lambda c: (c.rate if c.rate is not None else 2.0, c.name))


@dataclass(frozen=True)
class Panel:
    """What the appraisal asks of the signed-in user, for the dashboard."""

    drafts: list[store.RunRecord] = field(default_factory=list)
    overdue: list[CardLine] = field(default_factory=list)
    plans_to_review: list[CardLine] = field(default_factory=list)
    open_cards: list[CardLine] = field(default_factory=list)
    published: dict[str, Any] | None = None
    published_year: int | None = None
    campaigns: list[CampaignRate] = field(default_factory=list)
    themes: list[Any] = field(default_factory=list)  # (handed theme, overdue) for a unit
    history: list[Any] = field(default_factory=list)


async def panel_for(user: CurrentUser) -> Panel:
    if user.role == UNIT_VIEWER:
        if user.unit_id is None:
            return Panel()
        lines = await register(unit_id=user.unit_id)
        mine = None
        year = None
        runs = await store.published_runs()
        for run in runs:
            mine = next((u for u in run.units if u["unit_id"] == user.unit_id), None)
            if mine is not None:
                year = run.year
                break
        handed = await themes.handed_over(user, 1)
        return Panel(open_cards=[c for c in lines if c.card.status != "lifted"], published=mine,
                     published_year=year, themes=handed.themes[:10])  # fmt: skip
    if user.role not in ("admin", "office"):
        return Panel()
    lines = await register()
    return Panel(
        drafts=await store.draft_runs(),
        overdue=[c for c in lines if c.overdue],
        plans_to_review=[c for c in lines if c.card.status == "submitted"],
        campaigns=await open_campaign_rates(),
    )
