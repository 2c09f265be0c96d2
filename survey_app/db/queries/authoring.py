"""Queries the questionnaire authoring pages need beyond db/queries/questionnaires.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from survey_app.db.queries._rows import aware
from survey_app.db.tables import Campaign, Questionnaire, Response, Unit


@dataclass(frozen=True)
class QuestionnaireRecord:
    id: int
    code: str
    title: str
    audience: str
    created_at: dt.datetime | None


@dataclass(frozen=True)
class VersionUsage:
    """How much a version is used: campaigns built on it, responses recorded against it."""

    campaigns: int = 0
    responses: int = 0


async def find_questionnaire(questionnaire_id: int) -> QuestionnaireRecord | None:
    row = await Questionnaire.select().where(Questionnaire.id == questionnaire_id).first()
    if row is None:
        return None
    return QuestionnaireRecord(
        id=row["id"], code=row["code"], title=row["title"], audience=row["audience"],
        created_at=aware(row["created_at"]),
    )


async def known_unit_codes(codes: Iterable[str]) -> frozenset[str]:
    """The subset of `codes` present in the unit register (active or not)."""
    wanted = sorted(set(codes))
    if not wanted:
        return frozenset()  # Piccolo refuses an empty IN list
    rows = await Unit.select(Unit.code).where(Unit.code.is_in(wanted))
    return frozenset(row["code"] for row in rows)


async def version_usage(questionnaire_id: int) -> dict[int, VersionUsage]:
    """Campaign and response counts per version id of one questionnaire (absent = unused)."""
    campaigns = await (
        Campaign.select(Campaign.version, Count(alias="n"))
        .where(Campaign.version.questionnaire == questionnaire_id)
        .group_by(Campaign.version)
    )
    responses = await (
        Response.select(Response.version, Count(alias="n"))
        .where(Response.version.questionnaire == questionnaire_id)
        .group_by(Response.version)
    )
    campaign_counts = {row["version"]: int(row["n"]) for row in campaigns}
    response_counts = {row["version"]: int(row["n"]) for row in responses}
    return {
        version_id: VersionUsage(campaign_counts.get(version_id, 0),
                                 response_counts.get(version_id, 0))
        for version_id in campaign_counts.keys() | response_counts.keys()
    }
