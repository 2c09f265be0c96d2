"""The sampling plan of a campaign: the form, its validation, its fingerprint, and the roster
values it may filter on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from questionnaires.roster import FIELD_LABELS, FRAME_FIELDS, RosterKind
from questionnaires.sampling import (
    DEFAULT_RATE,
    Allocation,
    SamplingError,
    SamplingPlan,
)
from survey_app.db.queries import roster as roster_queries
from survey_app.services.campaigns import CampaignError, new_seed

ALLOCATION_LABELS = {
    Allocation.PROPORTIONAL.value: "按比例分配",
    Allocation.NEYMAN.value: "奈曼最优分配",
    Allocation.FIXED_RATE.value: "各层固定比例",
}
DEFAULT_STRATA = {"enterprise": ("industry", "size_class"), "resident": ("street",)}
MAX_EXCLUDE_RECENT = 20
_MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class PlanRequest:
    """What the plan form asks for; stored on the campaign as JSON with the draw."""

    kind: str
    seed: int
    strata_keys: tuple[str, ...]
    rate: float | None = DEFAULT_RATE
    total_n: int | None = None
    allocation: str = Allocation.PROPORTIONAL.value
    min_per_stratum: int = 1
    exclude_recent: int = 0
    population_filter: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stddevs: tuple[tuple[tuple[str, ...], float], ...] = ()

    @classmethod
    def default(cls, kind: str) -> PlanRequest:
        return cls(kind=kind, seed=new_seed(), strata_keys=DEFAULT_STRATA[kind])

    @property
    def rate_percent(self) -> str:
        return "" if self.rate is None else f"{Decimal(repr(self.rate)) * 100:f}".rstrip("0").rstrip(".")

    @property
    def size_mode(self) -> str:
        return "n" if self.total_n else "rate"

    @property
    def stddev_text(self) -> str:
        return "\n".join(f"{','.join(values)}={value}" for values, value in self.stddevs)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "seed": self.seed, "strata_keys": list(self.strata_keys),
            "rate": self.rate, "total_n": self.total_n, "allocation": self.allocation,
            "min_per_stratum": self.min_per_stratum, "exclude_recent": self.exclude_recent,
            "population_filter": {k: list(v) for k, v in self.population_filter.items()},
            "stddevs": [[list(values), value] for values, value in self.stddevs],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanRequest:
        return cls(
            kind=str(data["kind"]), seed=int(data["seed"]),
            strata_keys=tuple(data["strata_keys"]), rate=data.get("rate"),
            total_n=data.get("total_n"), allocation=str(data["allocation"]),
            min_per_stratum=int(data["min_per_stratum"]),
            exclude_recent=int(data.get("exclude_recent", 0)),
            population_filter={k: tuple(v) for k, v in data.get("population_filter", {}).items()},
            stddevs=tuple((tuple(values), float(value)) for values, value in data.get("stddevs", [])),
        )

    def sampling_plan(self, exclude_keys: frozenset[str] = frozenset()) -> SamplingPlan:
        try:
            return SamplingPlan(
                seed=self.seed, strata_keys=self.strata_keys, rate=self.rate,
                total_n=self.total_n, allocation=Allocation(self.allocation),
                min_per_stratum=self.min_per_stratum,
                population_filter={k: frozenset(v) for k, v in self.population_filter.items()},
                stddevs=dict(self.stddevs), exclude_keys=exclude_keys,
            )
        except SamplingError as problem:
            raise CampaignError(str(problem)) from None


def plan_fingerprint(request: PlanRequest, snapshot_hash: str) -> str:
    """Short SHA-256 of the plan and the roster snapshot: shown with the preview and checked at
    the draw, so the draw is exactly what was previewed (same plan, same frame)."""
    canonical = json.dumps([request.to_json(), snapshot_hash], sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return str(values[0]).strip()


def _whole_number(text: str, label: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CampaignError(f"{label}应为整数") from None
    if not low <= value <= high:
        raise CampaignError(f"{label}应在 {low} 到 {high} 之间")
    return value


def parse_plan_form(form: Mapping[str, Sequence[str]], kind: str) -> PlanRequest:
    """The plan form's fields → PlanRequest, with a Chinese message for the first problem."""
    usable = FRAME_FIELDS[RosterKind(kind)]
    strata = tuple(f for f in usable if f in set(form.get("strata") or []))
    rate: float | None = None
    total_n: int | None = None
    if _one(form, "size_mode") == "n":
        total_n = _whole_number(_one(form, "total_n"), "样本量", 1, 10_000_000)
    else:
        try:
            percent = Decimal(_one(form, "rate_percent"))
        except InvalidOperation:
            raise CampaignError("抽样比例应为数字，例如 25 表示 25%") from None
        if not 0 < percent <= 100:
            raise CampaignError("抽样比例应大于 0 且不超过 100（%）")
        rate = float(percent / 100)
    allocation = _one(form, "allocation") or Allocation.PROPORTIONAL.value
    if allocation not in ALLOCATION_LABELS:
        raise CampaignError("未知的分配方式")
    population_filter = {
        name: tuple(sorted({v for v in form.get(f"filter_{name}") or [] if v}))
        for name in usable
    }
    request = PlanRequest(
        kind=kind,
        seed=_whole_number(_one(form, "seed"), "随机种子", 0, _MAX_SEED),
        strata_keys=strata, rate=rate, total_n=total_n, allocation=allocation,
        min_per_stratum=_whole_number(_one(form, "min_per_stratum") or "1", "每层最低样本量", 0,
                                      1000),
        exclude_recent=_whole_number(_one(form, "exclude_recent") or "0", "排除近期批次数", 0,
                                     MAX_EXCLUDE_RECENT),
        population_filter={k: v for k, v in population_filter.items() if v},
        stddevs=_parse_stddevs(_one_text(form, "stddevs"), len(strata)),
    )
    if allocation == Allocation.NEYMAN.value and not request.stddevs:
        raise CampaignError("奈曼分配需要填写各层的标准差")
    request.sampling_plan()  # the sampler's own checks, reported now
    return request


def _one_text(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return str(values[0])


def _parse_stddevs(text: str, strata_count: int) -> tuple[tuple[tuple[str, ...], float], ...]:
    parsed = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        values, sep, spread = line.replace("＝", "=").rpartition("=")
        stratum = tuple(v.strip() for v in values.replace("，", ",").split(","))
        if not sep or len(stratum) != strata_count:
            raise CampaignError(
                f"标准差第{number}行格式应为“层值1,层值2=标准差”，层值个数与分层字段一致"
            )
        try:
            parsed.append((stratum, float(spread)))
        except ValueError:
            raise CampaignError(f"标准差第{number}行的“{spread.strip()}”不是数字") from None
    return tuple(parsed)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)



async def plan_choices(kind: str) -> dict[str, list[str]]:
    """Per frame field, the values present in the roster (for the population filter)."""
    return {
        name: await roster_queries.distinct_values(kind, name)
        for name in FRAME_FIELDS[RosterKind(kind)]
    }
