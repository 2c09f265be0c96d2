"""Campaigns (调查批次): creation, status changes, the recorded sample draw, and the aggregate
counts the monitor shows (never one respondent's answers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value
from survey_app.db.queries.invitations import NewInvitation, insert_invitations
from survey_app.db.tables import Campaign, QuestionnaireVersion, Response


@dataclass(frozen=True)
class CampaignRecord:
    id: int
    code: str
    name: str
    version_id: int
    questionnaire_title: str
    version_no: int
    audience: str
    period: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    status: str
    sampling_plan: dict[str, Any]
    seed: int | None
    roster_hash: str
    created_at: dt.datetime | None

    @property
    def drawn(self) -> bool:
        return bool(self.roster_hash)


@dataclass(frozen=True)
class NewCampaign:
    code: str
    name: str
    version_id: int
    audience: str
    period: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    created_by: int | None


@dataclass(frozen=True)
class VersionChoice:
    id: int
    questionnaire_code: str
    title: str
    version_no: int
    audience: str
    status: str


@dataclass(frozen=True)
class UnitAnswerCount:
    unit_code: str
    responses: int  # responses with any answer about the unit
    rated: int  # … that rated it (not 不了解)


_COLUMNS = (
    Campaign.id,
    Campaign.code,
    Campaign.name,
    Campaign.version,
    Campaign.version._.questionnaire._.title.as_alias("q_title"),
    Campaign.version.version_no.as_alias("v_no"),
    Campaign.audience,
    Campaign.period,
    Campaign.opens_at,
    Campaign.closes_at,
    Campaign.status,
    Campaign.sampling_plan,
    Campaign.seed,
    Campaign.roster_hash,
    Campaign.created_at,
)


def _record(row: dict[str, Any]) -> CampaignRecord:
    return CampaignRecord(
        id=row["id"], code=row["code"], name=row["name"], version_id=row["version"],
        questionnaire_title=row["q_title"] or "", version_no=int(row["v_no"] or 0),
        audience=row["audience"], period=row["period"], opens_at=aware(row["opens_at"]),
        closes_at=aware(row["closes_at"]), status=row["status"],
        sampling_plan=json_value(row["sampling_plan"], {}),
        seed=None if row["seed"] is None else int(row["seed"]),
        roster_hash=row["roster_hash"] or "", created_at=aware(row["created_at"]),
    )


async def list_campaigns() -> list[CampaignRecord]:
    rows = await Campaign.select(*_COLUMNS).order_by(Campaign.id, ascending=False)
    return [_record(r) for r in rows]


async def campaigns_with_status(status: str) -> list[CampaignRecord]:
    rows = await Campaign.select(*_COLUMNS).where(Campaign.status == status).order_by(Campaign.id)
    return [_record(r) for r in rows]


async def find_campaign(campaign_id: int) -> CampaignRecord | None:
    row = await Campaign.select(*_COLUMNS).where(Campaign.id == campaign_id).first()
    return _record(row) if row else None


async def find_campaign_by_code(code: str) -> CampaignRecord | None:
    row = await Campaign.select(*_COLUMNS).where(Campaign.code == code).first()
    return _record(row) if row else None


async def insert_campaign(new: NewCampaign) -> int:
    rows = await Campaign.insert(
        Campaign(code=new.code, name=new.name, version=new.version_id, audience=new.audience,
                 period=new.period, opens_at=new.opens_at, closes_at=new.closes_at,
                 created_by=new.created_by)
    ).returning(Campaign.id)
    return int(rows[0]["id"])


def _version_choice(row: dict[str, Any]) -> VersionChoice:
    return VersionChoice(
        id=row["id"], questionnaire_code=row["q_code"], title=row["q_title"],
        version_no=int(row["version_no"]), audience=row["q_audience"], status=row["status"],
    )


_VERSION_COLUMNS = (
    QuestionnaireVersion.id,
    QuestionnaireVersion.version_no,
    QuestionnaireVersion.status,
    QuestionnaireVersion.questionnaire.code.as_alias("q_code"),
    QuestionnaireVersion.questionnaire.title.as_alias("q_title"),
    QuestionnaireVersion.questionnaire.audience.as_alias("q_audience"),
)


async def published_versions() -> list[VersionChoice]:
    rows = await QuestionnaireVersion.select(*_VERSION_COLUMNS).where(
        QuestionnaireVersion.status == "published"
    ).order_by(QuestionnaireVersion.id, ascending=False)
    return [_version_choice(r) for r in rows]


async def find_version(version_id: int) -> VersionChoice | None:
    row = await QuestionnaireVersion.select(*_VERSION_COLUMNS).where(
        QuestionnaireVersion.id == version_id
    ).first()
    return _version_choice(row) if row else None


async def change_status(campaign_id: int, from_status: str, to_status: str) -> bool:
    """Atomic: only a campaign still in `from_status` changes (two clicks cannot both win)."""
    rows = await Campaign.update({Campaign.status: to_status}).where(
        (Campaign.id == campaign_id) & (Campaign.status == from_status)
    ).returning(Campaign.id)
    return bool(rows)


async def record_draw(
    campaign_id: int, plan: dict[str, Any], seed: int, roster_hash: str,
    invitations: Sequence[NewInvitation],
) -> bool:
    """Store the plan, seed and snapshot hash and insert the invitations in ONE transaction.

    Only a draft campaign not drawn yet is updated; False (and nothing written) otherwise, so
    two concurrent draws cannot both insert invitations.
    """
    async with Campaign._meta.db.transaction():
        claimed = await Campaign.update(
            {Campaign.sampling_plan: plan, Campaign.seed: seed, Campaign.roster_hash: roster_hash}
        ).where(
            (Campaign.id == campaign_id) & (Campaign.status == "draft")
            & (Campaign.roster_hash == "")
        ).returning(Campaign.id)
        if not claimed:
            return False
        await insert_invitations(campaign_id, invitations)
    return True


async def recent_drawn_campaign_ids(audience: str, before_id: int, limit: int) -> list[int]:
    """The `limit` latest campaigns of the audience drawn before this one."""
    if limit <= 0:
        return []
    rows = await Campaign.select(Campaign.id).where(
        (Campaign.audience == audience) & (Campaign.id < before_id) & (Campaign.roster_hash != "")
    ).order_by(Campaign.id, ascending=False).limit(limit)
    return [r["id"] for r in rows]


async def unit_answer_counts(campaign_id: int) -> list[UnitAnswerCount]:
    """Per rated unit: how many (not excluded) responses of the sample said something about it.
    Open-link responses have no invitation and are left out: the rate is over invitations."""
    rows = await Response.raw(
        "SELECT a.unit_code AS unit_code, COUNT(DISTINCT a.response) AS responses, "
        "COUNT(DISTINCT CASE WHEN a.level IS NOT NULL THEN a.response END) AS rated "
        "FROM answer a JOIN response r ON r.id = a.response "
        "WHERE a.campaign = {} AND a.unit_code <> '' AND r.status <> 'excluded' "
        "AND r.invitation IS NOT NULL "
        "GROUP BY a.unit_code",
        campaign_id,
    )
    return [UnitAnswerCount(r["unit_code"], int(r["responses"]), int(r["rated"])) for r in rows]


async def response_channel_counts(campaign_id: int) -> dict[str, int]:
    rows = await Response.raw(
        "SELECT channel, COUNT(*) AS n FROM response WHERE campaign = {} GROUP BY channel",
        campaign_id,
    )
    return {r["channel"]: int(r["n"]) for r in rows}
