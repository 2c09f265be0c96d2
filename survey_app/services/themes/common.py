"""What every theme use case shares: errors, constants, the registry model (the stored theme
model with the analyst's labels and pins applied) and the preparation of opinion texts.

Theme identity. Theme rows are the stable entities the analyst curates; the pure model
(analysis.themes.ThemeModel) is stored in the latest applied ThemeRun with its theme ids equal
to the Theme row ids. The stored model is a *registry*: besides the themes of the latest run it
keeps the earlier themes the run did not touch, and the themes merged away, as aliases that
resolve to the theme they were merged into.

The database is the truth for what the analyst decided: edited labels, pinned keywords,
merges, hand-moved opinions and every decision (theme_decision) are read from it before every
run or edit, and a run never changes the id or the opinions of a theme with a decision.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from analysis.sentiment import score_sentiment
from analysis.text import Segmenter, clean_opinion, default_segmenter
from analysis.themes import ThemeModel, ThemeModelError
from survey_app.db.queries import theme_curation
from survey_app.db.queries import themes as queries
from survey_app.db.queries.themes import (
    ASSIGNED,
    DONE,
    PENDING,
    RECTIFYING,
    REVIEW,
    CorpusOpinion,
    ThemeState,
)
from survey_app.errors import InvalidInput

STATUS_LABELS = {PENDING: "待处理", ASSIGNED: "已转办", RECTIFYING: "整改中", REVIEW: "待验收",
                 DONE: "已办结"}
CHANNEL_LABELS = {"online": "网上填报", "paper": "纸质问卷", "interview": "访谈", "phone": "电话",
                  "open": "公开链接"}
SENTIMENT_LABELS = {"positive": "正面", "neutral": "中性", "negative": "负面"}
# The score an analyst's correction stands for in averages.
SENTIMENT_VALUES = {"positive": 0.6, "neutral": 0.0, "negative": -0.6}
PAGE_SIZE = 50
MAX_LABEL, MAX_KEYWORD, MAX_NOTE = 60, 20, 2000
CHINA = dt.timezone(dt.timedelta(hours=8))
# One theme-model operation at a time in this process: each reads the stored model, works
# for a while, then stores a new one; interleaving two would lose the first one's result.
MODEL_LOCK = asyncio.Lock()

Progress = Callable[[int, str], Awaitable[None]]


class ThemeError(InvalidInput):
    """What is wrong with an analyst's or unit's request, in Chinese."""


async def no_progress(percent: int, message: str) -> None:
    return None


def china_date(value: dt.datetime | None) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d") if value else ""


def china_time(value: dt.datetime | None) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else ""


# --- The registry model -----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Registry:
    stored: dict[str, Any]  # the stored JSON, theme ids = Theme row ids
    model: ThemeModel  # the same, with the analyst's labels and pins from the database
    states: dict[int, ThemeState]

    def resolve(self, theme_id: int) -> int | None:
        """The live Theme row a model theme stands for (following merges), if any."""
        seen: set[int] = set()
        current: int | None = theme_id
        while current is not None and current in self.states and current not in seen:
            seen.add(current)
            target = self.states[current].merged_into
            if target is None:
                return current
            current = target
        return None

    def live_ids(self) -> set[int]:
        """Model themes that are live rows (not merged away)."""
        return {
            tid for tid in self.model.theme_ids
            if tid in self.states and self.states[tid].merged_into is None
        }


async def load_registry() -> Registry | None:
    stored = await queries.latest_model()
    if stored is None or not stored.model.get("themes"):
        return None
    try:
        model = ThemeModel.from_dict(stored.model)
    except ThemeModelError as error:
        raise ThemeError(str(error)) from None
    states = await queries.theme_states()
    registry = Registry(stored.model, model, states)
    return replace(registry, model=_with_analyst_edits(registry))


def _with_analyst_edits(registry: Registry) -> ThemeModel:
    """Labels and pins of live rows only: a theme merged away lends its label to nothing."""
    live = registry.live_ids()
    labels = {tid: registry.states[tid].label for tid in live if registry.states[tid].label_edited}
    pins = {word: tid for tid in live for word in registry.states[tid].pinned_keywords}
    return replace(registry.model, custom_labels=labels, pins=pins)


async def require_registry() -> Registry:
    registry = await load_registry()
    if registry is None:
        raise ThemeError("尚未运行过主题聚类，请先运行聚类")
    return registry


async def protected_theme_ids(states: Mapping[int, ThemeState]) -> set[int]:
    """Live themes a run must leave alone: any with a recorded decision, an edited label,
    a pinned keyword, or a hand-over."""
    decided = await theme_curation.decided_theme_ids()
    return {
        tid for tid, s in states.items()
        if s.merged_into is None
        and (tid in decided or s.label_edited or s.pinned_keywords or s.status != PENDING)
    }


# --- Preparing texts ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Prepared:
    texts: list[str]  # cleaned (normalised, personal information masked)
    tokens: list[list[str]]
    sentiments: list[float]


@dataclass(frozen=True)
class Lexicon:
    """The analyst's word lists applied on a run: synonyms are rewritten to their standard
    word before segmentation; custom words are kept whole; stop words are dropped."""

    synonyms: tuple[tuple[str, str], ...] = ()  # (variant, standard)
    stop_words: tuple[str, ...] = ()
    custom_words: tuple[str, ...] = ()

    def segmenter(self) -> Segmenter:
        if not (self.stop_words or self.custom_words or self.synonyms):
            return default_segmenter()
        words = (*self.custom_words, *(standard for _, standard in self.synonyms))
        return Segmenter(extra_words=words, extra_stop_words=self.stop_words)

    def rewrite(self, text: str) -> str:
        for variant, standard in sorted(self.synonyms, key=lambda p: -len(p[0])):
            text = text.replace(variant, standard)
        return text


def prepare(
    opinions: Sequence[CorpusOpinion], *, rescore: bool, lexicon: Lexicon | None = None
) -> Prepared:
    """Segment once for every pure call that follows. `rescore`: score every opinion's
    sentiment afresh (a run); otherwise keep the stored scores and fill the missing ones.
    An analyst's correction of an opinion's sentiment always wins."""
    lexicon = lexicon or Lexicon()
    texts = [clean_opinion(o.text) for o in opinions]
    segmented = [lexicon.rewrite(t) for t in texts] if lexicon.synonyms else texts
    tokens = lexicon.segmenter().segment(segmented)
    if rescore:
        sentiments = score_sentiment(texts)
    else:
        missing = [i for i, o in enumerate(opinions) if o.sentiment is None]
        scored = dict(zip(missing, score_sentiment([texts[i] for i in missing]), strict=True))
        sentiments = [
            o.sentiment if o.sentiment is not None else scored[i] for i, o in enumerate(opinions)
        ]
    sentiments = [
        SENTIMENT_VALUES.get(o.sentiment_label, value)
        for o, value in zip(opinions, sentiments, strict=True)
    ]
    return Prepared(texts, tokens, sentiments)


def sentiment_changes(
    opinions: Sequence[CorpusOpinion], sentiments: Sequence[float]
) -> list[tuple[int, float]]:
    return [
        (o.id, value) for o, value in zip(opinions, sentiments, strict=True)
        if o.sentiment is None or not math.isclose(o.sentiment, value, abs_tol=1e-9)
    ]


def optional_int(raw: str, name: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ThemeError(f"{name}“{raw[:20]}”不是整数") from None
