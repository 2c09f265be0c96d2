"""Reading themes: the theme list with counts, shares by period and units, one theme's
opinions with keywords highlighted, and the choices of the filter forms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from survey_app.db.queries import theme_aggregates as aggregates
from survey_app.db.queries import theme_opinions as opinion_queries
from survey_app.db.queries import theme_search
from survey_app.db.queries import themes as queries
from survey_app.db.queries._rows import utcnow
from survey_app.db.queries.themes import OpinionFilter, OpinionView, ThemeOption, ThemeRecord
from survey_app.errors import NotFound
from survey_app.services.themes.common import PAGE_SIZE
from survey_app.services.themes.lineage import SplitInfo, split_info

# Fewer respondents than this behind a filtered figure: it is not shown.
MIN_RESPONDENTS = 5

# --- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pager:
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def pager_for(page: int, total: int) -> Pager:
    size = PAGE_SIZE
    pages = max(1, -(-total // size))
    return Pager(min(max(1, page), pages), size, total)


@dataclass(frozen=True)
class UnitShare:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class ThemeLine:
    theme: ThemeRecord
    count: int
    mean_sentiment: float | None
    units: list[UnitShare]
    share_now: float | None
    share_before: float | None
    overdue: bool
    # Under a filter, a theme resting on fewer than MIN_RESPONDENTS respondents shows no
    # figures (nobody can be singled out by narrowing the filter).
    suppressed: bool = False

    @property
    def change(self) -> float | None:
        if self.share_now is None or self.share_before is None:
            return None
        return self.share_now - self.share_before


@dataclass(frozen=True)
class Overview:
    lines: list[ThemeLine]
    pager: Pager
    unassigned: int
    period_now: str | None
    period_before: str | None
    last_run: dict[str, Any] | None
    empty: int = 0  # content-free answers set aside (counted, never a theme)
    excluded: int = 0  # set aside by an analyst


async def theme_lines(
    scope: OpinionFilter, *, limit: int, offset: int
) -> tuple[list[ThemeLine], str | None, str | None]:
    counts = await aggregates.theme_counts(scope, limit=limit, offset=offset)
    ids = [c.theme_id for c in counts]
    records = await queries.themes_by_ids(ids)
    breakdown = await aggregates.unit_breakdown(scope, ids)
    per_theme, totals = await aggregates.period_counts(scope, ids)
    people = await aggregates.theme_respondents(scope, ids) if not scope.is_empty else {}
    names = await opinion_queries.unit_names()
    now_period, before_period = _compared_periods(
        sorted(totals), await aggregates.campaign_periods(scope.campaign_ids)
    )
    now = utcnow()

    def share(theme_id: int, period: str | None) -> float | None:
        if period is None or not totals.get(period):
            return None
        return per_theme.get(theme_id, {}).get(period, 0) / totals[period]

    lines = [
        ThemeLine(
            theme=records[c.theme_id],
            count=c.count,
            mean_sentiment=c.mean_sentiment,
            units=[UnitShare(code, names.get(code, code), n)
                   for code, n in breakdown.get(c.theme_id, [])],
            share_now=share(c.theme_id, now_period),
            share_before=share(c.theme_id, before_period),
            overdue=records[c.theme_id].is_overdue(now),
            suppressed=not scope.is_empty and people.get(c.theme_id, 0) < MIN_RESPONDENTS,
        )
        for c in counts
        if c.theme_id in records
    ]
    return lines, now_period, before_period


def _compared_periods(
    periods: Sequence[str], selected: Sequence[str]
) -> tuple[str | None, str | None]:
    """This period (the selected campaigns' latest, else the latest with opinions) and the
    one before it. Periods such as 2026-Q3 sort in time order as text."""
    if not periods:
        return None, None
    now = max(selected) if selected else periods[-1]
    earlier = [p for p in periods if p < now]
    return now, (earlier[-1] if earlier else None)


async def overview(scope: OpinionFilter, page: int) -> Overview:
    total = await aggregates.count_themes_with_opinions(scope)
    pager = pager_for(page, total)
    lines, now_period, before_period = await theme_lines(
        scope, limit=pager.size, offset=pager.offset
    )
    return Overview(
        lines=lines, pager=pager, unassigned=await aggregates.unassigned_count(scope),
        period_now=now_period, period_before=before_period,
        last_run=await queries.latest_discovery(),
        empty=await aggregates.set_aside_count(scope, "empty"),
        excluded=await aggregates.set_aside_count(scope, "excluded"),
    )


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool


@dataclass(frozen=True)
class MarkedOpinion:
    opinion: OpinionView
    segments: list[Segment]
    # What the page shows instead of the unit's code and the question's key.
    unit_name: str = ""
    question_title: str = ""


async def marked_opinions(
    items: Sequence[OpinionView], keywords: Sequence[str] = ()
) -> list[MarkedOpinion]:
    """Opinions with their keywords highlighted, unit names and question titles."""
    if not items:
        return []
    names = await opinion_queries.unit_names()
    titles = await theme_search.question_titles()
    return [
        MarkedOpinion(o, highlight(o.text, keywords), names.get(o.unit_code, o.unit_code),
                      titles.get(o.question, "") or "开放题")
        for o in items
    ]


def highlight(text: str, keywords: Sequence[str]) -> list[Segment]:
    """`text` cut into plain and keyword segments (longest keyword first, ASCII case-
    insensitive). The template escapes each segment and wraps the marked ones in <mark>:
    no HTML is ever built from the opinion's text."""
    words = sorted({w for w in keywords if w.strip()}, key=lambda w: (-len(w), w))
    if not words or not text:
        return [Segment(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    segments: list[Segment] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            segments.append(Segment(text[position : match.start()], False))
        segments.append(Segment(match.group(), True))
        position = match.end()
    if position < len(text):
        segments.append(Segment(text[position:], False))
    return segments


@dataclass(frozen=True)
class ThemeDetail:
    theme: ThemeRecord | None  # None: the unassigned opinions
    representatives: list[MarkedOpinion]
    opinions: list[MarkedOpinion]
    pager: Pager
    units: list[UnitShare]
    options: list[ThemeOption] = field(default_factory=list)
    overdue: bool = False
    suppressed: bool = False  # a filter narrows it to fewer than MIN_RESPONDENTS respondents
    split: SplitInfo | None = None  # the theme was split into these parts


async def _respondents(theme_id: int | None, scope: OpinionFilter) -> int:
    if theme_id is None:
        return await aggregates.unassigned_respondents(scope)
    return (await aggregates.theme_respondents(scope, [theme_id])).get(theme_id, 0)


async def theme_detail(
    theme_id: int | None, scope: OpinionFilter, page: int, *, suppress_small: bool = True
) -> ThemeDetail:
    """A theme's opinions (None: the unassigned ones), representatives first, paged.
    `suppress_small`: an analyst's filter that leaves fewer than MIN_RESPONDENTS respondents
    shows nothing (a unit reading the opinions about itself is not filtering)."""
    theme = None
    keywords: list[str] = []
    split = None
    if theme_id is not None:
        theme = await queries.find_theme(theme_id)
        if theme is None:
            raise NotFound("主题不存在")
        keywords = [*theme.keywords, *theme.pinned_keywords]
        split = await split_info(theme.id)
    if (suppress_small and not scope.is_empty
            and await _respondents(theme_id, scope) < MIN_RESPONDENTS):
        return ThemeDetail(theme, [], [], pager_for(1, 0), [], suppressed=True, split=split,
                           overdue=theme.is_overdue(utcnow()) if theme else False)
    representatives = (
        await opinion_queries.opinions_by_ids(theme.representatives, theme_id=theme.id, scope=scope)
        if theme is not None else []
    )
    shown = [o.id for o in representatives]
    total = await opinion_queries.count_theme_opinions(theme_id, scope, exclude=shown)
    pager = pager_for(page, total)
    opinions = await opinion_queries.theme_opinions(
        theme_id, scope, exclude=shown, limit=pager.size, offset=pager.offset
    )
    names = await opinion_queries.unit_names()
    units = []
    if theme is not None:
        breakdown = await aggregates.unit_breakdown(scope, [theme.id])
        units = [UnitShare(c, names.get(c, c), n) for c, n in breakdown.get(theme.id, [])]

    return ThemeDetail(
        theme=theme,
        representatives=await marked_opinions(representatives, keywords)
        if pager.page == 1 else [],
        opinions=await marked_opinions(opinions, keywords),
        pager=pager,
        units=units,
        options=[o for o in await queries.theme_options() if o.id != theme_id],
        overdue=theme.is_overdue(utcnow()) if theme else False,
        split=split,
    )
