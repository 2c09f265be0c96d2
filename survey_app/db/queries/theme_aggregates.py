"""The aggregates the theme pages show: opinions and respondents per theme, unit and period.

They are grouped in SQL and fetched for one page of themes at a time, so the pages cost a fixed
handful of queries whatever the number of opinions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Avg, Count
from piccolo.querystring import QueryString

from survey_app.db.queries.themes import OpinionFilter, _filter_clauses
from survey_app.db.tables import Campaign, Opinion


@dataclass(frozen=True)
class ThemeCount:
    theme_id: int
    count: int
    mean_sentiment: float | None


async def theme_counts(scope: OpinionFilter, *, limit: int, offset: int) -> list[ThemeCount]:
    """Themes with opinions in `scope`, largest first: one GROUP BY."""
    rows = await (
        Opinion.select(Opinion.theme, Count(alias="n"), Avg(Opinion.sentiment, alias="mean"))
        .where(Opinion.theme.is_not_null(), *_filter_clauses(scope))
        .group_by(Opinion.theme)
        .order_by(QueryString("n"), ascending=False)
        .order_by(Opinion.theme)
        .limit(limit)
        .offset(offset)
    )
    return [ThemeCount(row["theme"], int(row["n"]), row["mean"]) for row in rows]


async def theme_respondents(scope: OpinionFilter, theme_ids: Sequence[int]) -> dict[int, int]:
    """Distinct respondents (responses) behind each theme's opinions in `scope`."""
    if not theme_ids:
        return {}
    rows = await Opinion.select(Opinion.theme, Opinion.response).where(
        Opinion.theme.is_in(list(theme_ids)), *_filter_clauses(scope)
    ).distinct()
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row["theme"]] += 1
    return dict(counts)


async def unassigned_respondents(scope: OpinionFilter) -> int:
    rows = await Opinion.select(Opinion.response).where(
        Opinion.theme.is_null(), Opinion.set_aside == "", *_filter_clauses(scope)
    ).distinct()
    return len(rows)


async def count_themes_with_opinions(scope: OpinionFilter) -> int:
    rows = await (
        Opinion.select(Opinion.theme)
        .where(Opinion.theme.is_not_null(), *_filter_clauses(scope))
        .distinct()
    )
    return len(rows)


async def unassigned_count(scope: OpinionFilter) -> int:
    return int(await Opinion.count().where(
        Opinion.theme.is_null(), Opinion.set_aside == "", *_filter_clauses(scope)))


async def set_aside_count(scope: OpinionFilter, reason: str) -> int:
    return int(await Opinion.count().where(Opinion.set_aside == reason, *_filter_clauses(scope)))


async def unit_breakdown(
    scope: OpinionFilter, theme_ids: Sequence[int]
) -> dict[int, list[tuple[str, int]]]:
    """Opinions per unit code for each theme, most first."""
    if not theme_ids:
        return {}
    rows = await (
        Opinion.select(Opinion.theme, Opinion.unit_code, Count(alias="n"))
        .where(Opinion.theme.is_in(list(theme_ids)), *_filter_clauses(scope))
        .group_by(Opinion.theme, Opinion.unit_code)
    )
    result: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        if row["unit_code"]:
            result[row["theme"]].append((row["unit_code"], int(row["n"])))
    for counts in result.values():
        counts.sort(key=lambda item: (-item[1], item[0]))
    return dict(result)


async def period_counts(
    scope: OpinionFilter, theme_ids: Sequence[int]
) -> tuple[dict[int, dict[str, int]], dict[str, int]]:
    """Opinions per survey period for each theme, and all opinions per period (the
    denominators of the theme's share); `scope`'s campaign filter is not applied."""
    clauses = _filter_clauses(scope.without_campaigns())
    period = Opinion.campaign.period
    total_rows = await (
        Opinion.select(period.as_alias("period"), Count(alias="n")).where(*clauses).group_by(period)
    )
    totals = {row["period"]: int(row["n"]) for row in total_rows}
    per_theme: dict[int, dict[str, int]] = defaultdict(dict)
    if theme_ids:
        rows = await (
            Opinion.select(Opinion.theme, period.as_alias("period"), Count(alias="n"))
            .where(Opinion.theme.is_in(list(theme_ids)), *clauses)
            .group_by(Opinion.theme, period)
        )
        for row in rows:
            per_theme[row["theme"]][row["period"]] = int(row["n"])
    return dict(per_theme), totals


async def campaign_periods(campaign_ids: Sequence[int]) -> list[str]:
    if not campaign_ids:
        return []
    rows = await Campaign.select(Campaign.period).where(Campaign.id.is_in(list(campaign_ids)))
    return sorted({row["period"] for row in rows})
