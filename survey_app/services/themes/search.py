"""The analyst's tools: full-text search over opinions with the matches highlighted, filters
by period, campaign, unit, question, channel and respondent attributes, and the theme charts
(volume × sentiment, trend by period) drawn as SVG on the server. Any result or chart cell
resting on fewer than 5 respondents is suppressed, so no one can be singled out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from analysis.sentiment import NEUTRAL_BAND
from survey_app.db.queries import theme_opinions as opinion_queries
from survey_app.db.queries import theme_search
from survey_app.db.queries import themes as queries
from survey_app.db.queries.theme_search import ATTRIBUTES, SearchFilter
from survey_app.db.queries.themes import OpinionFilter
from survey_app.services.themes.common import PAGE_SIZE, ThemeError
from survey_app.services.themes.reading import (
    MIN_RESPONDENTS,
    MarkedOpinion,
    Pager,
    marked_opinions,
    pager_for,
)

# The charts' classes are those of analysis.sentiment (corrections set the score to match).
SENTIMENT_THRESHOLD = NEUTRAL_BAND
MAX_TEXT = 50
ATTRIBUTE_LABELS = {"industry": "行业", "size_class": "企业规模", "street": "街道"}


def parse_search(
    text: str, period: str, campaign: str, unit: str, question: str, channel: str,
    industry: str, size_class: str, street: str,
) -> SearchFilter:
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        raise ThemeError(f"检索词不能超过 {MAX_TEXT} 个字")
    campaign = campaign.strip()
    return SearchFilter(
        text=text, period=period.strip()[:16],
        campaign_id=int(campaign) if campaign.isdigit() and len(campaign) < 10 else None,
        unit_code=unit.strip()[:32], question=question.strip()[:64], channel=channel.strip()[:16],
        industry=industry.strip()[:64], size_class=size_class.strip()[:32],
        street=street.strip()[:64],
    )


def _narrowed(wanted: SearchFilter) -> bool:
    """Filters other than the search text narrow to a group of people."""
    return any((wanted.period, wanted.campaign_id, wanted.unit_code, wanted.question,
                wanted.channel, *wanted.attributes.values()))


@dataclass(frozen=True)
class SearchResult:
    wanted: SearchFilter
    opinions: list[MarkedOpinion]
    pager: Pager
    respondents: int
    suppressed: bool


async def search(wanted: SearchFilter, page: int) -> SearchResult:
    respondents = await theme_search.respondent_count(wanted)
    if _narrowed(wanted) and respondents < MIN_RESPONDENTS:
        return SearchResult(wanted, [], pager_for(1, 0), respondents, True)
    pager = pager_for(page, await theme_search.count(wanted))
    found = await theme_search.search(wanted, limit=PAGE_SIZE, offset=pager.offset)
    words = [wanted.text] if wanted.text else []
    return SearchResult(
        wanted, await marked_opinions(found, words), pager,
        respondents, False,
    )


@dataclass(frozen=True)
class SearchChoices:
    periods: list[str]
    campaigns: list[queries.CampaignOption]
    units: list[tuple[str, str]]
    questions: list[tuple[str, str]]  # (name, title)
    channels: list[str]
    attributes: dict[str, list[str]]  # only values with ≥ 5 respondents are offered


async def search_choices() -> SearchChoices:
    titles = await theme_search.question_titles()
    attributes = await theme_search.attribute_choices()
    names = await opinion_queries.unit_names()
    return SearchChoices(
        periods=await theme_search.periods(),
        campaigns=await opinion_queries.campaign_options(),
        units=sorted(names.items()),
        questions=[(q, titles.get(q, q)) for q in await opinion_queries.distinct_opinion_values("question")],
        channels=await opinion_queries.distinct_opinion_values("channel"),
        attributes={
            name: [value for value, n in attributes.get(name, []) if n >= MIN_RESPONDENTS]
            for name in ATTRIBUTES
        },
    )


# --- Charts --------------------------------------------------------------------------------

BAR_WIDTH, BAR_HEIGHT, LABEL_WIDTH = 420, 18, 180
MAX_BARS = 12


@dataclass(frozen=True)
class Bar:
    label: str
    n: int
    y: int
    parts: list[tuple[str, int, int, int]]  # (class, x, width, count)
    suppressed: bool


@dataclass(frozen=True)
class TrendLine:
    label: str
    points: list[tuple[int, int, str, int]]  # (x, y, share text, n)
    path: str


@dataclass(frozen=True)
class Charts:
    bars: list[Bar]
    height: int
    periods: list[tuple[int, str]]  # (x, period)
    lines: list[TrendLine]
    total: int
    suppressed_cells: int = 0
    colours: dict[str, str] = field(default_factory=lambda: {
        "negative": "#c0392b", "neutral": "#9aa5b1", "positive": "#2e8b57"})


def search_filter_of(scope: OpinionFilter) -> SearchFilter:
    """The theme list's filter as the charts read it (one campaign at most)."""
    return SearchFilter(
        period=scope.period, campaign_id=scope.campaign_ids[0] if scope.campaign_ids else None,
        unit_code=scope.unit_code, question=scope.question, channel=scope.channel,
        industry=scope.industry, size_class=scope.size_class, street=scope.street,
    )


async def charts(wanted: SearchFilter) -> Charts:
    figures = await theme_search.theme_figures(wanted, threshold=SENTIMENT_THRESHOLD)
    labels = {tid: t.label for tid, t in
              (await queries.themes_by_ids(sorted({f.theme_id for f in figures}))).items()}
    by_theme: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for f in figures:
        total = by_theme[f.theme_id]
        total[0] += f.negative
        total[1] += f.neutral
        total[2] += f.positive
        total[3] += f.respondents
    ranked = sorted(by_theme, key=lambda t: (-sum(by_theme[t][:3]), t))[:MAX_BARS]
    largest = max((sum(by_theme[t][:3]) for t in ranked), default=1)
    bars = []
    suppressed_cells = 0
    for row, tid in enumerate(ranked):
        negative, neutral, positive, respondents = by_theme[tid]
        n = negative + neutral + positive
        hidden = respondents < MIN_RESPONDENTS
        suppressed_cells += hidden
        parts = []
        x = LABEL_WIDTH
        if not hidden:
            for name, count in (("negative", negative), ("neutral", neutral),
                                ("positive", positive)):
                width = round(BAR_WIDTH * count / largest)
                parts.append((name, x, width, count))
                x += width
        bars.append(Bar(labels.get(tid, str(tid)), n, row * (BAR_HEIGHT + 8) + 10, parts, hidden))
    periods = sorted({f.period for f in figures})
    totals: dict[str, int] = defaultdict(int)
    for f in figures:
        totals[f.period] += f.n
    step = BAR_WIDTH // max(1, len(periods) - 1) if len(periods) > 1 else 0
    xs = [(LABEL_WIDTH // 3 + i * step, p) for i, p in enumerate(periods)]
    lines = []
    for tid in ranked[:6]:
        points = []
        for x, period in xs:
            cell = next((f for f in figures if f.theme_id == tid and f.period == period), None)
            if cell is None or cell.respondents < MIN_RESPONDENTS or not totals[period]:
                continue
            share = cell.n / totals[period]
            points.append((x, round(180 - 160 * share), f"{share:.0%}", cell.n))
        path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y, _, _) in enumerate(points))
        lines.append(TrendLine(labels.get(tid, str(tid)), points, path))
    return Charts(bars, len(bars) * (BAR_HEIGHT + 8) + 20, xs, lines,
                  sum(sum(v[:3]) for v in by_theme.values()), suppressed_cells)
