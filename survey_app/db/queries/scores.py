"""Queries behind satisfaction scores: campaigns per period, strata, rating patterns and
response counts. Score runs are in score_runs, quality marks and review in response_quality,
appraisal schemes and results in appraisal_results.

Unit indices need per-response sums (analysis/scoring/unit_index.py). They are read from
`unit_rating`, one row per response and rated unit holding the response's levels for that unit
as a short string (questionnaires/ratings.py), written with the answer rows. `rating_patterns`
groups those rows into counts of identical strings per campaign, unit, stratum and weight —
`unit_rating_pattern_idx` delivers them in that order, so nothing is sorted or hashed — and
analysis/scoring/patterns.py derives both passes (item cells, linearised sums) from the
counts exactly. That is one read of a table about a fifth the size of `answer` instead of two
grouped passes over every answer row (bench/scores_speed.py).

Every value is a parameter; reads go through `_select` (_reads.py), which serves them from
SQLite's reader connections.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.scoring.patterns import Item, UnitPatterns, decode_patterns
from survey_app.db.queries._reads import _marks, _select
from survey_app.db.queries._rows import json_value
from survey_app.db.tables import (
    Answer,
    Campaign,
    ScoreRun,
)

NOT_COUNTED = ("partial", "excluded")  # every response status other than complete
PASS_CONCURRENCY = 2  # statements in flight at once (about one per CPU core)

_NOT_COUNTED_STATUSES = ", ".join(f"'{status}'" for status in NOT_COUNTED)  # constants


# --- campaigns and periods ----------------------------------------------------------------


@dataclass(frozen=True)
class ScoredCampaign:
    id: int
    code: str
    name: str
    period: str
    audience: str
    status: str
    questionnaire_code: str
    definition: dict[str, Any]


async def campaigns_in_period(period: str, audience: str | None = None) -> list[ScoredCampaign]:
    """Campaigns of a period that collect answers (not drafts), oldest first."""
    query = Campaign.select(
        Campaign.id,
        Campaign.code,
        Campaign.name,
        Campaign.period,
        Campaign.audience,
        Campaign.status,
        Campaign.version.questionnaire.code.as_alias("questionnaire_code"),  # type: ignore[union-attr]
        Campaign.version.definition.as_alias("definition"),
    ).where((Campaign.period == period) & (Campaign.status != "draft"))
    if audience is not None:
        query = query.where(Campaign.audience == audience)
    rows = await query.order_by(Campaign.id)
    return [
        ScoredCampaign(
            id=r["id"],
            code=r["code"],
            name=r["name"],
            period=r["period"],
            audience=r["audience"],
            status=r["status"],
            questionnaire_code=r["questionnaire_code"],
            definition=json_value(r["definition"], {}),
        )
        for r in rows
    ]


async def known_periods() -> list[str]:
    """Periods with a campaign or a score run, latest first (2026-Q4 sorts after 2026-Q3)."""
    campaigns = await Campaign.select(Campaign.period).where(Campaign.status != "draft")
    runs = await ScoreRun.select(ScoreRun.period)
    periods = {r["period"] for r in campaigns} | {r["period"] for r in runs}
    return sorted(periods, reverse=True)


async def latest_scored_period() -> str | None:
    """The latest period that has a score run: what a page shows when none is asked for."""
    runs = await ScoreRun.select(ScoreRun.period)
    return max((r["period"] for r in runs), default=None)


# --- strata -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumCounts:
    campaign_id: int
    stratum: str
    respondents: int  # r_h: complete, not excluded responses
    invited: int | None  # n_h: invitations still in the sample (not replaced)
    population: float | None  # N_h = Σ design weights of those invitations


async def stratum_counts(campaign_ids: Sequence[int]) -> list[StratumCounts]:
    if not campaign_ids:
        return []
    marks = _marks(len(campaign_ids))
    responded = await _select(
        "SELECT campaign, stratum, COUNT(*) AS n FROM response "  # noqa: S608
        f"WHERE campaign IN ({marks}) AND status = 'complete' GROUP BY campaign, stratum",
        *campaign_ids,
    )
    invited = await _select(
        "SELECT campaign, stratum, COUNT(*) AS n, SUM(design_weight) AS population "  # noqa: S608
        f"FROM invitation WHERE campaign IN ({marks}) AND replaced_by IS NULL "
        "GROUP BY campaign, stratum",
        *campaign_ids,
    )
    sample = {(r["campaign"], r["stratum"]): r for r in invited}
    keys = sorted({(r["campaign"], r["stratum"]) for r in responded} | set(sample))
    answered = {(r["campaign"], r["stratum"]): int(r["n"]) for r in responded}
    return [
        StratumCounts(
            campaign_id=campaign,
            stratum=stratum,
            respondents=answered.get((campaign, stratum), 0),
            invited=int(sample[(campaign, stratum)]["n"]) if (campaign, stratum) in sample else None,
            population=(
                float(sample[(campaign, stratum)]["population"]) if (campaign, stratum) in sample else None
            ),
        )
        for campaign, stratum in keys
    ]


# --- rating patterns (both passes) ----------------------------------------------------------


async def rating_patterns(
    campaign_ids: Sequence[int],
    items: Mapping[tuple[int, str], tuple[Item, ...]],
    unit_codes: Sequence[str] = (),
) -> list[UnitPatterns]:
    """Counts of identical rating strings per campaign, unit, stratum and stored weight, with
    the strings of excluded and partial responses counted negatively (a few lookups through
    the response status index instead of one per counted row).

    `items` gives each (campaign, unit)'s rated items, the positions of its strings. The unit
    codes (any known ones) only split the key space into ranges read side by side; every row
    falls in exactly one range, known unit or not.
    """
    if not campaign_ids:
        return []
    concat = "string_agg({}, ',')" if Answer._meta.db.engine_type == "postgres" else "group_concat({}, ',')"
    sql = (
        f"SELECT campaign, unit_code, stratum, weight, {concat.format('levels')} AS patterns, "  # noqa: S608
        f"{concat.format('CAST(n AS TEXT)')} AS counts FROM ("
        "SELECT campaign, unit_code, stratum, weight, levels, COUNT(*) AS n FROM unit_rating "
        f"WHERE campaign IN ({_marks(len(campaign_ids))})<bounds> "
        "GROUP BY campaign, unit_code, stratum, weight, levels) p "
        "GROUP BY campaign, unit_code, stratum, weight"
    )
    gate = asyncio.Semaphore(PASS_CONCURRENCY)

    async def run(low: str | None, high: str | None) -> list[dict[str, Any]]:
        bounds, args = _range_condition(low, high)
        async with gate:
            return await _select(sql.replace("<bounds>", bounds), *campaign_ids, *args)

    ranges = _ranges(unit_codes, PASS_CONCURRENCY * 2)
    batches = await asyncio.gather(*(run(low, high) for low, high in ranges))
    parts: dict[tuple[int, str], list[tuple[str, float, list[str], list[int]]]] = defaultdict(list)
    for r in itertools.chain.from_iterable(batches):
        counts = [int(n) for n in r["counts"].split(",")]
        parts[(r["campaign"], r["unit_code"])].append(
            (r["stratum"], float(r["weight"]), r["patterns"].split(","), counts)
        )
    for r in await _not_counted_ratings(campaign_ids):
        parts[(r["campaign"], r["unit_code"])].append(
            (r["stratum"], float(r["weight"]), [r["levels"]], [-int(r["n"])])
        )
    return [_unit_patterns(key, items, groups) for key, groups in sorted(parts.items())]


def _unit_patterns(
    key: tuple[int, str],
    items: Mapping[tuple[int, str], tuple[Item, ...]],
    groups: list[tuple[str, float, list[str], list[int]]],
) -> UnitPatterns:
    campaign_id, unit_code = key
    unit_items = items.get(key)
    if unit_items is None:
        raise LookupError(f"campaign {campaign_id}: ratings of {unit_code}, not rated by its questionnaire")
    strata = tuple(sorted({stratum for stratum, _, _, _ in groups}))
    index = {stratum: i for i, stratum in enumerate(strata)}
    sizes = [len(patterns) for _, _, patterns, _ in groups]
    return UnitPatterns(
        campaign_id=campaign_id,
        unit_code=unit_code,
        items=unit_items,
        strata=strata,
        stratum_index=np.repeat([index[stratum] for stratum, _, _, _ in groups], sizes),
        weights=np.repeat([weight for _, weight, _, _ in groups], sizes),
        levels=decode_patterns([p for _, _, patterns, _ in groups for p in patterns], len(unit_items)),
        counts=np.array([n for _, _, _, counts in groups for n in counts], np.int64),
    )


def _ranges(codes: Sequence[str], parts: int) -> list[tuple[str | None, str | None]]:
    """`parts` half-open ranges of unit codes covering everything: (None, b1), …, (bk, None)."""
    ordered = sorted(set(codes))
    cuts = [ordered[len(ordered) * i // parts] for i in range(1, parts)] if len(ordered) >= parts else []
    bounds: list[str | None] = [None, *sorted(set(cuts)), None]
    return list(itertools.pairwise(bounds))


def _range_condition(low: str | None, high: str | None) -> tuple[str, list[str]]:
    parts, args = [], []
    if low is not None:
        parts.append(" AND unit_code >= {}")
        args.append(low)
    if high is not None:
        parts.append(" AND unit_code < {}")
        args.append(high)
    return "".join(parts), args


async def _not_counted_ratings(campaign_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Rating strings of excluded and partial responses, grouped like the counted ones."""
    return await _select(
        "SELECT u.campaign, u.unit_code, u.stratum, u.weight, u.levels, COUNT(*) AS n "  # noqa: S608
        "FROM response r JOIN unit_rating u ON u.response = r.id "
        f"WHERE r.campaign IN ({_marks(len(campaign_ids))}) AND r.status IN ({_NOT_COUNTED_STATUSES}) "
        "GROUP BY u.campaign, u.unit_code, u.stratum, u.weight, u.levels",
        *campaign_ids,
    )




# --- counts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    campaign_id: int
    status: str
    quality_flags: str
    count: int


async def status_counts(campaign_ids: Sequence[int]) -> list[StatusCount]:
    if not campaign_ids:
        return []
    rows = await _select(
        "SELECT campaign, status, quality_flags, COUNT(*) AS n FROM response "  # noqa: S608
        f"WHERE campaign IN ({_marks(len(campaign_ids))}) "
        "GROUP BY campaign, status, quality_flags",
        *campaign_ids,
    )
    return [StatusCount(r["campaign"], r["status"], r["quality_flags"], int(r["n"])) for r in rows]


async def sample_responses(campaign_ids: Sequence[int]) -> int:
    """Complete responses that answer an invitation: the numerator of a response rate
    (open-link answers have no invitation and are a channel, not part of the sample)."""
    if not campaign_ids:
        return 0
    rows = await _select(
        "SELECT COUNT(*) AS n FROM response "  # noqa: S608
        f"WHERE campaign IN ({_marks(len(campaign_ids))}) "
        "AND status = 'complete' AND invitation IS NOT NULL",
        *campaign_ids,
    )
    return int(rows[0]["n"])
