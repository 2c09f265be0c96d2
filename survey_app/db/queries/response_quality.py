"""Queries of response quality: durations and uniform matrices that flag a response, the marks
stored on it, and the reviewer's list and decision. Every value is a parameter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._reads import _select
from survey_app.db.queries._rows import aware
from survey_app.db.queries.scores import ScoredCampaign, campaigns_in_period
from survey_app.db.tables import Campaign, Response

_UPDATE_CHUNK = 500


async def find_campaign(campaign_id: int) -> ScoredCampaign | None:
    rows = await Campaign.select(Campaign.period).where(Campaign.id == campaign_id).first()
    if rows is None:
        return None
    return next((c for c in await campaigns_in_period(rows["period"]) if c.id == campaign_id), None)


async def response_durations(campaign_id: int) -> list[tuple[int, int]]:
    """(response id, seconds) of every submitted response with a known duration."""
    rows = await _select(
        "SELECT id, duration_seconds FROM response WHERE campaign = {} "
        "AND status IN ('complete', 'excluded') AND duration_seconds IS NOT NULL",
        campaign_id,
    )
    return [(r["id"], r["duration_seconds"]) for r in rows]


@dataclass(frozen=True)
class UniformMatrix:
    """A response that gave one level to every valid row of a matrix question."""

    response_id: int
    question: str
    rows: int
    level: int


async def uniform_matrices(campaign_id: int, min_rows: int) -> list[UniformMatrix]:
    """Matrix answers with at least `min_rows` valid rows, all at the same level.

    Only these candidates leave the database; analysis.scoring.quality decides and words the flag.
    """
    rows = await _select(
        "SELECT a.response, a.question, COUNT(a.level) AS n, MIN(a.level) AS level "
        "FROM answer a WHERE a.campaign = {} AND a.\"row\" <> '' "
        "GROUP BY a.response, a.question "
        "HAVING COUNT(a.level) >= {} AND MIN(a.level) = MAX(a.level)",
        campaign_id,
        min_rows,
    )
    return [UniformMatrix(r["response"], r["question"], int(r["n"]), r["level"]) for r in rows]


async def quality_marks(campaign_id: int) -> dict[int, str]:
    rows = await Response.select(Response.id, Response.quality_flags).where(
        (Response.campaign == campaign_id) & (Response.quality_flags != "")
    )
    return {r["id"]: r["quality_flags"] for r in rows}


async def write_quality_marks(marks: dict[int, str]) -> None:
    """Set quality_flags per response, one UPDATE per distinct value and chunk of ids."""
    by_value: dict[str, list[int]] = {}
    for response_id, value in marks.items():
        by_value.setdefault(value, []).append(response_id)
    async with Response._meta.db.transaction():
        for value, ids in by_value.items():
            for start in range(0, len(ids), _UPDATE_CHUNK):
                chunk = ids[start : start + _UPDATE_CHUNK]
                await Response.update({Response.quality_flags: value}).where(Response.id.is_in(chunk))


@dataclass(frozen=True)
class ReviewedResponse:
    """What a reviewer sees of a response: never who gave it."""

    id: int
    campaign_id: int
    channel: str
    status: str
    quality_flags: str
    exclusion_reason: str
    duration_seconds: int | None
    submitted_at: dt.datetime | None


_REVIEW_COLUMNS = (
    Response.id,
    Response.campaign,
    Response.channel,
    Response.status,
    Response.quality_flags,
    Response.exclusion_reason,
    Response.duration_seconds,
    Response.submitted_at,
)


def _reviewed(row: dict[str, Any]) -> ReviewedResponse:
    return ReviewedResponse(
        id=row["id"],
        campaign_id=row["campaign"],
        channel=row["channel"],
        status=row["status"],
        quality_flags=row["quality_flags"],
        exclusion_reason=row["exclusion_reason"],
        duration_seconds=row["duration_seconds"],
        submitted_at=aware(row["submitted_at"]),
    )


async def flagged_responses(campaign_id: int, limit: int = 1000) -> list[ReviewedResponse]:
    """Flagged or excluded responses of a campaign, the ones awaiting review first."""
    rows = (
        await Response.select(*_REVIEW_COLUMNS)
        .where(
            (Response.campaign == campaign_id)
            & ((Response.quality_flags != "") | (Response.status == "excluded"))
        )
        .order_by(Response.id)
        .limit(limit)
    )
    return [_reviewed(r) for r in rows]


async def find_response(response_id: int) -> ReviewedResponse | None:
    row = await Response.select(*_REVIEW_COLUMNS).where(Response.id == response_id).first()
    return _reviewed(row) if row else None


async def set_review(response_id: int, *, status: str, exclusion_reason: str, quality_flags: str) -> None:
    await Response.update(
        {
            Response.status: status,
            Response.exclusion_reason: exclusion_reason,
            Response.quality_flags: quality_flags,
        }
    ).where(Response.id == response_id)


@dataclass(frozen=True)
class ReceiptLookup:
    """A response found by its receipt code: what a reviewer may see, and what checks the code.
    Never the answers' free text, the invitation or who entered it."""

    response: ReviewedResponse
    submission_id: str
    stratum: str
    ratings: int  # rated items (answer rows)
    rated: int  # of which with a level (not 不了解)
    mean_level: float | None


async def receipt_lookup(response_id: int) -> ReceiptLookup | None:
    row = (
        await Response.select(*_REVIEW_COLUMNS, Response.submission_id, Response.stratum)
        .where(Response.id == response_id)
        .first()
    )
    if row is None:
        return None
    stats = await _select(
        "SELECT COUNT(*) AS n, COUNT(level) AS rated, AVG(level) AS mean FROM answer WHERE response = {}",
        response_id,
    )
    first = stats[0] if stats else {"n": 0, "rated": 0, "mean": None}
    return ReceiptLookup(
        response=_reviewed(row),
        submission_id=row["submission_id"],
        stratum=row["stratum"],
        ratings=int(first["n"] or 0),
        rated=int(first["rated"] or 0),
        mean_level=float(first["mean"]) if first["mean"] is not None else None,
    )
