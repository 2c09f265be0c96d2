"""Allocation and seeded stratified draw: hand-computed vectors and properties."""

from __future__ import annotations

import hashlib
import hmac
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.sampling import (
    Allocation,
    FrameUnit,
    SamplingError,
    SamplingPlan,
    Stratum,
    allocate,
    draw_replacement,
    draw_sample,
    roster_snapshot_hash,
    stratum_label,
)

Sizes = dict[Stratum, int]

COCHRAN_SIZES: Sizes = {("a",): 1540, ("b",): 770, ("c",): 385}


def quotas(sizes: Sizes, plan: SamplingPlan) -> list[int]:
    return [a.quota for a in allocate(sizes, plan)]


def make_frame(sizes: dict[str, int]) -> list[FrameUnit]:
    return [
        FrameUnit(f"{industry}-{i:04d}", {"industry": industry, "size_class": "规上"})
        for industry, count in sizes.items()
        for i in range(count)
    ]


# --- allocation ---------------------------------------------------------------------


def test_cochran_neyman_example() -> None:
    # Neyman targets 137.79, 79.49, 43.72 -> floors 137+79+43 = 259, two more units go
    # to the largest fractions .79 and .72.
    plan = SamplingPlan(
        seed=1,
        total_n=261,
        allocation=Allocation.NEYMAN,
        stddevs={("a",): 2.6, ("b",): 3.0, ("c",): 3.3},
    )
    assert quotas(COCHRAN_SIZES, plan) == [138, 79, 44]


def test_stddevs_argument_overrides_plan() -> None:
    plan = SamplingPlan(seed=1, total_n=261, allocation=Allocation.NEYMAN)
    stddevs: dict[Stratum, float] = {("a",): 2.6, ("b",): 3.0, ("c",): 3.3}
    assert [a.quota for a in allocate(COCHRAN_SIZES, plan, stddevs)] == [138, 79, 44]


def test_cochran_proportional_example() -> None:
    # 149.14, 74.57, 37.29 -> 149 + 74 + 37 = 260, the last unit to .57
    assert quotas(COCHRAN_SIZES, SamplingPlan(seed=1, total_n=261)) == [149, 75, 37]


def test_proportional_rate_with_minimum() -> None:
    # N = 20, n = ceil(0.25 * 20) = 5. Target 0.75 for the third stratum is below the
    # minimum 1, so it gets 1 and 4 are shared 10:7 -> 2.353, 1.647 -> 2, 1, plus the
    # last unit to the larger fraction .647 -> (2, 2, 1).
    sizes: Sizes = {("A",): 10, ("B",): 7, ("C",): 3}
    allocations = allocate(sizes, SamplingPlan(seed=1, rate=0.25))
    assert [a.quota for a in allocations] == [2, 2, 1]
    assert [a.rate for a in allocations] == [0.2, 2 / 7, 1 / 3]
    assert [a.design_weight for a in allocations] == [5.0, 3.5, 3.0]


def test_minimum_binds_for_small_strata() -> None:
    # n = ceil(0.1 * 1010) = 101; 1000 * lam + 1 + 1 = 101 -> lam = 0.099 -> 99 exactly
    sizes: Sizes = {("big",): 1000, ("s1",): 5, ("s2",): 5}
    assert quotas(sizes, SamplingPlan(seed=1, rate=0.1)) == [99, 1, 1]


def test_minimum_zero_allows_an_empty_quota() -> None:
    # 9.95 and 0.0498 -> floors 9, 0; the missing unit goes to .95
    sizes: Sizes = {("big",): 1000, ("small",): 5}
    plan = SamplingPlan(seed=1, total_n=10, min_per_stratum=0)
    assert quotas(sizes, plan) == [10, 0]


def test_cap_at_frame_size_reallocates_the_rest() -> None:
    # Neyman weights 2*100 = 200 and 98*1: target 50*200/298 = 33.6 > N = 2 -> cap 2,
    # the other 48 go to the second stratum.
    plan = SamplingPlan(
        seed=1, total_n=50, allocation=Allocation.NEYMAN, stddevs={("x",): 100, ("y",): 1}
    )
    assert quotas({("x",): 2, ("y",): 98}, plan) == [2, 48]


def test_minimum_larger_than_stratum_is_capped() -> None:
    plan = SamplingPlan(seed=1, total_n=6, min_per_stratum=3)
    # lower bounds (2, 3), upper (2, 100): clamp(2 lam) = 2 and clamp(100 lam) = 4
    # sum to 6 -> (2, 4)
    assert quotas({("a",): 2, ("b",): 100}, plan) == [2, 4]


def test_fixed_rate_rounds_up_per_stratum() -> None:
    sizes: Sizes = {("a",): 10, ("b",): 3, ("c",): 1}
    # ceil(2.5) = 3, ceil(0.75) = 1, ceil(0.25) = 1
    plan = SamplingPlan(seed=1, rate=0.25, allocation=Allocation.FIXED_RATE)
    assert quotas(sizes, plan) == [3, 1, 1]
    plan2 = SamplingPlan(seed=1, rate=0.25, allocation=Allocation.FIXED_RATE, min_per_stratum=2)
    assert quotas(sizes, plan2) == [3, 2, 1]


def test_rate_is_exact_decimal_not_float() -> None:
    # 0.1 * 30 is 3.0000000000000004 in floats; ceil would give 4.
    assert quotas({("a",): 30}, SamplingPlan(seed=1, rate=0.1)) == [3]


def test_rate_raises_n_to_meet_minimums() -> None:
    sizes: Sizes = {(str(i),): 2 for i in range(10)}
    # ceil(0.25 * 20) = 5, but ten strata need at least one each
    assert quotas(sizes, SamplingPlan(seed=1, rate=0.25)) == [1] * 10


def test_strata_are_in_canonical_order() -> None:
    # Code-point order: 制 (U+5236) before 批 (U+6279), whatever the input order.
    allocations = allocate({("批发业", "规上"): 4, ("制造业", "规下"): 4}, SamplingPlan(seed=1))
    assert [a.stratum for a in allocations] == [("制造业", "规下"), ("批发业", "规上")]
    assert allocations[1].label == "批发业 / 规上"


@pytest.mark.parametrize(
    ("sizes", "plan", "message"),
    [
        ({("a",): 5}, SamplingPlan(seed=1, total_n=6), "超过可抽取对象总数5"),
        ({("a",): 5, ("b",): 5}, SamplingPlan(seed=1, total_n=1), "小于各层最低样本量之和2"),
        ({("a",): 0}, SamplingPlan(seed=1), "样本框为空"),
        (
            {("a",): 5, ("b",): 5},
            SamplingPlan(seed=1, total_n=4, allocation=Allocation.NEYMAN, stddevs={("a",): 1}),
            "缺少层“b”的标准差",
        ),
        (
            {("a",): 2, ("b",): 50},
            SamplingPlan(
                seed=1,
                total_n=20,
                allocation=Allocation.NEYMAN,
                stddevs={("a",): 1, ("b",): 0},
            ),
            "标准差为0",
        ),
    ],
)
def test_impossible_allocations_explain_themselves(
    sizes: Sizes, plan: SamplingPlan, message: str
) -> None:
    with pytest.raises(SamplingError, match=message):
        allocate(sizes, plan)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 0}, "抽样比例"),
        ({"rate": 1.5}, "抽样比例"),
        ({"rate": None}, "请指定"),
        ({"total_n": 0}, "正整数"),
        ({"rate": None, "total_n": 5, "allocation": Allocation.FIXED_RATE}, "固定比例"),
        ({"total_n": 5, "allocation": Allocation.FIXED_RATE}, "不能同时指定样本量"),
        ({"seed": " "}, "随机种子不能为空"),
        ({"min_per_stratum": -1}, "负数"),
    ],
)
def test_invalid_plans_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SamplingError, match=message):
        SamplingPlan(**{"seed": 1, **kwargs})  # type: ignore[arg-type]


@st.composite
def allocation_cases(draw: st.DrawFn) -> tuple[Sizes, SamplingPlan]:
    sizes = draw(st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=12))
    strata: Sizes = {(f"s{i:02d}",): size for i, size in enumerate(sizes)}
    n = draw(st.integers(min_value=len(sizes), max_value=sum(sizes)))
    if draw(st.booleans()):
        spreads = draw(
            st.lists(
                st.floats(min_value=0.01, max_value=50), min_size=len(sizes), max_size=len(sizes)
            )
        )
        plan = SamplingPlan(
            seed=0,
            total_n=n,
            allocation=Allocation.NEYMAN,
            stddevs=dict(zip(strata, spreads, strict=True)),
        )
    else:
        plan = SamplingPlan(seed=0, total_n=n)
    return strata, plan


@given(allocation_cases())
def test_quotas_sum_to_n_and_respect_bounds(
    case: tuple[Sizes, SamplingPlan],
) -> None:
    sizes, plan = case
    allocations = allocate(sizes, plan)
    assert sum(a.quota for a in allocations) == plan.total_n
    for a in allocations:
        assert 1 <= a.quota <= a.frame_size == sizes[a.stratum]


@given(
    st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=10),
    st.floats(min_value=0.01, max_value=1.0),
)
def test_proportional_quotas_stay_within_one_of_exact_share(sizes: list[int], rate: float) -> None:
    strata: Sizes = {(f"s{i}",): size for i, size in enumerate(sizes)}
    allocations = allocate(strata, SamplingPlan(seed=0, rate=rate))
    n = sum(a.quota for a in allocations)
    unbounded = all(n * size / sum(sizes) >= 1 for size in sizes)
    if unbounded:  # no minimum binds: Hamilton rounding is within one unit of the share
        for a in allocations:
            assert abs(a.quota - n * a.frame_size / sum(sizes)) < 1


# --- draw ---------------------------------------------------------------------------


def auditor_rank(seed: str, stratum: list[str], key: str) -> bytes:
    """Independent re-implementation of the documented ranking."""
    message = json.dumps([stratum, key], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(seed.encode(), message.encode(), hashlib.sha256).digest()


def test_draw_matches_the_documented_algorithm() -> None:
    frame = make_frame({"制造业": 40, "批发业": 12})
    plan = SamplingPlan(seed="2026-Q3", strata_keys=("industry",), rate=0.25)
    draw = draw_sample(frame, plan)
    for stratum, count in (("制造业", 10), ("批发业", 3)):
        keys = [u.key for u in frame if u.attributes["industry"] == stratum]
        expected = sorted(keys, key=lambda k: (auditor_rank("2026-Q3", [stratum], k), k))
        assert draw.keys_by_stratum()[(stratum,)] == tuple(expected[:count])
    assert draw.sample_size == 13
    weights = {u.stratum: u.design_weight for u in draw.selected}
    assert weights == {("制造业",): 4.0, ("批发业",): 4.0}


def test_same_seed_same_sample_regardless_of_row_order() -> None:
    frame = make_frame({"a": 60, "b": 30})
    plan = SamplingPlan(seed=42, strata_keys=("industry",))
    shuffled = frame[:]
    random.Random(7).shuffle(shuffled)
    first, second = draw_sample(frame, plan), draw_sample(shuffled, plan)
    assert first == second
    assert first.snapshot_hash == roster_snapshot_hash(shuffled)


def test_different_seed_different_sample() -> None:
    frame = make_frame({"a": 60, "b": 30})
    first = draw_sample(frame, SamplingPlan(seed=42, strata_keys=("industry",)))
    second = draw_sample(frame, SamplingPlan(seed=43, strata_keys=("industry",)))
    assert first.keys_by_stratum() != second.keys_by_stratum()
    assert [a.quota for a in first.allocations] == [a.quota for a in second.allocations]


def test_int_and_str_seed_are_the_same_seed() -> None:
    frame = make_frame({"a": 20})
    assert draw_sample(frame, SamplingPlan(seed=42)).selected == (
        draw_sample(frame, SamplingPlan(seed="42")).selected
    )


def test_population_filter_and_unknown_field() -> None:
    frame = make_frame({"a": 8}) + [
        FrameUnit(f"x{i}", {"industry": "a", "size_class": "规下"}) for i in range(8)
    ]
    plan = SamplingPlan(seed=1, rate=0.5, population_filter={"size_class": frozenset({"规上"})})
    draw = draw_sample(frame, plan)
    assert draw.allocations[0].frame_size == 8
    assert all(not u.key.startswith("x") for u in draw.selected)
    with pytest.raises(SamplingError, match="没有字段“industy”"):
        draw_sample(frame, SamplingPlan(seed=1, strata_keys=("industy",)))


def test_exclusion_of_recent_respondents() -> None:
    frame = make_frame({"a": 10, "b": 4})
    recent = frozenset({"a-0000", "a-0001", "a-0002", "a-0003", "b-0000", "b-0001"})
    plan = SamplingPlan(seed=9, strata_keys=("industry",), rate=0.5, exclude_keys=recent)
    draw = draw_sample(frame, plan)
    assert not recent & {u.key for u in draw.selected}
    by_stratum = {a.stratum: a for a in draw.allocations}
    assert (by_stratum[("a",)].frame_size, by_stratum[("a",)].excluded) == (6, 4)
    assert (by_stratum[("b",)].frame_size, by_stratum[("b",)].excluded) == (2, 2)
    # n = ceil(0.5 * 8) = 4 shared 6:2 -> 3, 1; weights 6/3 and 2/1
    assert [by_stratum[s].quota for s in (("a",), ("b",))] == [3, 1]
    assert {u.stratum: u.design_weight for u in draw.selected} == {("a",): 2.0, ("b",): 2.0}


def test_fully_excluded_stratum_gets_no_quota() -> None:
    frame = make_frame({"a": 10, "b": 2})
    plan = SamplingPlan(
        seed=9, strata_keys=("industry",), exclude_keys=frozenset({"b-0000", "b-0001"})
    )
    draw = draw_sample(frame, plan)
    b = next(a for a in draw.allocations if a.stratum == ("b",))
    assert (b.frame_size, b.quota, b.excluded) == (0, 0, 2)
    assert draw.keys_by_stratum()[("b",)] == ()


def test_duplicate_keys_are_rejected() -> None:
    frame = [FrameUnit("k", {}), FrameUnit("k", {})]
    with pytest.raises(SamplingError, match="“k”重复"):
        draw_sample(frame, SamplingPlan(seed=1))


def test_snapshot_hash_is_canonical() -> None:
    frame = make_frame({"a": 3})
    changed = [*frame[:-1], FrameUnit(frame[-1].key, {"industry": "b", "size_class": "规上"})]
    assert roster_snapshot_hash(frame) == roster_snapshot_hash(reversed(frame))
    assert roster_snapshot_hash(frame) != roster_snapshot_hash(changed)
    assert len(roster_snapshot_hash(frame)) == 64


def test_stratum_labels() -> None:
    assert stratum_label(()) == "全部"
    assert stratum_label(("制造业", "")) == "制造业 / （空）"


# --- replacement --------------------------------------------------------------------


def test_replacement_is_next_in_the_same_stratum() -> None:
    frame = make_frame({"a": 12, "b": 12})
    plan = SamplingPlan(seed="r", strata_keys=("industry",), rate=0.25)
    draw = draw_sample(frame, plan)
    replaced = draw.keys_by_stratum()[("b",)][0]
    keys_b = [u.key for u in frame if u.attributes["industry"] == "b"]
    ranked = sorted(keys_b, key=lambda k: (auditor_rank("r", ["b"], k), k))
    first = draw_replacement(frame, draw, replaced)
    assert first.key == ranked[3]  # quota 3 -> the fourth in rank order
    assert (first.stratum, first.design_weight) == (("b",), 4.0)
    assert draw_replacement(frame, draw, replaced) == first  # deterministic
    second = draw_replacement(frame, draw, first.key, already_used={first.key})
    assert second.key == ranked[4]


def test_replacement_skips_excluded_and_reports_exhaustion() -> None:
    frame = make_frame({"a": 3})
    plan = SamplingPlan(seed="r", rate=0.5, exclude_keys=frozenset({"a-0002"}))
    draw = draw_sample(frame, plan)
    assert draw.sample_size == 1
    replaced = draw.selected[0].key
    spare = draw_replacement(frame, draw, replaced)
    assert spare.key not in {replaced, "a-0002"}
    with pytest.raises(SamplingError, match="已没有可用于替补的对象"):
        draw_replacement(frame, draw, spare.key, already_used={spare.key})


def test_replacement_of_unknown_key_is_an_error() -> None:
    frame = make_frame({"a": 4})
    draw = draw_sample(frame, SamplingPlan(seed=1))
    not_drawn = next(u.key for u in frame if u.key not in {s.key for s in draw.selected})
    with pytest.raises(SamplingError, match="不在本次抽样结果中"):
        draw_replacement(frame, draw, not_drawn)
