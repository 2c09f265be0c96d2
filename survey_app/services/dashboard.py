"""What the landing page shows each role."""

from __future__ import annotations

from dataclasses import dataclass, field

from survey_app.db.queries import dashboard as queries
from survey_app.services.auth import CurrentUser


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    campaigns: list[queries.CampaignLine] = field(default_factory=list)


async def summary_for(user: CurrentUser) -> Summary:
    campaigns = await queries.campaign_lines()
    if user.role == "unit_viewer":
        # A unit sees campaign names and dates only, never roster or response-level counts.
        return Summary(counts={}, campaigns=campaigns)
    return Summary(counts=await queries.headline_counts(), campaigns=campaigns)
