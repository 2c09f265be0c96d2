"""Both scoring passes from rating-pattern counts, against hand-worked sums and a per-response
brute force."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import numpy as np
import pytest

from analysis.scoring.patterns import (
    PlanTerm,
    ResidualSums,
    UnitPatterns,
    UnitPlan,
    answer_cells,
    decode_patterns,
    residual_sums,
)

ITEMS = (("q1", ""), ("q2", ""))
PLAN = UnitPlan(1, "U01", (PlanTerm("q1", "", (1, 0.5, 0, -0.5, -1)), PlanTerm("q2", "", (2, 1, 0, -1, -2))))


def patterns(rows: list[tuple[str, float, str, int]], items=ITEMS) -> UnitPatterns:  # type: ignore[no-untyped-def]
    """(stratum, weight, rating string, count) rows of unit U01 in campaign 1."""
    strata = tuple(sorted({r[0] for r in rows}))
    return UnitPatterns(
        campaign_id=1,
        unit_code="U01",
        items=items,
        strata=strata,
        stratum_index=np.array([strata.index(r[0]) for r in rows], np.intp),
        weights=np.array([r[1] for r in rows]),
        levels=decode_patterns([r[2] for r in rows], len(items)),
        counts=np.array([r[3] for r in rows], np.int64),
    )


HAND = [("甲", 2.0, "54", 2), ("甲", 2.0, "5-", 1), ("乙", 3.0, "03", 1)]


def test_decode_patterns() -> None:
    assert decode_patterns(["54", "0-"], 2).tolist() == [[5, 4], [0, -1]]
    with pytest.raises(ValueError, match="2 characters"):
        decode_patterns(["54", "5"], 2)
    with pytest.raises(ValueError, match="0–5"):
        decode_patterns(["57"], 2)
    assert decode_patterns([], 3).shape == (0, 3)


def test_cells_by_hand() -> None:
    cells = {
        (c.question, c.stratum, c.level): (c.n, c.sum_w, c.sum_w2) for c in answer_cells([patterns(HAND)])
    }
    assert cells == {
        ("q1", "甲", 5): (3, 6.0, 12.0),
        ("q2", "甲", 4): (2, 4.0, 8.0),
        ("q1", "乙", None): (1, 3.0, 9.0),  # 不了解 is a cell (awareness), level None
        ("q2", "乙", 3): (1, 3.0, 9.0),
    }


def test_residual_sums_by_hand() -> None:
    # z("54") = 1 + 1 = 2, z("5-") = 1, z("03") = 0 + 0 (不了解 adds nothing, q2 = 3 is valid)
    sums = {r.stratum: r for r in residual_sums([patterns(HAND)], [PLAN])}
    assert sums["甲"] == ResidualSums(1, "U01", "甲", 3, 6.0, 12.0, 10.0, 36.0, 5.0, 9.0)
    assert sums["乙"] == ResidualSums(1, "U01", "乙", 1, 3.0, 9.0, 0.0, 0.0, 0.0, 0.0)


def test_negative_counts_take_excluded_responses_out() -> None:
    rows = [*HAND, ("甲", 2.0, "54", -1), ("乙", 3.0, "03", -1)]
    sums = {r.stratum: r for r in residual_sums([patterns(rows)], [PLAN])}
    assert set(sums) == {"甲"}  # 乙 has no counted response left
    assert (sums["甲"].n, sums["甲"].sum_z, sums["甲"].sum_z2) == (2, 3.0, 5.0)
    cells = {(c.question, c.stratum, c.level): c.n for c in answer_cells([patterns(rows)])}
    assert cells == {("q1", "甲", 5): 2, ("q2", "甲", 4): 1}


def test_a_response_without_an_eligible_valid_answer_has_no_z() -> None:
    only_q2 = UnitPlan(1, "U01", (PLAN.terms[1],))
    rows = [("甲", 1.0, "5-", 4), ("甲", 1.0, "50", 1), ("甲", 1.0, "52", 2)]
    sums = residual_sums([patterns(rows)], [only_q2])
    assert [(r.n, r.sum_z) for r in sums] == [(2, -2.0)]
    assert residual_sums([patterns(HAND)], [UnitPlan(1, "U01", ())]) == []


def _brute_force(responses, plan):  # type: ignore[no-untyped-def]
    """Per response: cells and z the long way (stratum, weight, {item: level}, counted)."""
    values = {(t.question, t.row): dict(zip((5, 4, 3, 2, 1), t.values, strict=True)) for t in plan.terms}
    cells: dict = defaultdict(lambda: [0, 0.0, 0.0])
    sums: dict = defaultdict(lambda: np.zeros(7))
    for stratum, w, answers, counted in responses:
        if not counted:
            continue
        for item, level in answers.items():
            cell = cells[(item, stratum, None if level == 0 else level)]
            cell[0] += 1
            cell[1] += w
            cell[2] += w * w
        valid = [values[item][level] for item, level in answers.items() if item in values and level >= 1]
        if valid:
            z = sum(valid)
            sums[stratum] += np.array([1, w, w * w, w * z, w * w * z * z, z, z * z])
    return cells, sums


def test_random_patterns_match_the_per_response_brute_force() -> None:
    rng = random.Random(3)
    items = (("a", ""), ("m", "r1"), ("m", "r2"), ("b", ""))
    terms = tuple(PlanTerm(q, r, tuple(rng.uniform(-1, 1) for _ in range(5))) for q, r in items[:3])  # type: ignore[misc]
    plan = UnitPlan(1, "U01", terms)
    responses = []
    for _ in range(600):
        stratum = rng.choice("甲乙丙")
        weight = {"甲": 2.5, "乙": 4.0, "丙": rng.choice((1.0, 1.5))}[stratum]
        answers = {item: rng.choice((0, 1, 2, 3, 4, 5, 5, 4)) for item in items if rng.random() < 0.8}
        responses.append((stratum, weight, answers, rng.random() > 0.1))
    totals: Counter = Counter()
    removed: Counter = Counter()  # the database returns excluded responses as negative rows
    for stratum, weight, answers, keep in responses:
        key = (stratum, weight, "".join(str(answers[i]) if i in answers else "-" for i in items))
        totals[key] += 1
        if not keep:
            removed[key] += 1
    rows = [(*key, n) for key, n in totals.items()] + [(*key, -n) for key, n in removed.items()]
    unit = patterns(rows, items)

    cells, sums = _brute_force(responses, plan)
    got = {((c.question, c.row), c.stratum, c.level): (c.n, c.sum_w, c.sum_w2) for c in answer_cells([unit])}
    assert set(got) == set(cells)
    for key, (n, sum_w, sum_w2) in cells.items():
        assert got[key] == (n, pytest.approx(sum_w, rel=1e-12), pytest.approx(sum_w2, rel=1e-12))
    got_sums = {r.stratum: r for r in residual_sums([unit], [plan])}
    assert set(got_sums) == set(sums)
    for stratum, expected in sums.items():
        r = got_sums[stratum]
        actual = [r.n, r.sum_w, r.sum_w2, r.sum_wz, r.sum_w2z2, r.sum_z, r.sum_z2]
        assert actual == pytest.approx(list(expected), rel=1e-9, abs=1e-9)
