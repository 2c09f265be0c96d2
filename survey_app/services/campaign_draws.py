"""The seeded draw of a campaign's sample (inline or as a job), the plan recorded with it, and
replacements drawn from the same stratum (confirmed first when the respondent has started or
has been reminded).

The draw is questionnaires.sampling's: reproducible from (roster snapshot, plan, seed), all of
which are stored on the campaign; who drew is in the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires.roster import FRAME_FIELDS, RosterKind
from questionnaires.sampling import (
    FrameUnit,
    SampleDraw,
    SamplingError,
    SamplingPlan,
    SelectedUnit,
    StratumAllocation,
    draw_replacement,
    draw_sample,
)
from survey_app.db.queries import audit
from survey_app.db.queries import campaigns as queries
from survey_app.db.queries import invitations as invitation_queries
from survey_app.db.queries import lifecycle as lifecycle_queries
from survey_app.db.queries import roster as roster_queries
from survey_app.db.queries._rows import utcnow
from survey_app.services.campaign_plans import PlanRequest, plan_fingerprint
from survey_app.services.campaigns import (
    AWAITING_STATUSES,
    REPLACEMENT_REASONS,
    CampaignError,
    CampaignRecord,
    InvitationLine,
    new_token,
    require_campaign,
)
from survey_app.services.job_queue import submit_job
from survey_app.services.roster import Actor

DRAW_INLINE_MAX_FRAME = 20_000  # larger frames are drawn by a job
DRAW_JOB_KIND = "sampling.draw"
MAX_STRATUM_LABEL = 128  # invitation.stratum column


@dataclass(frozen=True)
class DrawPreview:
    allocations: tuple[StratumAllocation, ...]
    frame_size: int
    excluded: int
    sample_size: int
    snapshot_hash: str
    fingerprint: str = ""


@dataclass(frozen=True)
class _Frame:
    units: list[FrameUnit]
    ids: dict[str, int]
    excluded_campaigns: list[int]


async def _frame(campaign: CampaignRecord, request: PlanRequest) -> tuple[_Frame, SamplingPlan]:
    members = await roster_queries.frame_members(
        campaign.audience, FRAME_FIELDS[RosterKind(campaign.audience)]
    )
    excluded_campaigns = await queries.recent_drawn_campaign_ids(
        campaign.audience, campaign.id, request.exclude_recent
    )
    exclude_keys = await invitation_queries.keys_surveyed_in(excluded_campaigns)
    frame = _Frame(
        [FrameUnit(m.key, m.attributes) for m in members], {m.key: m.id for m in members},
        excluded_campaigns,
    )
    return frame, request.sampling_plan(exclude_keys)


def _draw(frame: _Frame, plan: SamplingPlan) -> SampleDraw:
    try:
        draw = draw_sample(frame.units, plan)
    except SamplingError as problem:
        raise CampaignError(str(problem)) from None
    too_long = next((a.label for a in draw.allocations if len(a.label) > MAX_STRATUM_LABEL), None)
    if too_long:
        raise CampaignError(f"层名称“{too_long[:40]}…”过长，请减少分层字段")
    return draw


async def preview_draw(campaign: CampaignRecord, request: PlanRequest) -> DrawPreview:
    """The allocation table the draw would give now (the draw itself is deterministic too)."""
    if request.kind != campaign.audience:
        raise CampaignError("抽样方案与调查对象不一致")
    frame, plan = await _frame(campaign, request)
    draw = _draw(frame, plan)
    return DrawPreview(
        allocations=draw.allocations,
        frame_size=sum(a.frame_size for a in draw.allocations),
        excluded=sum(a.excluded for a in draw.allocations),
        sample_size=draw.sample_size,
        snapshot_hash=draw.snapshot_hash,
        fingerprint=plan_fingerprint(request, draw.snapshot_hash),
    )


async def draw_needs_job(campaign: CampaignRecord) -> bool:
    frame_size = await roster_queries.count_respondents(
        roster_queries.RosterFilter(kind=campaign.audience, status="active")
    )
    return frame_size > DRAW_INLINE_MAX_FRAME


async def submit_draw(campaign: CampaignRecord, request: PlanRequest, actor: Actor,
                      fingerprint: str = "") -> int:
    """Queue the draw of a large frame as a job; returns the job id."""
    params = {"campaign_id": campaign.id, "plan": request.to_json(), "actor_name": actor.name,
              "ip": actor.ip, "fingerprint": fingerprint}
    return await submit_job(DRAW_JOB_KIND, params, actor.id)


@dataclass(frozen=True)
class DrawOutcome:
    frame_size: int
    sample_size: int
    snapshot_hash: str


def _allocation_json(allocation: StratumAllocation) -> dict[str, Any]:
    return {"stratum": list(allocation.stratum), "label": allocation.label,
            "frame_size": allocation.frame_size, "quota": allocation.quota,
            "excluded": allocation.excluded}


def _allocation_from_json(data: Mapping[str, Any]) -> StratumAllocation:
    return StratumAllocation(tuple(data["stratum"]), str(data["label"]), int(data["frame_size"]),
                             int(data["quota"]), int(data.get("excluded", 0)))


async def draw_campaign_sample(
    campaign_id: int, request: PlanRequest, actor: Actor, fingerprint: str | None = None
) -> DrawOutcome:
    """Draw the sample and create one invitation per selected respondent, atomically.

    With `fingerprint` (the one shown with the preview), the draw is refused unless the plan and
    the roster snapshot are still exactly the previewed ones."""
    campaign = await require_campaign(campaign_id)
    if campaign.status != "draft" or campaign.drawn:
        raise CampaignError("该批次已经抽样，或已不是草稿状态")
    if request.kind != campaign.audience:
        raise CampaignError("抽样方案与调查对象不一致")
    frame, plan = await _frame(campaign, request)
    draw = _draw(frame, plan)
    actual = plan_fingerprint(request, draw.snapshot_hash)
    if fingerprint is not None and fingerprint != actual:
        raise CampaignError(
            f"抽样方案或样本框与预览时不一致（预览指纹 {fingerprint or '无'}，现在 {actual}），"
            "未抽样。请重新预览分配，核对后再确认抽样。"
        )
    frame_size = sum(a.frame_size for a in draw.allocations)
    stored_plan = {
        **request.to_json(),
        "fingerprint": actual,
        "excluded_campaigns": frame.excluded_campaigns,
        "allocations": [_allocation_json(a) for a in draw.allocations],
        "frame_size": frame_size,
        "sample_size": draw.sample_size,
        "drawn_by": actor.name,
        "drawn_at": utcnow().isoformat(),
    }
    invitations = [
        invitation_queries.NewInvitation(frame.ids[unit.key], new_token(), unit.stratum_label,
                                         unit.design_weight)
        for unit in draw.selected
    ]
    if not await queries.record_draw(campaign_id, stored_plan, request.seed, draw.snapshot_hash,
                                     invitations):
        raise CampaignError("该批次已经抽样，或已不是草稿状态")
    await audit.record_event(
        "campaign.draw", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip,
        detail={"seed": request.seed, "frame_size": frame_size, "sample_size": draw.sample_size,
                "roster_hash": draw.snapshot_hash, "strata": list(request.strata_keys),
                "allocation": request.allocation, "rate": request.rate,
                "total_n": request.total_n, "excluded_campaigns": frame.excluded_campaigns,
                "fingerprint": actual},
    )
    return DrawOutcome(frame_size, draw.sample_size, draw.snapshot_hash)


def recorded_plan(campaign: CampaignRecord) -> PlanRequest | None:
    """The plan stored by draw_campaign_sample; None before the draw, or for a campaign whose
    sample was drawn elsewhere and stored in another shape."""
    if not campaign.drawn:
        return None
    try:
        return PlanRequest.from_json(campaign.sampling_plan)
    except (KeyError, TypeError, ValueError):
        return None


def recorded_allocations(campaign: CampaignRecord) -> list[StratumAllocation]:
    try:
        return [_allocation_from_json(a) for a in campaign.sampling_plan.get("allocations", [])]
    except (KeyError, TypeError, ValueError):
        return []



# --- replacement -----------------------------------------------------------------------------


async def _recorded_draw(campaign: CampaignRecord) -> tuple[SampleDraw, _Frame]:
    """The campaign's draw as the sampler knows it: stored plan and allocations, and every
    respondent invited so far (replacements included) as already selected."""
    request = recorded_plan(campaign)
    if request is None:
        raise CampaignError("该批次尚未抽样，或没有本系统记录的抽样方案，无法按层替补")
    frame, _ = await _frame(campaign, request)
    exclude_keys = await invitation_queries.keys_surveyed_in(
        campaign.sampling_plan.get("excluded_campaigns", [])
    )
    plan = request.sampling_plan(exclude_keys)
    allocations = recorded_allocations(campaign)
    by_label: dict[str, StratumAllocation] = {a.label: a for a in allocations}
    selected = tuple(
        SelectedUnit(key, by_label[label].stratum, label, by_label[label].design_weight)
        for key, label in await invitation_queries.keys_in_campaign(campaign.id)
        if label in by_label
    )
    return SampleDraw(plan, campaign.roster_hash, tuple(allocations), selected), frame


@dataclass(frozen=True)
class ReplacementPreview:
    """What replacing an invitation cuts off, shown before it is done when the respondent has
    started (a draft is saved) or has been reminded, and recorded with the decision."""

    invitation: InvitationLine
    reason: str
    draft_saved_at: dt.datetime | None
    draft_answered: int  # questions answered in the draft
    started: bool

    @property
    def reason_label(self) -> str:
        return REPLACEMENT_REASONS[self.reason].label

    @property
    def needs_confirmation(self) -> bool:
        return self.started or self.invitation.reminder_count > 0

    @property
    def token(self) -> str:
        """What the admin confirmed: asked again if the respondent saved or was reminded since."""
        saved = int(self.draft_saved_at.timestamp()) if self.draft_saved_at else 0
        return f"{self.draft_answered}-{saved}-{self.invitation.reminder_count}"

    def audit_detail(self) -> dict[str, object]:
        """Recorded with a confirmed replacement."""
        return {"draft_answered": self.draft_answered,
                "draft_saved_at": self.draft_saved_at.isoformat() if self.draft_saved_at else None,
                "reminders": self.invitation.reminder_count, "confirmed": True}


class ReplacementNeedsConfirmation(CampaignError):
    """The replacement was not done: the admin must first see `preview` and confirm it."""

    def __init__(self, preview: ReplacementPreview, changed: bool) -> None:
        super().__init__("确认后情况已有变化，请核对最新情况后再确认" if changed
                         else "该对象已开始填写或已被提醒，请确认后再替补")
        self.preview = preview
        self.changed = changed  # a confirmation of an older state was posted


def _answered(answers: Mapping[str, Any]) -> int:
    return sum(1 for value in answers.values() if value not in (None, "", [], {}))


async def _replacement_preview(old: InvitationLine, reason: str) -> ReplacementPreview:
    draft = await lifecycle_queries.draft_of(old.id)
    if draft is None:
        return ReplacementPreview(old, reason, None, 0, started=False)
    answers, saved_at = draft
    return ReplacementPreview(old, reason, saved_at, _answered(answers), started=True)


async def replace_invitation(
    campaign_id: int, invitation_id: int, reason: str, actor: Actor, confirmed: str = ""
) -> InvitationLine:
    """Retire an invitation (closed firm, no contact) for the next unit of its stratum.

    When the respondent has started or been reminded, `confirmed` must be the token of the
    preview the admin saw (ReplacementNeedsConfirmation carries it). The draft is kept: the
    link stops working, and the draft goes with the campaign's data under the retention rules."""
    campaign = await require_campaign(campaign_id)
    if campaign.status == "closed":
        raise CampaignError("批次已结束，不能再替补")
    if reason not in REPLACEMENT_REASONS:
        raise CampaignError("请选择替补原因")
    old = await invitation_queries.find_invitation(invitation_id)
    if old is None or old.campaign_id != campaign_id:
        raise CampaignError("邀请不存在")
    if old.status not in AWAITING_STATUSES:
        raise CampaignError("只能替补尚未回复的邀请")
    if old.respondent_id is None:
        raise CampaignError("该对象已从样本框删除，无法确定替补对象")
    preview = await _replacement_preview(old, reason)
    if preview.needs_confirmation and confirmed != preview.token:
        raise ReplacementNeedsConfirmation(preview, changed=bool(confirmed))
    draw, frame = await _recorded_draw(campaign)
    try:
        chosen = draw_replacement(frame.units, draw, old.respondent_key)
    except SamplingError as problem:
        raise CampaignError(str(problem)) from None
    new = invitation_queries.NewInvitation(
        frame.ids[chosen.key], new_token(), chosen.stratum_label, chosen.design_weight
    )
    details = REPLACEMENT_REASONS[reason]
    new_id = await invitation_queries.replace_invitation(
        invitation_id, AWAITING_STATUSES, new, reason, details.respondent_status
    )
    if new_id is None:
        raise CampaignError("该邀请刚刚已被回复或替补，请刷新页面")
    await audit.record_event(
        "campaign.replace", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip,
        detail={"invitation": invitation_id, "replacement": new_id, "reason": reason,
                "stratum": chosen.stratum_label,
                # what the admin was shown and confirmed (only asked when there was something)
                **(preview.audit_detail() if preview.needs_confirmation else {})},
    )
    replacement = await invitation_queries.find_invitation(new_id)
    assert replacement is not None
    return replacement
