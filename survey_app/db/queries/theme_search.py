"""Queries of the analyst's tools: full-text search over opinions with filters by period,
campaign, unit, question, channel and respondent attributes (industry, size, street), the
counts of distinct respondents behind a filter (for small-cell suppression), the figures of
the theme charts, and the question titles of the questionnaires."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw

from survey_app.db.queries._rows import json_value
from survey_app.db.queries.theme_opinions import _OPINION_COLUMNS, OpinionView, _opinion_view
from survey_app.db.tables import Campaign, Opinion

ATTRIBUTES = ("industry", "size_class", "street")
_RESPONDENT: Any = Opinion.response.invitation  # .respondent: the enterprise or resident
_RESPONDENT = _RESPONDENT.respondent


@dataclass(frozen=True)
class SearchFilter:
    text: str = ""
    period: str = ""
    campaign_id: int | None = None
    unit_code: str = ""
    question: str = ""
    channel: str = ""
    industry: str = ""
    size_class: str = ""
    street: str = ""

    @property
    def attributes(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ATTRIBUTES if getattr(self, name)}


def _contains(text: str) -> WhereRaw:
    """Plain substring match (no LIKE wildcards to escape), on either engine."""
    if Opinion._meta.db.engine_type == "postgres":
        return WhereRaw("strpos(opinion.text, {}) > 0", text)
    return WhereRaw("instr(opinion.text, {}) > 0", text)


def _clauses(wanted: SearchFilter) -> list[Any]:
    clauses: list[Any] = [Opinion.set_aside != "excluded"]
    if wanted.text:
        clauses.append(_contains(wanted.text))
    if wanted.period:
        clauses.append(Opinion.campaign.period == wanted.period)
    if wanted.campaign_id is not None:
        clauses.append(Opinion.campaign == wanted.campaign_id)
    if wanted.unit_code:
        clauses.append(Opinion.unit_code == wanted.unit_code)
    if wanted.question:
        clauses.append(Opinion.question == wanted.question)
    if wanted.channel:
        clauses.append(Opinion.channel == wanted.channel)
    for name, value in wanted.attributes.items():
        clauses.append(getattr(_RESPONDENT, name) == value)
    return clauses


async def respondent_count(wanted: SearchFilter) -> int:
    """Distinct respondents (responses) whose opinions match."""
    rows = await Opinion.select(Opinion.response).where(*_clauses(wanted)).distinct()
    return len(rows)


async def count(wanted: SearchFilter) -> int:
    return int(await Opinion.count().where(*_clauses(wanted)))


async def search(wanted: SearchFilter, *, limit: int, offset: int) -> list[OpinionView]:
    """One page of matching opinions, newest first."""
    rows = await (
        Opinion.select(*_OPINION_COLUMNS).where(*_clauses(wanted))
        .order_by(Opinion.id, ascending=False).limit(limit).offset(offset)
    )
    return [_opinion_view(row) for row in rows]


async def attribute_choices() -> dict[str, list[tuple[str, int]]]:
    """Each respondent attribute's values with the number of respondents who gave
    opinions."""
    result: dict[str, list[tuple[str, int]]] = {}
    for name in ATTRIBUTES:
        column = getattr(_RESPONDENT, name)
        rows = await Opinion.select(column.as_alias("value"), Opinion.response).where(
            column.is_not_null(), column != ""
        ).distinct()
        counts: dict[str, int] = defaultdict(int)
        for row in rows:
            counts[row["value"]] += 1
        result[name] = sorted(counts.items())
    return result


async def periods() -> list[str]:
    rows = await Campaign.select(Campaign.period).distinct().order_by(Campaign.period)
    return [row["period"] for row in rows]


@dataclass(frozen=True)
class ThemeFigure:
    theme_id: int
    period: str
    positive: int
    neutral: int
    negative: int
    respondents: int

    @property
    def n(self) -> int:
        return self.positive + self.neutral + self.negative


async def theme_figures(wanted: SearchFilter, *, threshold: float) -> list[ThemeFigure]:
    """Opinions per theme and period by sentiment class, with distinct respondents."""
    rows = await Opinion.select(
        Opinion.theme, Opinion.campaign.period.as_alias("period"), Opinion.sentiment,
        Opinion.response,
    ).where(Opinion.theme.is_not_null(), *_clauses(wanted))
    cells: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    people: dict[tuple[int, str], set[int]] = defaultdict(set)
    for row in rows:
        key = (row["theme"], row["period"])
        value = row["sentiment"] or 0.0
        cells[key][0 if value > threshold else (2 if value < -threshold else 1)] += 1
        people[key].add(row["response"])
    return [
        ThemeFigure(theme, period, positive=counts[0], neutral=counts[1], negative=counts[2],
                    respondents=len(people[(theme, period)]))
        for (theme, period), counts in sorted(cells.items())
    ]


async def question_titles() -> dict[str, str]:
    """Question name -> its label, from every questionnaire version used by a campaign."""
    rows = await Campaign.select(Campaign.version.definition.as_alias("definition"))
    titles: dict[str, str] = {}
    for row in rows:
        definition = json_value(row["definition"], {})
        for section in definition.get("sections", []) if isinstance(definition, dict) else []:
            for question in section.get("questions", []) if isinstance(section, dict) else []:
                if isinstance(question, dict) and question.get("name") and question.get("label"):
                    titles.setdefault(str(question["name"]), str(question["label"]))
    return titles
