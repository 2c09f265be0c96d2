"""What a score run is made of: the rated items of a period's campaigns (with their labels and
scales) and the design strata they were drawn in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis.scoring.weighting import StratumFrame, nonresponse_weights
from questionnaires.definition import from_canonical_dict
from questionnaires.model import ROW_SEPARATOR, DefinitionError, QuestionType
from survey_app.db.queries.score_runs import ScoreRunRecord as ScoreRunRecord  # for the API
from survey_app.db.queries.score_runs import UnitScoreRecord as UnitScoreRecord  # for the API
from survey_app.db.queries.scores import ScoredCampaign, StratumCounts
from survey_app.services.scores import (
    DEFAULT_DIMENSION,
)

# --- items ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInfo:
    key: str  # the item id used by the estimators and stored in the details
    question: str
    row: str
    label: str
    dimension: str


ItemKey = tuple[int, str, str]  # (campaign id, question, row)


def item_catalogue(campaigns: Sequence[ScoredCampaign]) -> dict[ItemKey, ItemInfo]:
    """Labels and dimensions of every rated item, from the frozen questionnaire versions.

    Items of the same questionnaire share a key across campaigns (two waves of one survey pool
    their answers); with several questionnaires in a run the key is prefixed with its code.
    """
    prefix = len({c.questionnaire_code for c in campaigns}) > 1
    catalogue: dict[ItemKey, ItemInfo] = {}
    for campaign in campaigns:
        try:
            questionnaire = from_canonical_dict(campaign.definition)
        except DefinitionError:
            continue  # answers are still scored; items fall back to their names
        for question in questionnaire.iter_questions():
            if question.type == QuestionType.RATING:
                entries = [("", question.label, question.dimension)]
            elif question.type == QuestionType.MATRIX_RATING:
                entries = [
                    (row.id, f"{question.label}（{row.label}）", question.row_dimension(row))
                    for row in question.rows
                ]
            else:
                continue
            for row, label, dimension in entries:
                catalogue[(campaign.id, question.name, row)] = ItemInfo(
                    key=_item_key(campaign, question.name, row, prefix),
                    question=question.name,
                    row=row,
                    label=label,
                    dimension=dimension or DEFAULT_DIMENSION,
                )
    return catalogue


def _item_key(campaign: ScoredCampaign, question: str, row: str, prefix: bool) -> str:
    name = f"{question}{ROW_SEPARATOR}{row}" if row else question
    return f"{campaign.questionnaire_code}/{name}" if prefix else name


def item_info(
    catalogue: dict[ItemKey, ItemInfo],
    campaign: ScoredCampaign,
    question: str,
    row: str,
    prefix: bool,
) -> ItemInfo:
    found = catalogue.get((campaign.id, question, row))
    if found is None:  # not in the definition any more: keep the answers, name the item plainly
        key = _item_key(campaign, question, row, prefix)
        found = catalogue[(campaign.id, question, row)] = ItemInfo(key, question, row, key, DEFAULT_DIMENSION)
    return found


# --- strata ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DesignStratum:
    key: str
    frame: StratumFrame
    adjustment: float  # a_h applied to the stored design weights


def stratum_key(campaign: ScoredCampaign, stratum: str) -> str:
    return f"{campaign.code}·{stratum or '开放链接'}"


def design_strata(
    counts: Sequence[StratumCounts], campaigns: Mapping[int, ScoredCampaign], cap: float
) -> dict[tuple[int, str], DesignStratum]:
    result: dict[tuple[int, str], DesignStratum] = {}
    for c in counts:
        key = stratum_key(campaigns[c.campaign_id], c.stratum)
        known = c.invited is not None and c.population is not None and c.respondents <= c.invited
        frame = StratumFrame(
            stratum=key,
            respondents=c.respondents,
            population=max(round(c.population or 0), c.invited or 0) if known else None,
            sampled=c.invited if known else None,
        )
        adjustment = 1.0
        if known and frame.population and frame.sampled and c.respondents > 0:
            adjustment = nonresponse_weights([frame], max_adjustment=cap)[0].adjustment
        result[(c.campaign_id, c.stratum)] = DesignStratum(key, frame, adjustment)
    return result
