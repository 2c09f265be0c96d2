"""Demo: an open enterprise campaign for 2026-Q4, sampled through the real campaign service."""

from __future__ import annotations

from survey_app.services import campaign_draws, campaign_plans, campaigns
from survey_app.services.roster import SYSTEM, Actor

DEMO_CAMPAIGN_CODE = "2026Q4-ENT"
DEMO_CAMPAIGN_NAME = "2026年第四季度企业营商环境满意度调查"


async def seed_open_campaign(
    version_id: int, *, seed: int = 20261001, code: str = DEMO_CAMPAIGN_CODE,
    opens_on: str = "", closes_on: str = "", actor: Actor = SYSTEM,
) -> int:
    """Create the campaign, draw a 25 % sample stratified by industry x size class from the
    active enterprise roster, and open it. Returns the campaign id.

    The window is open-ended by default so the demo links work whatever today's date is.
    """
    campaign_id = await campaigns.create_campaign(
        code=code, name=DEMO_CAMPAIGN_NAME, version_id=version_id, audience="enterprise",
        period="2026-Q4", opens_on=opens_on, closes_on=closes_on, actor=actor,
    )
    plan = campaign_plans.PlanRequest(kind="enterprise", seed=seed,
                                 strata_keys=("industry", "size_class"), rate=0.25)
    await campaign_draws.draw_campaign_sample(campaign_id, plan, actor)
    await campaigns.open_campaign(campaign_id, actor)
    return campaign_id
