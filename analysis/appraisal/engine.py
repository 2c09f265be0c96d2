"""The appraisal engine: score rows in, year scores, grades and warning cards out.

Per class and period: each leaf indicator is normalised across the class's units, then the
components are combined with renormalised weights (§A3.1). Per unit: period scores combine with
the period weights (§A3.2), bonus/deduction items apply with caps, the score is clamped and
rounded last (§A3.3), a veto sends the unit to the lowest grade. Grades come from grading.py.

Precision (§A2.6, §A3.4): satisfaction inputs may carry flags and margins of error. A score
flagged SUPPRESSED is treated as missing. MOEs propagate to the final score (independent
samples); BOUNDARY is added when the final score is within its MOE of a grade cut-off. A unit
placed in the lowest grade while its satisfaction input is LOW_PRECISION or BOUNDARY keeps the
proposed grade but `needs_review` is set: it does not fall to the lowest grade unreviewed.

The same engine serves the database path and `survey-app appraise` on a spreadsheet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from analysis.appraisal.adjustments import AdjustedScore, apply_adjustments
from analysis.appraisal.components import (
    ComponentValue,
    Method,
    evaluate,
    normalise,
)
from analysis.appraisal.errors import AppraisalError
from analysis.appraisal.grading import (
    Candidate,
    ClassGrading,
    GradeAssignment,
    GradeRule,
    grade_class,
)
from analysis.appraisal.periods import combine_periods, combined_moe
from analysis.appraisal.scheme import BONUS, DEDUCTION, ClassScheme, Scheme
from analysis.appraisal.warnings import Observation, WarningCard, evaluate_warnings
from analysis.scoring.flags import Flag
from analysis.scoring.weights import WeightedMean, weighted_mean_available


@dataclass(frozen=True)
class ScoreRow:
    """One unit in one period: component inputs by column, adjustments, veto."""

    unit: str
    unit_class: str
    period: str
    values: Mapping[str, float | None]
    flags: Mapping[str, frozenset[Flag]] = field(default_factory=dict)
    moe: Mapping[str, float | None] = field(default_factory=dict)
    bonuses: Mapping[str, float] = field(default_factory=dict)
    deductions: Mapping[str, float] = field(default_factory=dict)
    veto: bool = False
    source: str = ""  # where the row came from, for messages ("第 3 行")


@dataclass(frozen=True)
class PeriodScore:
    period: str
    composite: ComponentValue  # .value is the period score before bonus/deduction
    leaf_flags: tuple[tuple[str, frozenset[Flag]], ...]  # input flags by leaf key
    veto: bool

    @property
    def value(self) -> float | None:
        return self.composite.value

    def flags_of(self, leaf_keys: Collection[str]) -> frozenset[Flag]:
        return frozenset().union(*(flags for key, flags in self.leaf_flags if key in leaf_keys))

    @property
    def flags(self) -> frozenset[Flag]:
        return self.flags_of([key for key, _ in self.leaf_flags])

    @property
    def suppressed_parts(self) -> tuple[str, ...]:
        """Inputs flagged SUPPRESSED: left out, their weight redistributed."""
        return tuple(key for key, flags in self.leaf_flags if Flag.SUPPRESSED in flags)


@dataclass(frozen=True)
class UnitResult:
    unit: str
    unit_class: str
    periods: tuple[PeriodScore, ...]
    period_weights: WeightedMean  # .value is the base score; .weights the λ' actually used
    component_values: tuple[tuple[str, float | None], ...]  # year value per component key
    adjusted: AdjustedScore | None  # None when the unit has no score at all
    moe: float | None  # propagated margin of error of the final score
    flags: frozenset[Flag]
    veto: bool
    assignment: GradeAssignment
    needs_review: bool
    review_reasons: tuple[str, ...]

    @property
    def score(self) -> float | None:
        return self.adjusted.rounded if self.adjusted else None

    @property
    def grade(self) -> str | None:
        return self.assignment.grade


@dataclass(frozen=True)
class ClassResult:
    scheme: ClassScheme
    grading: ClassGrading
    units: tuple[UnitResult, ...]  # by rank; units without a score last
    warnings: tuple[WarningCard, ...]


@dataclass(frozen=True)
class AppraisalResult:
    scheme: Scheme
    classes: tuple[ClassResult, ...]

    def describe(self) -> str:
        return self.scheme.describe()


def run_appraisal(rows: Sequence[ScoreRow], scheme: Scheme) -> AppraisalResult:
    _check_rows(rows, scheme)
    by_class: dict[str, list[ScoreRow]] = defaultdict(list)
    for row in rows:
        by_class[row.unit_class].append(row)
    return AppraisalResult(
        scheme=scheme,
        classes=tuple(
            _appraise_class(by_class[c.name], c, scheme)
            for c in scheme.classes
            if c.name in by_class
        ),
    )


def _check_rows(rows: Sequence[ScoreRow], scheme: Scheme) -> None:
    periods = [p for p, _ in scheme.periods]
    seen: dict[tuple[str, str], str] = {}
    class_of: dict[str, str] = {}
    for row in rows:
        where = f"{row.source}：" if row.source else ""
        unit_class = scheme.class_named(row.unit_class)
        if unit_class is None:
            names = "、".join(c.name for c in scheme.classes)
            raise AppraisalError(f"{where}类别「{row.unit_class}」不在考核方案中，可用：{names}")
        if row.period not in periods:
            raise AppraisalError(
                f"{where}期间「{row.period}」不在考核方案中，可用：{'、'.join(periods)}"
            )
        if (row.unit, row.period) in seen:
            first = seen[(row.unit, row.period)]
            raise AppraisalError(
                f"{where}单位「{row.unit}」在期间「{row.period}」重复出现（另见{first}）"
            )
        seen[(row.unit, row.period)] = row.source or "前文"
        if class_of.setdefault(row.unit, row.unit_class) != row.unit_class:
            raise AppraisalError(
                f"{where}单位「{row.unit}」同时属于「{class_of[row.unit]}」和「{row.unit_class}」"
            )
        for leaf in unit_class.root.leaves():
            value = row.values.get(leaf.column)
            on_score_scale = leaf.normalisation.method is Method.NONE
            if value is not None and on_score_scale and not 0 <= value <= 100:
                raise AppraisalError(f"{where}「{leaf.column}」应在 0–100 之间，实际为 {value:g}")
            moe = row.moe.get(leaf.column)
            if moe is not None and moe < 0:
                raise AppraisalError(f"{where}「{leaf.column}」的误差范围不能为负数")


def _appraise_class(rows: list[ScoreRow], spec: ClassScheme, scheme: Scheme) -> ClassResult:
    period_order = [p for p, _ in scheme.periods]
    periods: dict[str, dict[str, PeriodScore]] = defaultdict(dict)  # unit → period → score
    for period in period_order:
        in_period = [r for r in rows if r.period == period]
        for row, score in zip(in_period, _score_period(in_period, spec), strict=True):
            periods[row.unit][period] = score
    units = sorted(periods)
    rows_of: dict[str, list[ScoreRow]] = defaultdict(list)
    for row in rows:
        rows_of[row.unit].append(row)
    partial = {unit: _year(unit, periods[unit], rows_of[unit], spec, scheme) for unit in units}
    grading = grade_class([p.candidate for p in partial.values()], spec.grading)
    results = [_finish(partial[a.unit], a, spec) for a in grading.assignments]
    order = {g.name: i for i, g in enumerate(spec.grading.grades)}
    results.sort(
        key=lambda r: (
            r.assignment.rank is None,
            r.assignment.rank or 0,
            order.get(r.grade or "", 99),
            r.unit,
        )
    )
    observations = [
        _observation(unit, score, spec) for unit in units for score in periods[unit].values()
    ]
    warnings = evaluate_warnings(observations, period_order, spec.warnings)
    return ClassResult(spec, grading, tuple(results), warnings)


def _score_period(rows: Sequence[ScoreRow], spec: ClassScheme) -> list[PeriodScore]:
    """Period scores of the class's units: normalise each leaf across units, then combine."""
    leaves: dict[str, dict[str, ComponentValue]] = defaultdict(dict)  # unit → leaf key → value
    for leaf in spec.root.leaves():
        usable = {
            r.unit: value
            for r in rows
            if (value := r.values.get(leaf.column)) is not None
            and Flag.SUPPRESSED not in r.flags.get(leaf.column, frozenset())
        }
        moes = {r.unit: r.moe.get(leaf.column) for r in rows}
        for unit, value in normalise(usable, leaf.normalisation).items():
            leaves[unit][leaf.key] = ComponentValue(
                leaf.key, value, raw=usable[unit], moe=moes[unit]
            )
    return [
        PeriodScore(
            period=row.period,
            composite=evaluate(spec.root, leaves[row.unit]),
            leaf_flags=tuple(
                (leaf.key, row.flags.get(leaf.column, frozenset()))
                for leaf in spec.root.leaves()
                if row.flags.get(leaf.column)
            ),
            veto=row.veto,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class _Year:
    """A unit's year score before grading."""

    unit: str
    unit_class: str
    periods: tuple[PeriodScore, ...]
    period_weights: WeightedMean
    component_values: tuple[tuple[str, float | None], ...]
    adjusted: AdjustedScore | None
    moe: float | None
    flags: frozenset[Flag]
    veto: bool
    candidate: Candidate


def _year(
    unit: str,
    periods: Mapping[str, PeriodScore],
    rows: Sequence[ScoreRow],
    spec: ClassScheme,
    scheme: Scheme,
) -> _Year:
    combined = combine_periods({p: s.value for p, s in periods.items()}, scheme.periods)
    components = tuple(
        (
            s.key,
            weighted_mean_available(
                {p: _part_value(score.composite, s.key) for p, score in periods.items()},
                scheme.periods,
            ).value,
        )
        for s in spec.root.walk()
        if s is not spec.root
    )
    adjusted = None
    if combined.value is not None:
        adjusted = apply_adjustments(
            combined.value,
            _sum_by_column(r.bonuses for r in rows),
            _sum_by_column(r.deductions for r in rows),
            scheme.adjustments,
        )
    veto = any(r.veto for r in rows)
    flags = frozenset().union(*(s.flags for s in periods.values()))
    moe = combined_moe({p: s.composite.moe for p, s in periods.items()}, combined)
    cutoffs = spec.grading.cutoffs
    if adjusted and moe is not None and any(abs(adjusted.final - c) < moe for c in cutoffs):
        flags |= {Flag.BOUNDARY}
    values = dict(components)
    if adjusted is not None:
        values |= {BONUS: adjusted.bonus, DEDUCTION: adjusted.deduction}
    keys = tuple(values.get(k.key) for k in spec.grading.secondary_keys)
    candidate = Candidate(unit, adjusted.rounded if adjusted else None, keys, veto)
    return _Year(
        unit,
        spec.name,
        tuple(periods.values()),
        combined,
        components,
        adjusted,
        moe,
        flags,
        veto,
        candidate,
    )


def _part_value(composite: ComponentValue, key: str) -> float | None:
    found = composite.find(key)
    return found.value if found else None


def _sum_by_column(items: Iterable[Mapping[str, float]]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for mapping in items:
        for column, value in mapping.items():
            totals[column] += value
    return dict(totals)


def _finish(year: _Year, assignment: GradeAssignment, spec: ClassScheme) -> UnitResult:
    reasons = []
    if assignment.rule is GradeRule.NO_SCORE:
        reasons.append("没有可用的考核得分")
    elif assignment.grade == spec.grading.lowest and assignment.rule is not GradeRule.VETO:
        for flag in (Flag.LOW_PRECISION, Flag.BOUNDARY):
            if flag in year.flags:
                reasons.append(f"满意度得分{flag.label}，定为{spec.grading.lowest}前须人工复核")
    return UnitResult(
        unit=year.unit,
        unit_class=year.unit_class,
        periods=year.periods,
        period_weights=year.period_weights,
        component_values=year.component_values,
        adjusted=year.adjusted,
        moe=year.moe,
        flags=year.flags,
        veto=year.veto,
        assignment=assignment,
        needs_review=bool(reasons),
        review_reasons=tuple(reasons),
    )


def _observation(unit: str, score: PeriodScore, spec: ClassScheme) -> Observation:
    basis = spec.warnings.basis
    part = score.composite.find(basis)  # the root itself when basis is "total"
    basis_spec = spec.component(basis) or spec.root
    flags = score.flags_of({leaf.key for leaf in basis_spec.leaves()})
    return Observation(
        unit=unit,
        period=score.period,
        score=part.value if part else None,
        moe=part.moe if part else None,
        suppressed=Flag.SUPPRESSED in flags,
        low_precision=Flag.LOW_PRECISION in flags,
        veto=score.veto,
    )
