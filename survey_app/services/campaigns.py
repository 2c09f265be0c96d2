"""Campaigns (调查批次): creation, the sampling plan and its seeded draw, replacements, opening
and closing, and the monitor (response rates, non-respondents, reminders).

The draw is questionnaires.sampling's: reproducible from (roster snapshot, plan, seed), all of
which are stored on the campaign; who drew is in the audit log. Invitation tokens are 192 random
bits (secrets.token_urlsafe(24)), unrelated to the seed, so knowing the seed reveals no link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from analysis.response_rates import (
    DEFAULT_STATUS_DISPOSITIONS,
    Disposition,
    DispositionCounts,
    response_rates,
)
from questionnaires.model import Questionnaire
from questionnaires.roster import FIELD_LABELS, FRAME_FIELDS, RosterKind
from questionnaires.sampling import (
    DEFAULT_RATE,
    Allocation,
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
from survey_app.db.queries import roster as roster_queries
from survey_app.db.queries import units as unit_queries
from survey_app.db.queries._rows import utcnow
from survey_app.errors import InvalidInput
from survey_app.services.job_queue import submit_job
from survey_app.services.questionnaires import AuthoringError, questionnaire_for_version
from survey_app.services.roster import (
    ROSTER_KINDS,
    Actor,
    display_key,
    display_name,
    mask_name,
    mask_phone,
)

CampaignRecord = queries.CampaignRecord
InvitationLine = invitation_queries.InvitationLine

CAMPAIGN_STATUS_LABELS = {"draft": "草稿", "open": "进行中", "closed": "已结束"}
ALLOCATION_LABELS = {
    Allocation.PROPORTIONAL.value: "按比例分配",
    Allocation.NEYMAN.value: "奈曼最优分配",
    Allocation.FIXED_RATE.value: "各层固定比例",
}
DEFAULT_STRATA = {"enterprise": ("industry", "size_class"), "resident": ("street",)}
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

# Our invitation statuses mapped onto AAPOR dispositions (analysis.response_rates). A replaced
# invitation counts by its reason (closed firm = not eligible, unreachable = non-contact), so
# replacement cannot hide non-contacts from RR1.
INVITATION_DISPOSITIONS: Mapping[str, Disposition] = {
    **DEFAULT_STATUS_DISPOSITIONS,
    "pending": Disposition.UNKNOWN_OTHER,
    "responded": Disposition.COMPLETE,
    "withdrawn": Disposition.NOT_ELIGIBLE,
}

TOKEN_BYTES = 24  # 192 bits
DRAW_INLINE_MAX_FRAME = 20_000  # larger frames are drawn by a job
DRAW_JOB_KIND = "sampling.draw"
MAX_EXCLUDE_RECENT = 20
MAX_STRATUM_LABEL = 128  # invitation.stratum column
_PERIOD = re.compile(r"[0-9]{4}(-Q[1-4]|-H[12]|-(0[1-9]|1[0-2]))?")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_CHINA = dt.timezone(dt.timedelta(hours=8))
_MAX_SEED = 2**63 - 1


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
    campaign_id = await queries.insert_campaign(queries.NewCampaign(
        code=code, name=name, version_id=version.id, audience=audience, period=period,
        opens_at=opens_at, closes_at=closes_at, created_by=actor.id,
    ))
    await audit.record_event(
        "campaign.create", actor_id=actor.id, actor_name=actor.name, target=code, ip=actor.ip,
        detail={"period": period, "audience": audience, "version": version.id},
    )
    return campaign_id


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


# --- the sampling plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRequest:
    """What the plan form asks for; stored on the campaign as JSON with the draw."""

    kind: str
    seed: int
    strata_keys: tuple[str, ...]
    rate: float | None = DEFAULT_RATE
    total_n: int | None = None
    allocation: str = Allocation.PROPORTIONAL.value
    min_per_stratum: int = 1
    exclude_recent: int = 0
    population_filter: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stddevs: tuple[tuple[tuple[str, ...], float], ...] = ()

    @classmethod
    def default(cls, kind: str) -> PlanRequest:
        return cls(kind=kind, seed=new_seed(), strata_keys=DEFAULT_STRATA[kind])

    @property
    def rate_percent(self) -> str:
        return "" if self.rate is None else f"{Decimal(repr(self.rate)) * 100:f}".rstrip("0").rstrip(".")

    @property
    def size_mode(self) -> str:
        return "n" if self.total_n else "rate"

    @property
    def stddev_text(self) -> str:
        return "\n".join(f"{','.join(values)}={value}" for values, value in self.stddevs)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "seed": self.seed, "strata_keys": list(self.strata_keys),
            "rate": self.rate, "total_n": self.total_n, "allocation": self.allocation,
            "min_per_stratum": self.min_per_stratum, "exclude_recent": self.exclude_recent,
            "population_filter": {k: list(v) for k, v in self.population_filter.items()},
            "stddevs": [[list(values), value] for values, value in self.stddevs],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanRequest:
        return cls(
            kind=str(data["kind"]), seed=int(data["seed"]),
            strata_keys=tuple(data["strata_keys"]), rate=data.get("rate"),
            total_n=data.get("total_n"), allocation=str(data["allocation"]),
            min_per_stratum=int(data["min_per_stratum"]),
            exclude_recent=int(data.get("exclude_recent", 0)),
            population_filter={k: tuple(v) for k, v in data.get("population_filter", {}).items()},
            stddevs=tuple((tuple(values), float(value)) for values, value in data.get("stddevs", [])),
        )

    def sampling_plan(self, exclude_keys: frozenset[str] = frozenset()) -> SamplingPlan:
        try:
            return SamplingPlan(
                seed=self.seed, strata_keys=self.strata_keys, rate=self.rate,
                total_n=self.total_n, allocation=Allocation(self.allocation),
                min_per_stratum=self.min_per_stratum,
                population_filter={k: frozenset(v) for k, v in self.population_filter.items()},
                stddevs=dict(self.stddevs), exclude_keys=exclude_keys,
            )
        except SamplingError as problem:
            raise CampaignError(str(problem)) from None


def plan_fingerprint(request: PlanRequest, snapshot_hash: str) -> str:
    """Short SHA-256 of the plan and the roster snapshot: shown with the preview and checked at
    the draw, so the draw is exactly what was previewed (same plan, same frame)."""
    canonical = json.dumps([request.to_json(), snapshot_hash], sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return str(values[0]).strip()


def _whole_number(text: str, label: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CampaignError(f"{label}应为整数") from None
    if not low <= value <= high:
        raise CampaignError(f"{label}应在 {low} 到 {high} 之间")
    return value


def parse_plan_form(form: Mapping[str, Sequence[str]], kind: str) -> PlanRequest:
    """The plan form's fields → PlanRequest, with a Chinese message for the first problem."""
    usable = FRAME_FIELDS[RosterKind(kind)]
    strata = tuple(f for f in usable if f in set(form.get("strata") or []))
    rate: float | None = None
    total_n: int | None = None
    if _one(form, "size_mode") == "n":
        total_n = _whole_number(_one(form, "total_n"), "样本量", 1, 10_000_000)
    else:
        try:
            percent = Decimal(_one(form, "rate_percent"))
        except InvalidOperation:
            raise CampaignError("抽样比例应为数字，例如 25 表示 25%") from None
        if not 0 < percent <= 100:
            raise CampaignError("抽样比例应大于 0 且不超过 100（%）")
        rate = float(percent / 100)
    allocation = _one(form, "allocation") or Allocation.PROPORTIONAL.value
    if allocation not in ALLOCATION_LABELS:
        raise CampaignError("未知的分配方式")
    population_filter = {
        name: tuple(sorted({v for v in form.get(f"filter_{name}") or [] if v}))
        for name in usable
    }
    request = PlanRequest(
        kind=kind,
        seed=_whole_number(_one(form, "seed"), "随机种子", 0, _MAX_SEED),
        strata_keys=strata, rate=rate, total_n=total_n, allocation=allocation,
        min_per_stratum=_whole_number(_one(form, "min_per_stratum") or "1", "每层最低样本量", 0,
                                      1000),
        exclude_recent=_whole_number(_one(form, "exclude_recent") or "0", "排除近期批次数", 0,
                                     MAX_EXCLUDE_RECENT),
        population_filter={k: v for k, v in population_filter.items() if v},
        stddevs=_parse_stddevs(_one_text(form, "stddevs"), len(strata)),
    )
    if allocation == Allocation.NEYMAN.value and not request.stddevs:
        raise CampaignError("奈曼分配需要填写各层的标准差")
    request.sampling_plan()  # the sampler's own checks, reported now
    return request


def _one_text(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return str(values[0])


def _parse_stddevs(text: str, strata_count: int) -> tuple[tuple[tuple[str, ...], float], ...]:
    parsed = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        values, sep, spread = line.replace("＝", "=").rpartition("=")
        stratum = tuple(v.strip() for v in values.replace("，", ",").split(","))
        if not sep or len(stratum) != strata_count:
            raise CampaignError(
                f"标准差第{number}行格式应为“层值1,层值2=标准差”，层值个数与分层字段一致"
            )
        try:
            parsed.append((stratum, float(spread)))
        except ValueError:
            raise CampaignError(f"标准差第{number}行的“{spread.strip()}”不是数字") from None
    return tuple(parsed)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


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


async def plan_choices(kind: str) -> dict[str, list[str]]:
    """Per frame field, the values present in the roster (for the population filter)."""
    return {
        name: await roster_queries.distinct_values(kind, name)
        for name in FRAME_FIELDS[RosterKind(kind)]
    }


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


async def replace_invitation(
    campaign_id: int, invitation_id: int, reason: str, actor: Actor
) -> InvitationLine:
    """Retire an invitation (closed firm, no contact) for the next unit of its stratum."""
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
                "stratum": chosen.stratum_label},
    )
    replacement = await invitation_queries.find_invitation(new_id)
    assert replacement is not None
    return replacement


# --- monitor ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumProgress:
    label: str
    invited: int  # current invitations (replaced ones not counted)
    responded: int
    replaced: int
    rr1: float | None


@dataclass(frozen=True)
class UnitProgress:
    code: str
    name: str
    responses: int
    rated: int
    rr1: float | None  # rated / eligible invitations


@dataclass(frozen=True)
class Monitor:
    overall: DispositionCounts
    strata: list[StratumProgress]
    units: list[UnitProgress]
    channels: dict[str, int]
    invited: int
    responded: int
    awaiting: int


def _disposition_status(count: invitation_queries.StatusCount) -> str:
    if count.status == invitation_queries.STATUS_REPLACED:
        reason = REPLACEMENT_REASONS.get(count.replacement_reason)
        return reason.disposition_status if reason else "other"
    return count.status if count.status in INVITATION_DISPOSITIONS else "other"


async def monitor(campaign: CampaignRecord) -> Monitor:
    counts = await invitation_queries.status_counts(campaign.id)
    pairs = [(c.stratum, _disposition_status(c)) for c in counts for _ in range(c.count)]
    report = response_rates(pairs, INVITATION_DISPOSITIONS)
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        tally[c.stratum][c.status] += c.count
    strata = [
        StratumProgress(
            label=rate.stratum,
            invited=sum(n for s, n in tally[rate.stratum].items()
                        if s != invitation_queries.STATUS_REPLACED),
            responded=tally[rate.stratum]["responded"],
            replaced=tally[rate.stratum][invitation_queries.STATUS_REPLACED],
            rr1=rate.rr1,
        )
        for rate in report.by_stratum
    ]
    questionnaire = await campaign_questionnaire(campaign)
    answered = {u.unit_code: u for u in await queries.unit_answer_counts(campaign.id)}
    names = {u.code: u.name for u in await unit_queries.list_units()}
    denominator = report.overall.denominator
    units = [
        UnitProgress(
            code=code, name=names.get(code, code),
            responses=answered[code].responses if code in answered else 0,
            rated=answered[code].rated if code in answered else 0,
            rr1=(answered[code].rated if code in answered else 0) / denominator
            if denominator else None,
        )
        for code in sorted(questionnaire.referenced_unit_codes())
    ]
    return Monitor(
        overall=report.overall, strata=strata, units=units,
        channels=await queries.response_channel_counts(campaign.id),
        invited=sum(s.invited for s in strata), responded=sum(s.responded for s in strata),
        awaiting=sum(c.count for c in counts if c.status in AWAITING_STATUSES),
    )


@dataclass(frozen=True)
class InvitationView:
    """An invitation as staff see it: respondent identity, masked contact, no answers."""

    id: int
    name: str
    key: str
    place: str
    stratum: str
    status: str
    reminder_count: int
    last_reminded_at: dt.datetime | None
    respondent_id: int | None
    contact_name: str  # masked
    phone: str  # masked

    @property
    def status_label(self) -> str:
        return INVITATION_STATUS_LABELS.get(self.status, self.status)


async def invitation_views(lines: Sequence[InvitationLine]) -> list[InvitationView]:
    contacts = await roster_queries.contacts_of(
        [line.respondent_id for line in lines if line.respondent_id is not None]
    )
    views = []
    for line in lines:
        contact = contacts.get(line.respondent_id) if line.respondent_id else None
        views.append(InvitationView(
            id=line.id, name=display_name(line.respondent_kind, line.respondent_name),
            key=display_key(line.respondent_kind, line.respondent_key),
            place=" ".join(p for p in (line.park or line.street, line.community) if p),
            stratum=line.stratum, status=line.status, reminder_count=line.reminder_count,
            last_reminded_at=line.last_reminded_at, respondent_id=line.respondent_id,
            contact_name=mask_name(contact.contact_name) if contact else "",
            phone=mask_phone(contact.phone) if contact else "",
        ))
    return views


# --- sampling report -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    label: str
    frame_size: int  # N_h at the draw
    excluded: int
    quota: int  # n_h
    design_weight: float
    invited: int
    replaced: int
    responded: int
    rr1: float | None


async def sampling_report(campaign: CampaignRecord) -> tuple[list[ReportRow], Monitor]:
    """Frame vs sample vs respondents per stratum."""
    progress = await monitor(campaign)
    by_label = {s.label: s for s in progress.strata}
    rows = []
    for allocation in recorded_allocations(campaign):
        stratum = by_label.get(allocation.label)
        rows.append(ReportRow(
            label=allocation.label, frame_size=allocation.frame_size,
            excluded=allocation.excluded, quota=allocation.quota,
            design_weight=allocation.design_weight,
            invited=stratum.invited if stratum else 0,
            replaced=stratum.replaced if stratum else 0,
            responded=stratum.responded if stratum else 0,
            rr1=stratum.rr1 if stratum else None,
        ))
    return rows, progress


# --- paper entry -----------------------------------------------------------------------------

ENTRY_SEARCH_LIMIT = 30
_TOKEN_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])")


async def entry_candidates(campaign_id: int, text: str) -> list[InvitationView]:
    """Invitations matching what the operator typed: a link or token (scanned from the QR
    code), the invitation number printed on the sheet, or part of the respondent's name."""
    text = text.strip()
    if not text:
        return []
    token = _TOKEN_IN_TEXT.search(text)
    if token:
        line = await invitation_queries.find_by_token(campaign_id, token.group(1))
        return await invitation_views([line] if line else [])
    if text.isdigit():
        line = await invitation_queries.find_invitation(int(text))
        found = [line] if line and line.campaign_id == campaign_id else []
        return await invitation_views(found)
    return await invitation_views(
        await invitation_queries.search_by_respondent_name(campaign_id, text[:64],
                                                           ENTRY_SEARCH_LIMIT)
    )


async def entry_invitation(campaign_id: int, invitation_id: int) -> InvitationLine:
    line = await invitation_queries.find_invitation(invitation_id)
    if line is None or line.campaign_id != campaign_id:
        raise CampaignError("邀请不存在")
    return line


async def record_entry(
    campaign: CampaignRecord, invitation_id: int, channel: str, actor: Actor
) -> None:
    await audit.record_event(
        "entry.submit", actor_id=actor.id, actor_name=actor.name, target=campaign.code,
        ip=actor.ip, detail={"invitation": invitation_id, "channel": channel},
    )


async def list_campaigns() -> list[CampaignRecord]:
    return await queries.list_campaigns()


async def open_campaigns() -> list[CampaignRecord]:
    """Campaigns whose links are being answered (where paper questionnaires are keyed in)."""
    return await queries.campaigns_with_status("open")


async def published_versions() -> list[queries.VersionChoice]:
    """Published questionnaire versions a new campaign may use."""
    return await queries.published_versions()
