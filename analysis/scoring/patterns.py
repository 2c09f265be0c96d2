"""Both scoring passes from rating-pattern counts (numpy, no per-response loops).

The database groups the per-(response, unit) rating strings of questionnaires/ratings.py into
counts of identical patterns per (campaign, unit, stratum, stored weight); a pattern is one
level per rated item of the unit. Everything the unit index needs follows exactly from those
counts, because every response with the same pattern and weight contributes the same terms:

* pass 1, `answer_cells`: per item, stratum and level the count n, Σw and Σw² (w is the
  group's weight, so Σw = w·n);
* pass 2, `residual_sums`: per stratum the sums over responses of z, z², w·z, w²·z², where
  z = Σ over the response's valid answers to eligible items of the plan value for that level
  (c_j·(score − Ȳ_j), analysis/scoring/unit_index.py), and the count, Σw, Σw² of responses
  with at least one such answer (the others have no z).

Patterns arrive as an integer matrix: 1–5 the level, 0 不了解, -1 no answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from questionnaires import ratings
from questionnaires.ratings import Item

LEVELS = (5, 4, 3, 2, 1)  # the order of PlanTerm.values
NO_ANSWER = -1
UNKNOWN = 0

_NOT_A_RATING = 99
# A rating string's byte → its code, from the format's own characters (questionnaires/ratings.py).
_CODE_OF_BYTE = np.full(256, _NOT_A_RATING, np.int8)
_CODE_OF_BYTE[ord(ratings.NO_ANSWER)] = NO_ANSWER
_CODE_OF_BYTE[ord(ratings.UNKNOWN)] = UNKNOWN
for _level in LEVELS:
    _CODE_OF_BYTE[ord(str(_level))] = _level


@dataclass(frozen=True)
class UnitPatterns:
    """Counts of rating patterns of one unit in one campaign, one row per distinct
    (stratum, stored weight, pattern). A negative count takes responses out (excluded ones)."""

    campaign_id: int
    unit_code: str
    items: tuple[Item, ...]  # column j of `levels` is items[j]
    strata: tuple[str, ...]  # stratum_index refers to these
    stratum_index: npt.NDArray[np.intp]  # (rows,)
    weights: npt.NDArray[np.float64]  # (rows,) the stored (design) weight of those responses
    levels: npt.NDArray[np.int8]  # (rows, items)
    counts: npt.NDArray[np.int64]  # (rows,)


def decode_patterns(patterns: Sequence[str], width: int) -> npt.NDArray[np.int8]:
    """Rating strings of one width ("54-0") → the level matrix (1–5, 0 不了解, -1 no answer)."""
    if any(len(p) != width for p in patterns):
        raise ValueError(f"rating strings must all have {width} characters")
    raw = np.frombuffer("".join(patterns).encode("ascii", "replace"), np.uint8)
    codes = _CODE_OF_BYTE[raw].reshape(len(patterns), width)
    if (codes == _NOT_A_RATING).any():
        raise ValueError("rating strings hold only 0–5 and -")
    return codes


@dataclass(frozen=True)
class AnswerCell:
    campaign_id: int
    unit_code: str
    question: str
    row: str
    stratum: str
    level: int | None  # None = 不了解
    n: int
    sum_w: float  # Σ stored (design) weight
    sum_w2: float


def answer_cells(units: Iterable[UnitPatterns]) -> list[AnswerCell]:
    """Pass 1: answer counts and weight sums per campaign, unit, item, stratum and level."""
    cells = []
    for u in units:
        n_strata = len(u.strata)
        w = u.weights
        for j, (question, row) in enumerate(u.items):
            key = u.stratum_index * 7 + (u.levels[:, j] + 1)  # level -1…5 → 0…6
            size = n_strata * 7
            n = np.bincount(key, weights=u.counts, minlength=size)
            sum_w = np.bincount(key, weights=u.counts * w, minlength=size)
            sum_w2 = np.bincount(key, weights=u.counts * w * w, minlength=size)
            for k in np.flatnonzero(n > 0):
                h, code = divmod(int(k), 7)
                level = code - 1
                if level == NO_ANSWER:
                    continue
                cells.append(
                    AnswerCell(u.campaign_id, u.unit_code, question, row, u.strata[h],
                               None if level == UNKNOWN else level,
                               int(n[k]), float(sum_w[k]), float(sum_w2[k]))
                )
    return cells


@dataclass(frozen=True)
class PlanTerm:
    """One eligible item: its linearised value v = c_j·(score − Ȳ_j) for levels 5…1."""

    question: str
    row: str
    values: tuple[float, float, float, float, float]


@dataclass(frozen=True)
class UnitPlan:
    """The pass-2 plan of one unit in one campaign: its eligible items."""

    campaign_id: int
    unit_code: str
    terms: tuple[PlanTerm, ...]


@dataclass(frozen=True)
class ResidualSums:
    """Sums over one stratum's responses that validly answered an eligible item (stored w)."""

    campaign_id: int
    unit_code: str
    stratum: str
    n: int
    sum_w: float
    sum_w2: float
    sum_wz: float
    sum_w2z2: float
    sum_z: float
    sum_z2: float


def residual_sums(units: Iterable[UnitPatterns], plans: Iterable[UnitPlan]) -> list[ResidualSums]:
    """Pass 2: the linearised sums per campaign, unit and stratum for every plan with terms."""
    by_unit = {(p.campaign_id, p.unit_code): p for p in plans if p.terms}
    result = []
    for u in units:
        plan = by_unit.get((u.campaign_id, u.unit_code))
        if plan is None:
            continue
        z, answered = _linearised(u, plan)
        c = np.where(answered, u.counts, 0).astype(np.float64)
        w = u.weights
        size = len(u.strata)
        sums = [
            np.bincount(u.stratum_index, weights=values, minlength=size)
            for values in (c, c * w, c * w * w, c * w * z, c * w * w * z * z, c * z, c * z * z)
        ]
        for h, stratum in enumerate(u.strata):
            n = int(sums[0][h])
            if n > 0:
                result.append(
                    ResidualSums(u.campaign_id, u.unit_code, stratum, n,
                                 *(float(s[h]) for s in sums[1:]))
                )
    return result


def _linearised(
    u: UnitPatterns, plan: UnitPlan
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """z per row, and whether the row has a valid answer to an eligible item."""
    z = np.zeros(len(u.counts))
    answered = np.zeros(len(u.counts), bool)
    column = {item: j for j, item in enumerate(u.items)}
    for term in plan.terms:
        j = column.get((term.question, term.row))
        if j is None:
            continue
        lookup = np.zeros(7)  # by level + 1: no answer and 不了解 add nothing
        for level, value in zip(LEVELS, term.values, strict=True):
            lookup[level + 1] = value
        levels = u.levels[:, j]
        z += lookup[levels + 1]
        answered |= levels >= 1
    return z, answered
