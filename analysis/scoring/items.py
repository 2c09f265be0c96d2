"""Per-item statistics of one unit: mean, SE, 满意率 with Wilson CI, 知晓率, level shares.

Input is one SQL GROUP BY over normalised answer rows (score NULL = 不了解):

    SELECT item_id, stratum, score, COUNT(*) AS n, SUM(weight) AS sum_w,
           SUM(weight * weight) AS sum_w2
    FROM answer_rows WHERE unit_code = :unit AND <campaign/period, not excluded>
    GROUP BY item_id, stratum, score

Because a score identifies its answer level, these cells give every sum the estimators need
(Σwy = y·Σw, Σw²y² = y²·Σw² …) and the weighted distribution over levels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from analysis.scoring.errors import ScoringError
from analysis.scoring.estimators import (
    MeanEstimate,
    StratumMoments,
    estimate_mean,
    wilson_interval,
)
from analysis.scoring.settings import ScoringSettings
from analysis.scoring.weighting import StratumFrame


@dataclass(frozen=True)
class ItemCell:
    """One row of the GROUP BY item, stratum, score query (for one unit)."""

    item: str
    stratum: str
    score: float | None  # None = 不了解
    n: int
    sum_w: float
    sum_w2: float


@dataclass(frozen=True)
class ItemEstimate:
    item: str
    n_valid: int
    n_unaware: int
    weight_valid: float  # W_j = Σ w over valid answers (needed by the unit index plan)
    weight_unaware: float
    estimate: MeanEstimate | None  # None when nobody gave a valid answer
    satisfaction_rate: float | None  # weighted share in the mapping's satisfied levels
    satisfaction_rate_ci: tuple[float, float] | None  # Wilson with n_eff
    broad_satisfaction_rate: float | None  # … including 基本满意
    distribution: tuple[tuple[str, float], ...]  # weighted share per level/score, best first

    @property
    def mean(self) -> float | None:
        return self.estimate.mean if self.estimate else None

    @property
    def awareness(self) -> float | None:
        """知晓率 = 1 − weighted share of 不了解 among everyone asked."""
        asked = self.weight_valid + self.weight_unaware
        return self.weight_valid / asked if asked > 0 else None


def assemble_item(
    item: str,
    estimate: MeanEstimate | None,
    counts: tuple[int, int],
    weight_by_score: Mapping[float, float],
    weight_unaware: float,
    settings: ScoringSettings,
) -> ItemEstimate:
    """Rates and distribution from weighted totals per score (shared by both input paths).

    满意率 uses the mapping's score thresholds, so items on other 0–100 scales (a 0–10 rating
    rescaled) count a score as satisfied when it reaches the score of 满意.
    """
    mapping = settings.mapping
    weight_valid = sum(weight_by_score.values())
    n_valid, n_unaware = counts
    if weight_valid <= 0 or estimate is None:
        return ItemEstimate(
            item, n_valid, n_unaware, 0.0, weight_unaware, None, None, None, None, ()
        )
    rate = sum(w for y, w in weight_by_score.items() if mapping.is_satisfied(y))
    broad = sum(w for y, w in weight_by_score.items() if mapping.is_broadly_satisfied(y))
    satisfaction = rate / weight_valid
    return ItemEstimate(
        item=item,
        n_valid=n_valid,
        n_unaware=n_unaware,
        weight_valid=weight_valid,
        weight_unaware=weight_unaware,
        estimate=estimate,
        satisfaction_rate=satisfaction,
        satisfaction_rate_ci=wilson_interval(
            satisfaction, estimate.n_effective, settings.confidence
        ),
        broad_satisfaction_rate=broad / weight_valid,
        distribution=tuple(
            (mapping.label_of(y), w / weight_valid)
            for y, w in sorted(weight_by_score.items(), reverse=True)
        ),
    )


def item_estimates(
    cells: Iterable[ItemCell],
    frames: Sequence[StratumFrame] = (),
    settings: ScoringSettings | None = None,
) -> tuple[ItemEstimate, ...]:
    """One `ItemEstimate` per item present in the cells, ordered by item id."""
    settings = settings or ScoringSettings()
    by_item: dict[str, list[ItemCell]] = defaultdict(list)
    for cell in cells:
        if cell.n < 0 or cell.sum_w < 0 or cell.sum_w2 < 0:
            raise ScoringError(f"题目「{cell.item}」的汇总数据不能为负数")
        by_item[cell.item].append(cell)
    return tuple(
        _item_from_cells(item, by_item[item], frames, settings) for item in sorted(by_item)
    )


def _item_from_cells(
    item: str, cells: Sequence[ItemCell], frames: Sequence[StratumFrame], settings: ScoringSettings
) -> ItemEstimate:
    valid = [c for c in cells if c.score is not None and c.n > 0]
    unaware = [c for c in cells if c.score is None]
    weight_by_score: dict[float, float] = defaultdict(float)
    for cell in valid:
        weight_by_score[_score(cell)] += cell.sum_w
    estimate = (
        estimate_mean(_moments(valid), frames, settings.confidence)
        if sum(c.sum_w for c in valid) > 0
        else None
    )
    return assemble_item(
        item,
        estimate,
        (sum(c.n for c in valid), sum(c.n for c in unaware)),
        weight_by_score,
        sum(c.sum_w for c in unaware),
        settings,
    )


def _moments(cells: Sequence[ItemCell]) -> tuple[StratumMoments, ...]:
    """Per-stratum sums of y from cells that each hold one score value y."""
    by_stratum: dict[str, list[tuple[ItemCell, float]]] = defaultdict(list)
    for cell in cells:
        by_stratum[cell.stratum].append((cell, _score(cell)))
    return tuple(
        StratumMoments(
            stratum=stratum,
            n=sum(c.n for c, _ in group),
            sum_w=sum(c.sum_w for c, _ in group),
            sum_wy=sum(y * c.sum_w for c, y in group),
            sum_w2=sum(c.sum_w2 for c, _ in group),
            sum_w2y=sum(y * c.sum_w2 for c, y in group),
            sum_w2y2=sum(y * y * c.sum_w2 for c, y in group),
            sum_y=sum(c.n * y for c, y in group),
            sum_y2=sum(c.n * y * y for c, y in group),
        )
        for stratum, group in sorted(by_stratum.items())
    )


def _score(cell: ItemCell) -> float:
    if cell.score is None:
        raise ScoringError(f"题目「{cell.item}」：不了解不参与计分")
    return cell.score
