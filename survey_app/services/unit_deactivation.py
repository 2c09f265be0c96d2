"""Deactivating a unit: what it affects is shown first, and only a confirmed request changes it.

A unit rated in a running campaign keeps being rated there (a published questionnaire is fixed),
but leaves new questionnaires, theme handovers, roster places and new appraisal runs; the
administrator should know that before the click takes effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.services import campaigns, units
from survey_app.services.auth import CurrentUser


@dataclass(frozen=True)
class RatedIn:
    code: str
    name: str
    period: str
    status: str  # open / draft


@dataclass(frozen=True)
class DeactivationImpact:
    unit: units.UnitRecord
    open_campaigns: tuple[RatedIn, ...]
    draft_campaigns: tuple[RatedIn, ...]
    usage: tuple[tuple[str, int], ...]  # (label, count) of the data that names the unit


async def impact(unit_id: int) -> DeactivationImpact:
    unit = await units.get_unit(unit_id)
    rated: list[RatedIn] = []
    for campaign in await campaigns.list_campaigns():
        if campaign.status not in ("open", "draft"):
            continue
        try:
            questionnaire = await campaigns.campaign_questionnaire(campaign)
        except campaigns.CampaignError:
            continue
        if unit.code in questionnaire.referenced_unit_codes():
            rated.append(RatedIn(campaign.code, campaign.name, campaign.period, campaign.status))
    used = await units.usage(unit)
    return DeactivationImpact(
        unit=unit,
        open_campaigns=tuple(c for c in rated if c.status == "open"),
        draft_campaigns=tuple(c for c in rated if c.status == "draft"),
        usage=tuple((units.USAGE_LABELS[k], n) for k, n in used.items() if n),
    )


async def deactivate(unit_id: int, *, actor: CurrentUser | None, ip: str = "") -> None:
    """Deactivate after confirmation; the audit entry records what was running then."""
    found = await impact(unit_id)
    await units.set_active(unit_id, False, actor=actor, ip=ip, detail={
        "open_campaigns": len(found.open_campaigns),
        "draft_campaigns": len(found.draft_campaigns),
    })
