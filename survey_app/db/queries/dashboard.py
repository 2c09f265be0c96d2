"""Headline numbers for the landing page."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.db.tables import Campaign, Invitation, Opinion, Respondent, Response, Unit


@dataclass(frozen=True)
class CampaignLine:
    id: int
    name: str
    period: str
    status: str


async def headline_counts() -> dict[str, int]:
    return {
        "units": await Unit.count(),
        "enterprises": await Respondent.count().where(Respondent.kind == "enterprise"),
        "residents": await Respondent.count().where(Respondent.kind == "resident"),
        "campaigns": await Campaign.count(),
        "invitations": await Invitation.count(),
        "responses": await Response.count(),
        "opinions": await Opinion.count(),
    }


async def campaign_lines(limit: int = 10) -> list[CampaignLine]:
    rows = (
        await Campaign.select(Campaign.id, Campaign.name, Campaign.period, Campaign.status)
        .order_by(Campaign.id, ascending=False)
        .limit(limit)
    )
    return [CampaignLine(r["id"], r["name"], r["period"], r["status"]) for r in rows]
