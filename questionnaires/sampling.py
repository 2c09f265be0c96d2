"""Stratified random sampling without replacement, reproducible on any machine.

An auditor can re-implement the draw from this description alone.

Frame and strata
    The frame is a list of :class:`FrameUnit` (a unique respondent ``key`` — the USCC
    for enterprises — and string attributes such as ``industry``). Units whose attribute
    is not among the plan's allowed values (``population_filter``) are outside the
    population; units whose key is in ``exclude_keys`` (drawn in recent campaigns) are
    outside the frame of this draw. Frame sizes N_h, quotas n_h and design weights all
    refer to the remaining eligible frame. A stratum is the tuple of the unit's values
    for ``strata_keys``; strata are processed in ascending code-point order of that tuple.

Allocation (exact rational arithmetic, so no float rounding can differ between machines)
    * total n: ``total_n`` if given (it must lie between sum(lower_h) and N), otherwise
      max(ceil(rate x N), sum(lower_h)).
    * proportional: w_h = N_h.  Neyman: w_h = N_h x S_h.
      Bounds: lower_h = min(min_per_stratum, N_h), upper_h = N_h. Targets are
      target_h = clamp(lam x w_h, lower_h, upper_h) with the lam for which they sum to n
      (so a stratum that hits a bound is fixed there and the rest is re-shared in
      proportion to w_h). Then largest remainder (Hamilton): floor every target and give
      the units still missing, one each, to the largest fractional parts (ties: earlier
      stratum first). Quotas sum exactly to n and lie within the bounds.
    * fixed rate: n_h = min(N_h, max(lower_h, ceil(rate x N_h))); n is their sum.
    Decimal inputs (rate, S_h) are read through their shortest ``repr`` (0.1 means 1/10).

Selection
    rank_h(unit) = HMAC-SHA256(key = UTF-8 of str(seed),
                               message = UTF-8 of JSON [[stratum values...], unit key]
                               serialised with separators (",", ":") and ensure_ascii=False)
    Units of a stratum are sorted by (digest bytes ascending, key); the first n_h are drawn.
    A replacement is the next unit in the same order that is not drawn or used yet.

Snapshot hash
    SHA-256 (hex) of the UTF-8 text made of one JSON line per unit,
    ``[key, [[attribute, value], ...sorted by attribute]]`` (same JSON settings), the lines
    sorted by code point and joined with "\\n". It does not depend on row order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction

Stratum = tuple[str, ...]

STRATUM_SEPARATOR = " / "
EMPTY_VALUE_LABEL = "（空）"
WHOLE_FRAME_LABEL = "全部"
DEFAULT_RATE = 0.25  # the 20–30 % practice of district satisfaction surveys


class SamplingError(ValueError):
    """A sampling request that cannot be met; the message is Chinese and user-facing."""


class Allocation(StrEnum):
    PROPORTIONAL = "proportional"
    NEYMAN = "neyman"
    FIXED_RATE = "fixed_rate"


@dataclass(frozen=True)
class FrameUnit:
    """One roster entry as the sampler sees it: no contact details, only what it needs."""

    key: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class SamplingPlan:
    seed: str | int
    strata_keys: tuple[str, ...] = ()
    rate: float | None = DEFAULT_RATE
    total_n: int | None = None
    allocation: Allocation = Allocation.PROPORTIONAL
    min_per_stratum: int = 1
    population_filter: Mapping[str, frozenset[str]] = field(default_factory=dict)
    stddevs: Mapping[Stratum, float] = field(default_factory=dict)
    exclude_keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.total_n is None and self.rate is None:
            raise SamplingError("请指定抽样比例或样本量")
        if self.rate is not None and not 0 < self.rate <= 1:
            raise SamplingError(f"抽样比例应在0到1之间（不含0），实际为{self.rate}")
        if self.total_n is not None and self.total_n < 1:
            raise SamplingError(f"样本量应为正整数，实际为{self.total_n}")
        if self.allocation is Allocation.FIXED_RATE and (self.rate is None or self.total_n):
            raise SamplingError("固定比例分配需要指定抽样比例，且不能同时指定样本量")
        if str(self.seed).strip() == "":
            raise SamplingError("随机种子不能为空")
        if self.min_per_stratum < 0:
            raise SamplingError("每层最低样本量不能为负数")


@dataclass(frozen=True)
class StratumAllocation:
    stratum: Stratum
    label: str
    frame_size: int  # N_h, eligible units
    quota: int  # n_h
    excluded: int = 0  # units left out because they were drawn recently

    @property
    def rate(self) -> float:
        return self.quota / self.frame_size if self.frame_size else 0.0

    @property
    def design_weight(self) -> float:
        return self.frame_size / self.quota if self.quota else 0.0


@dataclass(frozen=True)
class SelectedUnit:
    key: str
    stratum: Stratum
    stratum_label: str
    design_weight: float  # N_h / n_h


@dataclass(frozen=True)
class SampleDraw:
    plan: SamplingPlan
    snapshot_hash: str
    allocations: tuple[StratumAllocation, ...]
    selected: tuple[SelectedUnit, ...]  # by stratum, then rank

    @property
    def sample_size(self) -> int:
        return len(self.selected)

    def keys_by_stratum(self) -> dict[Stratum, tuple[str, ...]]:
        grouped: dict[Stratum, list[str]] = {a.stratum: [] for a in self.allocations}
        for unit in self.selected:
            grouped[unit.stratum].append(unit.key)
        return {stratum: tuple(keys) for stratum, keys in grouped.items()}


def stratum_label(stratum: Stratum) -> str:
    if not stratum:
        return WHOLE_FRAME_LABEL
    return STRATUM_SEPARATOR.join(value or EMPTY_VALUE_LABEL for value in stratum)


def roster_snapshot_hash(records: Iterable[FrameUnit]) -> str:
    lines = sorted(_canonical_json([r.key, sorted(r.attributes.items())]) for r in records)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def allocate(
    strata_sizes: Mapping[Stratum, int],
    plan: SamplingPlan,
    stddevs: Mapping[Stratum, float] | None = None,
) -> list[StratumAllocation]:
    """Integer quotas per stratum (see the module docstring), in canonical stratum order."""
    strata = sorted(strata_sizes)
    sizes = [strata_sizes[s] for s in strata]
    population = sum(sizes)
    if population == 0:
        raise SamplingError("样本框为空（筛选和排除后没有可抽取的对象）")
    lower = [min(plan.min_per_stratum, size) for size in sizes]
    if plan.allocation is Allocation.FIXED_RATE:
        rate = _exact(plan.rate)
        quotas = [
            min(size, max(low, math.ceil(rate * size)))
            for size, low in zip(sizes, lower, strict=True)
        ]
    else:
        n = _total_sample_size(plan, population, sum(lower))
        weights = _allocation_weights(strata, sizes, plan, stddevs)
        quotas = _bounded_largest_remainder(n, weights, lower, sizes)
    return [
        StratumAllocation(stratum, stratum_label(stratum), size, quota)
        for stratum, size, quota in zip(strata, sizes, quotas, strict=True)
    ]


def draw_sample(records: Iterable[FrameUnit], plan: SamplingPlan) -> SampleDraw:
    units = list(records)
    _ensure_unique_keys(units)
    members, excluded = _eligible_members_by_stratum(units, plan)
    allocations = [
        replace(a, excluded=excluded.get(a.stratum, 0))
        for a in allocate({s: len(m) for s, m in members.items()}, plan)
    ]
    selected = [
        SelectedUnit(key, a.stratum, a.label, a.design_weight)
        for a in allocations
        for key in _ranked_keys(members[a.stratum], a.stratum, plan.seed)[: a.quota]
    ]
    return SampleDraw(plan, roster_snapshot_hash(units), tuple(allocations), tuple(selected))


def draw_replacement(
    records: Iterable[FrameUnit],
    draw: SampleDraw,
    replaced_key: str,
    already_used: Iterable[str] = (),
) -> SelectedUnit:
    """Next unit of the replaced unit's stratum in ranked order that was not drawn or used.

    ``already_used`` holds keys used as earlier replacements; a replacement may itself be
    replaced. The seed is the draw's own: another seed would give another order.
    """
    units = list(records)
    used = set(already_used)
    drawn = {unit.key: unit for unit in draw.selected}
    if replaced_key not in drawn and replaced_key not in used:
        raise SamplingError(f"对象“{replaced_key}”不在本次抽样结果中，无法替补")
    members, _ = _eligible_members_by_stratum(units, draw.plan)
    stratum = drawn[replaced_key].stratum if replaced_key in drawn else None
    if stratum is None:
        stratum = next((s for s, keys in members.items() if replaced_key in keys), None)
        if stratum is None:
            raise SamplingError(f"样本框中找不到对象“{replaced_key}”，无法确定其所在层")
    allocation = next((a for a in draw.allocations if a.stratum == stratum), None)
    if allocation is None:
        raise SamplingError(f"层“{stratum_label(stratum)}”不在本次抽样的分配表中")
    taken = used | drawn.keys() | {replaced_key}
    for key in _ranked_keys(members.get(stratum, []), stratum, draw.plan.seed):
        if key not in taken:
            return SelectedUnit(key, stratum, allocation.label, allocation.design_weight)
    raise SamplingError(f"层“{allocation.label}”中已没有可用于替补的对象")


def selection_rank(seed: str | int, stratum: Stratum, key: str) -> bytes:
    """The HMAC-SHA256 digest that orders units within a stratum (see module docstring)."""
    message = _canonical_json([list(stratum), key]).encode("utf-8")
    return hmac.new(str(seed).encode("utf-8"), message, hashlib.sha256).digest()


def _ranked_keys(keys: Sequence[str], stratum: Stratum, seed: str | int) -> list[str]:
    return sorted(keys, key=lambda k: (selection_rank(seed, stratum, k), k))


def _eligible_members_by_stratum(
    units: Sequence[FrameUnit], plan: SamplingPlan
) -> tuple[dict[Stratum, list[str]], dict[Stratum, int]]:
    members: dict[Stratum, list[str]] = defaultdict(list)
    excluded: dict[Stratum, int] = defaultdict(int)
    for unit in units:
        if not all(
            _attribute(unit, name) in allowed for name, allowed in plan.population_filter.items()
        ):
            continue
        stratum = tuple(_attribute(unit, name) for name in plan.strata_keys)
        if unit.key in plan.exclude_keys:
            excluded[stratum] += 1
            members.setdefault(stratum, [])
        else:
            members[stratum].append(unit.key)
    return dict(members), dict(excluded)


def _attribute(unit: FrameUnit, name: str) -> str:
    try:
        return unit.attributes[name]
    except KeyError:
        raise SamplingError(f"样本框中没有字段“{name}”（对象“{unit.key}”）") from None


def _ensure_unique_keys(units: Sequence[FrameUnit]) -> None:
    seen: set[str] = set()
    for unit in units:
        if unit.key in seen:
            raise SamplingError(f"样本框中对象编号“{unit.key}”重复")
        seen.add(unit.key)


def _total_sample_size(plan: SamplingPlan, population: int, minimum_total: int) -> int:
    if plan.total_n is not None:
        if plan.total_n > population:
            raise SamplingError(f"样本量{plan.total_n}超过可抽取对象总数{population}")
        if plan.total_n < minimum_total:
            raise SamplingError(
                f"样本量{plan.total_n}小于各层最低样本量之和{minimum_total}，"
                "请增大样本量、减少分层或降低每层最低样本量"
            )
        return plan.total_n
    # A rate asks for "at least this share"; the per-stratum minimum may raise n further.
    return max(math.ceil(_exact(plan.rate) * population), minimum_total)


def _allocation_weights(
    strata: Sequence[Stratum],
    sizes: Sequence[int],
    plan: SamplingPlan,
    stddevs: Mapping[Stratum, float] | None,
) -> list[Fraction]:
    if plan.allocation is Allocation.PROPORTIONAL:
        return [Fraction(size) for size in sizes]
    spreads = plan.stddevs if stddevs is None else stddevs
    weights = []
    for stratum, size in zip(strata, sizes, strict=True):
        if size and stratum not in spreads:
            raise SamplingError(f"奈曼分配缺少层“{stratum_label(stratum)}”的标准差")
        spread = _exact(spreads.get(stratum, 0))
        if spread < 0:
            raise SamplingError(f"层“{stratum_label(stratum)}”的标准差不能为负数")
        weights.append(size * spread)
    if not any(weights):
        raise SamplingError("奈曼分配的各层标准差全为0，请改用比例分配")
    return weights


def _bounded_largest_remainder(
    n: int, weights: Sequence[Fraction], lower: Sequence[int], upper: Sequence[int]
) -> list[int]:
    targets = _bounded_targets(n, weights, lower, upper)
    quotas = [math.floor(t) for t in targets]
    missing = n - sum(quotas)
    by_fraction = sorted(range(len(targets)), key=lambda i: (quotas[i] - targets[i], i))
    for i in by_fraction[:missing]:
        quotas[i] += 1
    return quotas


def _bounded_targets(
    n: int, weights: Sequence[Fraction], lower: Sequence[int], upper: Sequence[int]
) -> list[Fraction]:
    """clamp(lam * w_h, lower_h, upper_h) with the lam that makes the targets sum to n.

    The sum is piecewise linear and non-decreasing in lam with kinks where a stratum
    reaches a bound, so lam is found exactly by interpolating between two kinks.
    """

    def targets_at(lam: Fraction) -> list[Fraction]:
        return [
            min(Fraction(up), max(Fraction(low), lam * w))
            for w, low, up in zip(weights, lower, upper, strict=True)
        ]

    kinks = sorted(
        {Fraction(0)}
        | {
            Fraction(b) / w
            for w, low, up in zip(weights, lower, upper, strict=True)
            if w
            for b in (low, up)
        }
    )
    previous = kinks[0]
    for kink in kinks:
        reached = sum(targets_at(kink))
        if reached >= n:
            start = sum(targets_at(previous))
            if reached == start:
                return targets_at(kink)
            return targets_at(previous + (n - start) * (kink - previous) / (reached - start))
        previous = kink
    raise SamplingError("标准差为0的层无法容纳其余样本量，请为这些层提供正的标准差或改用比例分配")


def _exact(value: float | int | None) -> Fraction:
    # repr gives the shortest decimal that round-trips, so 0.1 becomes exactly 1/10.
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value or 0)


def _canonical_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
