"""Queries reading opinions for the theme pages, exports and searches, and the choices of
the filter forms and the units' hand-over pages (split from db/queries/themes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.columns.combination import Where

from survey_app.db.queries.themes import (
    _THEME_COLUMNS,
    HANDED_STATUSES,
    CampaignOption,
    OpinionFilter,
    OpinionView,
    ThemeRecord,
    _chunks,
    _filter_clauses,
    _theme_record,
    _valid_ids,
)
from survey_app.db.tables import Campaign, Opinion, Theme, Unit

# --- Reading opinions -------------------------------------------------------------------

_OPINION_COLUMNS: tuple[Any, ...] = (
    Opinion.id,
    Opinion.text,
    Opinion.unit_code,
    Opinion.question,
    Opinion.channel,
    Opinion.campaign.name.as_alias("campaign_name"),
    Opinion.campaign.period.as_alias("period"),
    Opinion.sentiment,
    Opinion.theme,
    Opinion.theme.label.as_alias("theme_label"),
    Opinion.theme_locked,
    Opinion.sentiment_label,
    Opinion.set_aside,
)


def _opinion_view(row: dict[str, Any]) -> OpinionView:
    return OpinionView(
        id=row["id"],
        text=row["text"],
        unit_code=row["unit_code"] or "",
        question=row["question"],
        channel=row["channel"] or "",
        campaign_name=row["campaign_name"] or "",
        period=row["period"] or "",
        sentiment=row["sentiment"],
        theme_id=row["theme"],
        theme_label=row["theme_label"],
        locked=bool(row["theme_locked"]),
        sentiment_label=row["sentiment_label"] or "",
        set_aside=row["set_aside"] or "",
    )


def _theme_clause(theme_id: int | None) -> Where | Any:
    if theme_id is None:
        return Opinion.theme.is_null() & (Opinion.set_aside == "")
    return Opinion.theme == theme_id


async def theme_opinions(
    theme_id: int | None,
    scope: OpinionFilter,
    *,
    exclude: Sequence[int] = (),
    limit: int,
    offset: int,
) -> list[OpinionView]:
    """One page of a theme's opinions (None: the unassigned ones), oldest first."""
    clauses = [_theme_clause(theme_id), *_filter_clauses(scope)]
    if exclude:
        clauses.append(Opinion.id.not_in(list(exclude)))
    rows = await (
        Opinion.select(*_OPINION_COLUMNS)
        .where(*clauses)
        .order_by(Opinion.id)
        .limit(limit)
        .offset(offset)
    )
    return [_opinion_view(row) for row in rows]


async def count_theme_opinions(
    theme_id: int | None, scope: OpinionFilter, *, exclude: Sequence[int] = ()
) -> int:
    clauses = [_theme_clause(theme_id), *_filter_clauses(scope)]
    if exclude:
        clauses.append(Opinion.id.not_in(list(exclude)))
    return int(await Opinion.count().where(*clauses))


async def opinions_by_ids(
    opinion_ids: Sequence[int], *, theme_id: int, scope: OpinionFilter
) -> list[OpinionView]:
    """The given opinions that still belong to the theme and the scope, in the given order."""
    if not opinion_ids:
        return []
    rows = await Opinion.select(*_OPINION_COLUMNS).where(
        Opinion.id.is_in(list(opinion_ids)), Opinion.theme == theme_id, *_filter_clauses(scope)
    )
    by_id = {row["id"]: _opinion_view(row) for row in rows}
    return [by_id[i] for i in opinion_ids if i in by_id]


async def export_opinions(scope: OpinionFilter) -> list[OpinionView]:
    rows = await Opinion.select(*_OPINION_COLUMNS).where(*_filter_clauses(scope)).order_by(
        Opinion.id
    )
    return [_opinion_view(row) for row in rows]


async def existing_opinion_ids(opinion_ids: Sequence[int]) -> list[int]:
    found: list[int] = []
    for chunk in _chunks(_valid_ids(opinion_ids)):
        rows = await Opinion.select(Opinion.id).where(Opinion.id.is_in(chunk))
        found.extend(row["id"] for row in rows)
    return sorted(found)


# --- Filter choices and the unit pages ----------------------------------------------------


async def campaign_options() -> list[CampaignOption]:
    rows = await Campaign.select(
        Campaign.id, Campaign.name, Campaign.period, Campaign.status
    ).order_by(Campaign.id, ascending=False)
    return [CampaignOption(row["id"], row["name"], row["period"], row["status"]) for row in rows]


async def distinct_opinion_values(column: str) -> list[str]:
    """The questions or channels opinions exist for (filter choices)."""
    field = {"question": Opinion.question, "channel": Opinion.channel}[column]
    rows = await Opinion.select(field).distinct().order_by(field)
    return [row[column] for row in rows if row[column]]


async def unit_names() -> dict[str, str]:
    rows = await Unit.select(Unit.code, Unit.name)
    return {row["code"]: row["name"] for row in rows}


async def handed_over_themes(
    unit_id: int | None, *, limit: int, offset: int
) -> list[ThemeRecord]:
    """Themes handed to a unit (None: to any unit), nearest deadline first."""
    query = Theme.select(*_THEME_COLUMNS).where(
        Theme.status.is_in(list(HANDED_STATUSES)), Theme.unit.is_not_null()
    )
    if unit_id is not None:
        query = query.where(Theme.unit == unit_id)
    rows = await query.order_by(Theme.deadline).order_by(Theme.id).limit(limit).offset(offset)
    return [_theme_record(row) for row in rows]


async def count_handed_over(unit_id: int | None) -> int:
    query = Theme.count().where(
        Theme.status.is_in(list(HANDED_STATUSES)), Theme.unit.is_not_null()
    )
    if unit_id is not None:
        query = query.where(Theme.unit == unit_id)
    return int(await query)

