"""The core queries of theme analysis: the opinions a run clusters, the stored theme model and
theme rows. Curation, hand-over, opinion lists, search and the aggregates of the theme pages
live in the neighbouring theme_* modules."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from piccolo.columns import Column

from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import Campaign, Opinion, Theme, ThemeRun

# Rows per UPDATE … WHERE id IN (…): far below both engines' limits on bound parameters.
_CHUNK = 500
# Ids are 32-bit integers: a larger number from a URL or form names no row (and PostgreSQL
# would refuse to compare it).
_MAX_ID = 2**31 - 1

# Workflow states of a theme (待处理 → 已转办 → 整改中 → 已办结).
PENDING, ASSIGNED, RECTIFYING, DONE = "pending", "assigned", "rectifying", "done"
# The unit reported it done; the analyst or office accepts (验收) or returns it (退回).
REVIEW = "review"
OPEN_STATUSES = (ASSIGNED, RECTIFYING)
HANDED_STATUSES = (ASSIGNED, RECTIFYING, REVIEW, DONE)


RESPONDENT_ATTRIBUTES = ("industry", "size_class", "street")


@dataclass(frozen=True)
class OpinionFilter:
    """Which opinions a page, export or clustering run covers; empty means "all"."""

    campaign_ids: tuple[int, ...] = ()
    unit_code: str = ""
    question: str = ""
    channel: str = ""
    period: str = ""  # a survey period such as 2026-Q3
    # Respondent attributes (the enterprise's or resident's record)
    industry: str = ""
    size_class: str = ""
    street: str = ""

    def without_campaigns(self) -> OpinionFilter:
        """The same filter over every period (for the shares compared across periods)."""
        return replace(self, campaign_ids=(), period="")

    @property
    def attributes(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in RESPONDENT_ATTRIBUTES if getattr(self, name)}

    @property
    def is_empty(self) -> bool:
        return not (self.campaign_ids or self.unit_code or self.question or self.channel
                    or self.period or self.attributes)


@dataclass(frozen=True)
class CorpusOpinion:
    """An opinion as the clustering sees it."""

    id: int
    text: str
    theme_id: int | None
    locked: bool
    sentiment: float | None
    set_aside: str = ""  # "", "empty" (content-free) or "excluded"
    sentiment_label: str = ""  # the analyst's correction, if any


@dataclass(frozen=True)
class StoredModel:
    run_id: int
    model: dict[str, Any]


@dataclass(frozen=True)
class ThemeState:
    """What re-runs and edits must respect: the analyst's label, pins and merges."""

    id: int
    label: str
    label_edited: bool
    pinned_keywords: tuple[str, ...]
    merged_into: int | None
    status: str


@dataclass(frozen=True)
class ThemeRecord:
    id: int
    label: str
    label_edited: bool
    keywords: list[str]
    pinned_keywords: list[str]
    size: int
    sentiment: float | None
    representatives: list[int]
    run_id: int | None
    merged_into: int | None
    status: str
    unit_id: int | None
    unit_name: str | None
    deadline: dt.datetime | None
    handover_note: str
    reply: str
    replied_at: dt.datetime | None
    updated_at: dt.datetime | None

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.status in OPEN_STATUSES and self.deadline is not None and self.deadline < now


@dataclass(frozen=True)
class OpinionView:
    id: int
    text: str
    unit_code: str
    question: str
    channel: str
    campaign_name: str
    period: str
    sentiment: float | None
    theme_id: int | None
    theme_label: str | None
    locked: bool
    sentiment_label: str = ""
    set_aside: str = ""


@dataclass(frozen=True)
class CampaignOption:
    id: int
    name: str
    period: str
    status: str


@dataclass(frozen=True)
class ThemeDescription:
    """What a clustering run or an edit says about one theme row."""

    theme_id: int
    label: str | None  # None: keep the analyst's label
    keywords: list[str]
    representatives: list[int]


@dataclass(frozen=True)
class ThemeOption:
    id: int
    label: str
    size: int


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """One atomic unit of work (the services decide where it begins and ends)."""
    async with Theme._meta.db.transaction():
        yield


# --- Filters ----------------------------------------------------------------------------


def _filter_clauses(scope: OpinionFilter) -> list[Any]:
    clauses: list[Any] = []
    if scope.campaign_ids:
        clauses.append(Opinion.campaign.is_in(list(scope.campaign_ids)))
    if scope.unit_code:
        clauses.append(Opinion.unit_code == scope.unit_code)
    if scope.question:
        clauses.append(Opinion.question == scope.question)
    if scope.channel:
        clauses.append(Opinion.channel == scope.channel)
    if scope.period:
        clauses.append(Opinion.campaign.period == scope.period)
    respondent: Any = Opinion.response.invitation
    for name, value in scope.attributes.items():
        clauses.append(getattr(respondent.respondent, name) == value)
    return clauses


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


# --- The corpus a run or an edit works on -----------------------------------------------


async def campaign_ids_with_status(statuses: Sequence[str]) -> list[int]:
    rows = await Campaign.select(Campaign.id).where(Campaign.status.is_in(list(statuses)))
    return sorted(row["id"] for row in rows)


async def corpus_opinions(scope: OpinionFilter | None) -> list[CorpusOpinion]:
    """Opinions in `scope` (None: every opinion), oldest first."""
    query = Opinion.select(*_CORPUS_COLUMNS).order_by(Opinion.id)
    if scope is not None and not scope.is_empty:
        query = query.where(*_filter_clauses(scope))
    return [_corpus_opinion(row) for row in await query]


async def unassigned_opinions() -> list[CorpusOpinion]:
    """Opinions in no theme that are not set aside (new, or held as 新议题)."""
    rows = await (
        Opinion.select(*_CORPUS_COLUMNS)
        .where(Opinion.theme.is_null(), Opinion.set_aside == "")
        .order_by(Opinion.id)
    )
    return [_corpus_opinion(row) for row in rows]


_CORPUS_COLUMNS = (
    Opinion.id, Opinion.text, Opinion.theme, Opinion.theme_locked, Opinion.sentiment,
    Opinion.set_aside, Opinion.sentiment_label,
)


def _corpus_opinion(row: dict[str, Any]) -> CorpusOpinion:
    return CorpusOpinion(
        id=row["id"],
        text=row["text"],
        theme_id=row["theme"],
        locked=bool(row["theme_locked"]),
        sentiment=row["sentiment"],
        set_aside=row["set_aside"] or "",
        sentiment_label=row["sentiment_label"] or "",
    )


async def count_opinions(scope: OpinionFilter | None = None) -> int:
    query = Opinion.count()
    if scope is not None and not scope.is_empty:
        query = query.where(*_filter_clauses(scope))
    return int(await query)


# --- The stored model and the runs ------------------------------------------------------


async def latest_model() -> StoredModel | None:
    row = await (
        ThemeRun.select(ThemeRun.id, ThemeRun.model)
        .where(ThemeRun.status == "done")
        .order_by(ThemeRun.id, ascending=False)
        .first()
    )
    if row is None:
        return None
    return StoredModel(row["id"], json_value(row["model"], {}))


async def latest_discovery() -> dict[str, Any] | None:
    """When and over what the last clustering (not an edit) ran, for the page header."""
    rows = await (
        ThemeRun.select(ThemeRun.id, ThemeRun.scope, ThemeRun.opinion_count, ThemeRun.created_at)
        .where(ThemeRun.status == "done")
        .order_by(ThemeRun.id, ascending=False)
        .limit(100)
    )
    for row in rows:
        scope = json_value(row["scope"], {})
        if "edit" not in scope:
            return {"id": row["id"], "scope": scope, "opinion_count": row["opinion_count"],
                    "created_at": aware(row["created_at"])}
    return None


async def insert_run(
    *,
    scope: dict[str, Any],
    k: int | None,
    seed: int,
    model: dict[str, Any],
    opinion_count: int,
    job_id: int | None,
    created_by: int | None,
) -> int:
    rows = await ThemeRun.insert(
        ThemeRun(
            scope=scope,
            status="done",
            k_requested=k,
            seed=seed,
            model=model,
            opinion_count=opinion_count,
            job=job_id,
            created_by=created_by,
        )
    ).returning(ThemeRun.id)
    return int(rows[0]["id"])


# --- Theme rows written by runs and edits -----------------------------------------------


async def theme_states() -> dict[int, ThemeState]:
    rows = await Theme.select(
        Theme.id, Theme.label, Theme.label_edited, Theme.pinned_keywords, Theme.merged_into,
        Theme.status,
    )
    return {
        row["id"]: ThemeState(
            id=row["id"],
            label=row["label"],
            label_edited=bool(row["label_edited"]),
            pinned_keywords=tuple(json_value(row["pinned_keywords"], [])),
            merged_into=row["merged_into"],
            status=row["status"],
        )
        for row in rows
    }


async def insert_themes(labels: Sequence[str]) -> list[int]:
    if not labels:
        return []
    rows = await Theme.insert(*[Theme(label=label[:128]) for label in labels]).returning(Theme.id)
    return sorted(int(row["id"]) for row in rows)


async def describe_themes(descriptions: Sequence[ThemeDescription], run_id: int) -> None:
    now = utcnow()
    for item in descriptions:
        values: dict[Column | str, Any] = {
            Theme.keywords: item.keywords,
            Theme.representatives: item.representatives,
            Theme.run: run_id,
            Theme.updated_at: now,
        }
        if item.label is not None:
            values[Theme.label] = item.label[:128]
        await Theme.update(values).where(Theme.id == item.theme_id)


async def set_opinion_themes(changes: Sequence[tuple[int, int | None]]) -> None:
    """(opinion id, theme id or None) pairs, written as one UPDATE per theme and chunk."""
    by_theme: dict[int | None, list[int]] = defaultdict(list)
    for opinion_id, theme_id in changes:
        by_theme[theme_id].append(opinion_id)
    for theme_id, opinion_ids in by_theme.items():
        for chunk in _chunks(opinion_ids):
            await Opinion.update({Opinion.theme: theme_id}).where(Opinion.id.is_in(chunk))


async def set_opinion_sentiments(changes: Sequence[tuple[int, float]]) -> None:
    """Sentiment scores take few distinct values, so grouping by value keeps this to a
    handful of statements rather than one per opinion."""
    by_value: dict[float, list[int]] = defaultdict(list)
    for opinion_id, value in changes:
        by_value[value].append(opinion_id)
    for value, opinion_ids in by_value.items():
        for chunk in _chunks(opinion_ids):
            await Opinion.update({Opinion.sentiment: value}).where(Opinion.id.is_in(chunk))


async def refresh_theme_stats() -> None:
    """Size and mean sentiment of every theme from its opinions (the index on
    opinion.theme makes each subquery a lookup)."""
    await Theme.raw(
        "UPDATE theme SET "
        "size = (SELECT COUNT(*) FROM opinion WHERE opinion.theme = theme.id), "
        "sentiment = (SELECT AVG(opinion.sentiment) FROM opinion WHERE opinion.theme = theme.id)"
    )


# --- Reading themes ---------------------------------------------------------------------

_THEME_COLUMNS: tuple[Column | Any, ...] = (
    Theme.id,
    Theme.label,
    Theme.label_edited,
    Theme.keywords,
    Theme.pinned_keywords,
    Theme.size,
    Theme.sentiment,
    Theme.representatives,
    Theme.run,
    Theme.merged_into,
    Theme.status,
    Theme.unit,
    Theme.unit.name.as_alias("unit_name"),
    Theme.deadline,
    Theme.handover_note,
    Theme.reply,
    Theme.replied_at,
    Theme.updated_at,
)


def _theme_record(row: dict[str, Any]) -> ThemeRecord:
    return ThemeRecord(
        id=row["id"],
        label=row["label"],
        label_edited=bool(row["label_edited"]),
        keywords=list(json_value(row["keywords"], [])),
        pinned_keywords=list(json_value(row["pinned_keywords"], [])),
        size=row["size"] or 0,
        sentiment=row["sentiment"],
        representatives=[int(i) for i in json_value(row["representatives"], [])],
        run_id=row["run"],
        merged_into=row["merged_into"],
        status=row["status"],
        unit_id=row["unit"],
        unit_name=row["unit_name"],
        deadline=aware(row["deadline"]),
        handover_note=row["handover_note"] or "",
        reply=row["reply"] or "",
        replied_at=aware(row["replied_at"]),
        updated_at=aware(row["updated_at"]),
    )


def _valid_ids(ids: Iterable[int]) -> list[int]:
    return [i for i in ids if 0 < i <= _MAX_ID]


async def find_theme(theme_id: int) -> ThemeRecord | None:
    if not _valid_ids([theme_id]):
        return None
    row = await Theme.select(*_THEME_COLUMNS).where(Theme.id == theme_id).first()
    return _theme_record(row) if row else None


async def themes_by_ids(theme_ids: Sequence[int]) -> dict[int, ThemeRecord]:
    if not theme_ids:
        return {}
    rows = await Theme.select(*_THEME_COLUMNS).where(Theme.id.is_in(list(theme_ids)))
    return {row["id"]: _theme_record(row) for row in rows}


async def all_themes() -> list[ThemeRecord]:
    """Every theme not merged away, largest first (for the export)."""
    rows = await (
        Theme.select(*_THEME_COLUMNS)
        .where(Theme.merged_into.is_null())
        .order_by(Theme.size, ascending=False)
        .order_by(Theme.id)
    )
    return [_theme_record(row) for row in rows]


async def theme_options() -> list[ThemeOption]:
    """Themes an opinion can be moved to or merged with: those with opinions."""
    rows = await (
        Theme.select(Theme.id, Theme.label, Theme.size)
        .where(Theme.merged_into.is_null(), Theme.size > 0)
        .order_by(Theme.size, ascending=False)
        .order_by(Theme.id)
    )
    return [ThemeOption(row["id"], row["label"], row["size"] or 0) for row in rows]
