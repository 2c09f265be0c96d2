"""Grades within one assessment class: by score thresholds or by forced distribution (§A3.4).

Forced distribution, e.g. 3:6:1 over M units:
* Quotas: raw q_g = M·r_g/Σr. Each grade declares its rounding: FLOOR for "不超过", CEIL for
  "不少于", or LARGEST_REMAINDER (default). Fixed (floor/ceil) grades are set first, top down,
  never exceeding M; the largest-remainder grades share the rest in proportion to their ratios,
  equal remainders going to the larger raw quota, then to the higher grade. Quotas sum to M.
* Order: rounded final score, then the declared secondary keys (missing values last). Never
  the unit id or a random draw.
* Grades fill top down. When the quota line cuts through units that are equal on every key,
  the grade's tie rule decides: EXCLUDE (whole group goes down, quota under-filled; default for
  "不超过" grades) or INCLUDE (whole group enters, borrowing from the next grade). Unfilled or
  borrowed places carry to the next grade, so the lowest grade takes whoever is left.
* Gates: a grade's `min_score` must be reached to get it (e.g. 优秀 ≥ 90; 良好 ≥ 60 makes < 60
  the lowest grade regardless of quota). Vetoed units go to the lowest grade; by default they
  count in M and use lowest-grade places (`veto_in_quota`).
Every boundary records which rule fired, with a Chinese explanation for the report and log.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from analysis.appraisal.components import competition_ranks
from analysis.appraisal.errors import SchemeError


class GradingMethod(StrEnum):
    FORCED = "forced"
    THRESHOLDS = "thresholds"


class QuotaRounding(StrEnum):
    LARGEST_REMAINDER = "largest_remainder"
    FLOOR = "floor"  # 不超过
    CEIL = "ceil"  # 不少于

    @property
    def label(self) -> str:
        return {
            "largest_remainder": "最大余数法",
            "floor": "不超过（向下取整）",
            "ceil": "不少于（向上取整）",
        }[self.value]


class TieRule(StrEnum):
    EXCLUDE = "exclude"
    INCLUDE = "include"

    @property
    def label(self) -> str:
        return "整组不进入" if self is TieRule.EXCLUDE else "整组进入"


class GradeRule(StrEnum):
    QUOTA = "QUOTA"
    SECONDARY_KEY = "SECONDARY_KEY"
    TIE_EXCLUDE = "TIE_EXCLUDE"
    TIE_INCLUDE = "TIE_INCLUDE"
    GATE = "GATE"
    THRESHOLD = "THRESHOLD"
    VETO = "VETO"
    NO_SCORE = "NO_SCORE"

    @property
    def label(self) -> str:
        return _RULE_LABELS[self]


_RULE_LABELS = {
    GradeRule.QUOTA: "按名额",
    GradeRule.SECONDARY_KEY: "同分按次要指标区分",
    GradeRule.TIE_EXCLUDE: "并列整组不进入",
    GradeRule.TIE_INCLUDE: "并列整组进入",
    GradeRule.GATE: "未达等次最低分",
    GradeRule.THRESHOLD: "按分数线",
    GradeRule.VETO: "一票否决",
    GradeRule.NO_SCORE: "无得分",
}


@dataclass(frozen=True)
class GradeSpec:
    name: str
    ratio: float | None = None  # forced distribution share (any scale: 3:6:1 or 0.3/0.6/0.1)
    rounding: QuotaRounding = QuotaRounding.LARGEST_REMAINDER
    tie: TieRule = TieRule.INCLUDE
    min_score: float | None = None  # gate (forced) or threshold (thresholds)


@dataclass(frozen=True)
class SortKey:
    key: str  # a component key, "bonus" or "deduction"
    label: str
    descending: bool = True


@dataclass(frozen=True)
class GradingSpec:
    method: GradingMethod
    grades: tuple[GradeSpec, ...]
    secondary_keys: tuple[SortKey, ...] = ()
    veto_in_quota: bool = True

    def __post_init__(self) -> None:
        names = [g.name for g in self.grades]
        if len(names) < 2:
            raise SchemeError("至少需要两个等次")
        if len(set(names)) != len(names):
            raise SchemeError("等次名称不能重复")
        if self.grades[-1].min_score is not None:
            raise SchemeError(f"最低等次「{names[-1]}」不能设最低分")
        gates = [g.min_score for g in self.grades if g.min_score is not None]
        if any(later >= earlier for earlier, later in itertools.pairwise(gates)):
            raise SchemeError("各等次的最低分必须从高到低严格递减")
        if self.method is GradingMethod.THRESHOLDS:
            missing = [g.name for g in self.grades[:-1] if g.min_score is None]
            if missing:
                raise SchemeError(f"按分数线定级时，等次「{'、'.join(missing)}」必须设最低分")
        else:
            if any(g.ratio is None or g.ratio <= 0 for g in self.grades):
                raise SchemeError("强制分布的每个等次都必须设正的比例")
            if all(g.rounding is not QuotaRounding.LARGEST_REMAINDER for g in self.grades):
                raise SchemeError("至少要有一个等次使用最大余数法，才能保证名额之和等于单位数")
        if len({k.key for k in self.secondary_keys}) != len(self.secondary_keys):
            raise SchemeError("次要排序指标不能重复")

    @property
    def lowest(self) -> str:
        return self.grades[-1].name

    @property
    def cutoffs(self) -> tuple[float, ...]:
        return tuple(g.min_score for g in self.grades if g.min_score is not None)

    def describe(self) -> str:
        if self.method is GradingMethod.THRESHOLDS:
            lines = [
                "定级：按分数线，"
                + "，".join(f"{g.name} ≥ {g.min_score:g}" for g in self.grades[:-1])
                + f"，其余为{self.lowest}。"
            ]
        else:
            ratios = ":".join(f"{g.ratio:g}" for g in self.grades)
            names = "：".join(g.name for g in self.grades)
            lines = [f"定级：强制分布 {names} = {ratios}（在本类别内）。"]
            for g in self.grades[:-1]:
                gate = f"，最低分 {g.min_score:g}" if g.min_score is not None else ""
                lines.append(
                    f"  {g.name}：名额取整 {g.rounding.label}；名额线上并列时{g.tie.label}{gate}。"
                )
            lines.append(
                f"  {self.lowest}：名额取整 {self.grades[-1].rounding.label}，接收其余单位。"
            )
            veto = "计入" if self.veto_in_quota else "不计入"
            lines.append(
                f"  一票否决的单位直接定为{self.lowest}，{veto}单位总数并占用{self.lowest}名额。"
            )
        keys = "，".join(
            f"{k.label}（{'高者优先' if k.descending else '低者优先'}）"
            for k in self.secondary_keys
        )
        lines.append(
            f"排序：按四舍五入后的最终得分；同分时依次比较 {keys or '（未设置次要指标）'}。"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class Candidate:
    unit: str
    score: float | None  # rounded final score
    keys: tuple[float | None, ...] = ()  # secondary key values, in GradingSpec order
    veto: bool = False


@dataclass(frozen=True)
class Quota:
    grade: str
    raw: float  # M · r_g / Σr
    quota: int
    rounding: QuotaRounding


@dataclass(frozen=True)
class GradeAssignment:
    unit: str
    grade: str | None  # None only for NO_SCORE
    rank: int | None  # competition rank by final score within the class
    rule: GradeRule
    detail: str  # Chinese


@dataclass(frozen=True)
class BoundaryDecision:
    grade: str
    target: int  # quota plus places carried from the grade above
    filled: int
    rule: GradeRule
    units: tuple[str, ...]  # the units the rule was about (tie group, separated pair …)
    detail: str  # Chinese


@dataclass(frozen=True)
class ClassGrading:
    method: GradingMethod
    size: int  # M
    quotas: tuple[Quota, ...]
    assignments: tuple[GradeAssignment, ...]  # one per candidate, in candidate order
    decisions: tuple[BoundaryDecision, ...]

    def count(self, grade: str) -> int:
        return sum(1 for a in self.assignments if a.grade == grade)


def forced_quotas(size: int, grades: Sequence[GradeSpec]) -> tuple[Quota, ...]:
    """Integer quotas per grade that sum exactly to `size` (exact arithmetic, no float drift)."""
    ratios = [Fraction(str(g.ratio)) for g in grades]
    raw = [size * r / sum(ratios) for r in ratios]
    quotas: list[int | None] = [None] * len(grades)
    remaining = size
    for index, grade in enumerate(grades):  # higher grades first if 不少于 over-commits
        if grade.rounding is QuotaRounding.FLOOR:
            quotas[index] = min(math.floor(raw[index]), remaining)
        elif grade.rounding is QuotaRounding.CEIL:
            quotas[index] = min(math.ceil(raw[index]), remaining)
        remaining -= quotas[index] or 0
    shared = [i for i, q in enumerate(quotas) if q is None]
    for index, value in zip(
        shared, largest_remainder([ratios[i] for i in shared], remaining), strict=True
    ):
        quotas[index] = value
    return tuple(
        Quota(g.name, float(r), q or 0, g.rounding)
        for g, r, q in zip(grades, raw, quotas, strict=True)
    )


def largest_remainder(weights: Sequence[Fraction], total: int) -> list[int]:
    """Hamilton apportionment of `total` in proportion to `weights`."""
    if not weights:
        return []
    shares = [total * w / sum(weights) for w in weights]
    floors = [math.floor(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), -shares[i], i))
    for index in order[: total - sum(floors)]:
        floors[index] += 1
    return floors


def grade_class(candidates: Sequence[Candidate], spec: GradingSpec) -> ClassGrading:
    """Grade every candidate of one class; exactly one assignment per candidate."""
    ranks = competition_ranks({c.unit: c.score for c in candidates if c.score is not None})
    fixed: dict[str, GradeAssignment] = {}
    for c in candidates:
        if c.veto:
            fixed[c.unit] = GradeAssignment(
                c.unit,
                spec.lowest,
                ranks.get(c.unit),
                GradeRule.VETO,
                f"一票否决，直接定为{spec.lowest}",
            )
        elif c.score is None:
            fixed[c.unit] = GradeAssignment(
                c.unit, None, None, GradeRule.NO_SCORE, "没有可用的考核得分，需人工处理"
            )
    pool = sorted((c for c in candidates if c.unit not in fixed), key=lambda c: _order(c, spec))
    if spec.method is GradingMethod.THRESHOLDS:
        graded = {c.unit: _by_threshold(c, spec, ranks[c.unit]) for c in pool}
        quotas: tuple[Quota, ...] = ()
        decisions: tuple[BoundaryDecision, ...] = ()
        size = len(pool) + sum(1 for a in fixed.values() if a.rule is GradeRule.VETO)
    else:
        vetoed = sum(1 for a in fixed.values() if a.rule is GradeRule.VETO)
        size = len(pool) + (vetoed if spec.veto_in_quota else 0)
        quotas = forced_quotas(size, spec.grades)
        graded, decisions = _fill_grades(pool, spec, quotas, ranks, vetoed)
    assignments = {**graded, **fixed}
    return ClassGrading(
        method=spec.method,
        size=size,
        quotas=quotas,
        assignments=tuple(assignments[c.unit] for c in candidates),
        decisions=decisions,
    )


def _order(c: Candidate, spec: GradingSpec) -> tuple[object, ...]:
    score = c.score if c.score is not None else -math.inf
    keys = []
    for key, value in zip(spec.secondary_keys, c.keys, strict=True):
        if value is None:
            keys.append((1, 0.0))  # missing sorts last
        else:
            keys.append((0, -value if key.descending else value))
    return (-score, *keys)


def _same(a: Candidate, b: Candidate) -> bool:
    return a.score == b.score and a.keys == b.keys


def _by_threshold(c: Candidate, spec: GradingSpec, rank: int) -> GradeAssignment:
    score = c.score if c.score is not None else -math.inf
    for grade in spec.grades[:-1]:
        if grade.min_score is not None and score >= grade.min_score:
            detail = f"得分 {score:g} 达到{grade.name}分数线 {grade.min_score:g}"
            return GradeAssignment(c.unit, grade.name, rank, GradeRule.THRESHOLD, detail)
    above = spec.grades[-2]
    detail = f"得分 {score:g} 低于{above.name}分数线 {above.min_score:g}"
    return GradeAssignment(c.unit, spec.lowest, rank, GradeRule.THRESHOLD, detail)


def _fill_grades(
    pool: list[Candidate],
    spec: GradingSpec,
    quotas: Sequence[Quota],
    ranks: dict[str, int],
    vetoed: int,
) -> tuple[dict[str, GradeAssignment], tuple[BoundaryDecision, ...]]:
    graded: dict[str, GradeAssignment] = {}
    notes: dict[str, tuple[GradeRule, str]] = {}  # a boundary rule that moved a unit
    decisions: list[BoundaryDecision] = []
    carry = 0
    for grade, quota in zip(spec.grades[:-1], quotas[:-1], strict=True):
        target = quota.quota + carry
        carried = f"（{quota.quota} + 上一等次顺延 {carry:+d}）" if carry else ""
        quota_text = f"{grade.name}名额 {max(target, 0)} 个{carried}"
        taken, decision = _fill_one(pool, grade, max(target, 0), quota_text, spec, notes)
        decisions.append(decision)
        carry = target - len(taken)
        for c in taken:
            rule, detail = notes.pop(
                c.unit, (GradeRule.QUOTA, f"排名第 {ranks[c.unit]}，在{grade.name}名额内")
            )
            graded[c.unit] = GradeAssignment(c.unit, grade.name, ranks[c.unit], rule, detail)
        pool = pool[len(taken) :]
    lowest, above = spec.grades[-1], spec.grades[-2]
    for c in pool:
        score = c.score if c.score is not None else -math.inf
        if above.min_score is not None and score < above.min_score:
            rule, detail = (
                GradeRule.GATE,
                f"得分 {score:g} 低于{above.name}最低分 {above.min_score:g}",
            )
        else:
            rule, detail = notes.pop(
                c.unit, (GradeRule.QUOTA, f"排名第 {ranks[c.unit]}，列入{lowest.name}")
            )
        graded[c.unit] = GradeAssignment(c.unit, lowest.name, ranks[c.unit], rule, detail)
    in_lowest = len(pool) + (vetoed if spec.veto_in_quota else 0)
    decisions.append(
        BoundaryDecision(
            lowest.name,
            max(quotas[-1].quota + carry, 0),
            in_lowest,
            GradeRule.QUOTA,
            (),
            f"{lowest.name}名额 {quotas[-1].quota} 个"
            + (f"（上一等次顺延 {carry:+d}）" if carry else "")
            + f"，实际 {in_lowest} 个"
            + (f"（含一票否决 {vetoed} 个）" if vetoed else ""),
        )
    )
    return graded, tuple(decisions)


def _fill_one(
    pool: Sequence[Candidate],
    grade: GradeSpec,
    target: int,
    quota_text: str,
    spec: GradingSpec,
    notes: dict[str, tuple[GradeRule, str]],
) -> tuple[Sequence[Candidate], BoundaryDecision]:
    """The prefix of `pool` that gets `grade`, and the rule that fixed the boundary."""
    eligible = [c for c in pool if grade.min_score is None or (c.score or 0) >= grade.min_score]
    if len(eligible) <= target:
        if len(eligible) < len(pool) and len(eligible) < target:
            detail = (
                f"{quota_text}，只有 {len(eligible)} 个单位达到最低分 "
                f"{grade.min_score:g}，空余 {target - len(eligible)} 个名额顺延到下一等次"
            )
            return eligible, BoundaryDecision(
                grade.name, target, len(eligible), GradeRule.GATE, (), detail
            )
        gate = f"达到最低分 {grade.min_score:g} 的" if grade.min_score is not None else ""
        detail = f"{quota_text}，{gate}候选单位 {len(eligible)} 个全部进入"
        return eligible, BoundaryDecision(
            grade.name, target, len(eligible), GradeRule.QUOTA, (), detail
        )
    if target == 0:
        detail = f"{quota_text}，名额已被上一等次借用"
        return [], BoundaryDecision(grade.name, 0, 0, GradeRule.QUOTA, (), detail)
    last_in, first_out = eligible[target - 1], eligible[target]
    if _same(last_in, first_out):
        group = [c for c in eligible if _same(c, first_out)]
        start = eligible.index(group[0])
        names = "、".join(c.unit for c in group)
        if grade.tie is TieRule.EXCLUDE:
            taken, rule = eligible[:start], GradeRule.TIE_EXCLUDE
            outcome = f"按「整组不进入」全部列入下一等次，{grade.name}实际 {start} 个"
        else:
            taken, rule = eligible[: start + len(group)], GradeRule.TIE_INCLUDE
            outcome = (
                f"按「整组进入」全部列入{grade.name}，实际 {len(taken)} 个，多出名额从下一等次扣减"
            )
        detail = f"{quota_text}；{names} 并列（{first_out.score:g} 分）跨越名额线，{outcome}"
        for c in group:
            notes[c.unit] = (rule, detail)
        units = tuple(c.unit for c in group)
        return taken, BoundaryDecision(grade.name, target, len(taken), rule, units, detail)
    if last_in.score == first_out.score:
        key = next(
            k.label
            for k, a, b in zip(spec.secondary_keys, last_in.keys, first_out.keys, strict=True)
            if a != b
        )
        detail = (
            f"{quota_text}；{last_in.unit} 与 {first_out.unit} 同分 {first_out.score:g}，"
            f"按次要指标「{key}」区分，{last_in.unit} 列入{grade.name}"
        )
        notes[last_in.unit] = notes[first_out.unit] = (GradeRule.SECONDARY_KEY, detail)
        units = (last_in.unit, first_out.unit)
        return eligible[:target], BoundaryDecision(
            grade.name, target, target, GradeRule.SECONDARY_KEY, units, detail
        )
    detail = f"{quota_text}，第 {target} 位 {last_in.score:g} 分，下一位 {first_out.score:g} 分"
    return eligible[:target], BoundaryDecision(
        grade.name, target, target, GradeRule.QUOTA, (), detail
    )
