"""计算: a draft appraisal run from the stored indicator data and the survey periods that count.

The input table is the one `survey-app appraise` reads: one row per unit and period with the
stored satisfaction indices (flags, margins of error) in the scheme's survey columns and the
stored indicator dataset (appraisal_inputs) in the others. Nothing comes from a file at this
step, so a run can never lose data because a file was not attached.

Which periods count is an explicit choice. A survey period counts by default only when its
campaigns are closed and meet the scheme's response thresholds (survey_periods); otherwise the
office must decide, with a reason, to include it — and its scores then carry 精度不足 with n
and the response rate. Missing indicator cells of the chosen periods stop the run, unless the
office confirms, with a reason, to compute without them (audited; the engine then re-weights
over what is present, as the scheme describes). The run is stored as a draft with its diff
against the published run; nothing is visible to units until it is published.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analysis.appraisal.engine import AppraisalResult, ClassResult, run_appraisal
from analysis.appraisal.errors import AppraisalError
from analysis.appraisal.input_table import parse_score_rows, result_table
from analysis.appraisal.scheme import Scheme
from analysis.appraisal.warnings import Card
from analysis.scoring.errors import ScoringError
from analysis.scoring.flags import Flag
from survey_app.db.queries import appraisal as store
from survey_app.db.queries import appraisal_results as result_queries
from survey_app.db.queries import audit, invitations, units
from survey_app.db.queries import response_quality as quality_queries
from survey_app.db.queries import score_runs as run_queries
from survey_app.db.queries import scores as queries
from survey_app.services import appraisal_inputs as inputs
from survey_app.services.appraisal import (
    CLASS_COLUMN,
    PERIOD_COLUMN,
    UNIT_COLUMN,
    VETO_COLUMN,
    AppraisalFailed,
    audience_label,
    campaign_period,
    input_header,
    parse_scheme_text,
    satisfaction_sources,
    scheme_record,
)
from survey_app.services.appraisal_publication import diff_units, snapshot
from survey_app.services.scores import RESPONDENTS, latest_by_audience

MIN_REASON = 4


@dataclass(frozen=True)
class SurveyStatus:
    """One audience's survey of one scheme period: does it count by default?"""

    audience: str
    campaigns: tuple[str, ...]
    open: bool
    responses: int  # every complete answer, open-link answers included
    invited: int
    sampled: int  # invitations answered: the response rate is of the sample only
    eligible: bool

    @property
    def rate(self) -> float | None:
        return self.sampled / self.invited if self.invited else None

    @property
    def label(self) -> str:
        rate = f"回收率 {self.rate:.1%}" if self.rate is not None else "回收率未知"
        state = "进行中" if self.open else "已结束"
        verdict = "" if self.eligible else "，精度不足"
        who = RESPONDENTS.get(self.audience, audience_label(self.audience))
        return f"{who}调查：{state}，n = {self.responses}，{rate}{verdict}"


@dataclass(frozen=True)
class PeriodStatus:
    key: str
    weight: float
    surveys: tuple[SurveyStatus, ...]
    missing: int  # indicator cells the scheme needs that are not stored

    @property
    def eligible(self) -> bool:
        return all(s.eligible for s in self.surveys)

    @property
    def default_included(self) -> bool:
        return bool(self.surveys) and self.eligible


async def period_statuses(scheme: Scheme) -> list[PeriodStatus]:
    gate = scheme.survey_gate
    periods = {key: campaign_period(scheme, key) for key, _ in scheme.periods}
    latest = latest_by_audience(await run_queries.runs_in_periods(list(periods.values())))
    audiences = sorted(set(satisfaction_sources(scheme).values()))
    all_units = await units.list_units(active_only=True)
    stored = await inputs.stored_cells(scheme.year)
    result = []
    for key, weight in scheme.periods:
        surveys = []
        for audience in audiences:
            run = latest.get((periods[key], audience))
            if run is None:
                continue
            campaigns = [c for c in [await quality_queries.find_campaign(i) for i in run.campaign_ids] if c]
            counts = await queries.status_counts([c.id for c in campaigns])
            responses = sum(c.count for c in counts if c.status == "complete")
            invited = sum([await invitations.count_invitations(c.id) for c in campaigns])
            sampled = await queries.sample_responses([c.id for c in campaigns])
            is_open = any(c.status == "open" for c in campaigns)
            rate_ok = invited == 0 or sampled / invited >= gate.min_response_rate
            surveys.append(SurveyStatus(
                audience, tuple(c.name for c in campaigns), is_open, responses, invited, sampled,
                not is_open and responses >= gate.min_responses and rate_ok,
            ))  # fmt: skip
        missing = inputs.missing_cells(scheme, [key], all_units, stored)
        result.append(PeriodStatus(key, weight, tuple(surveys), len(missing)))
    return result


@dataclass(frozen=True)
class RunRequest:
    scheme_id: int
    periods: tuple[str, ...]
    include_low: tuple[str, ...] = ()  # periods whose low-response surveys count anyway
    low_reason: str = ""
    confirm_missing: bool = False
    missing_reason: str = ""


class NeedsDecision(AppraisalFailed):
    """The run needs an explicit, reasoned decision; `missing` lists what is not stored."""

    def __init__(self, message: str, missing: Sequence[inputs.MissingCell] = ()) -> None:
        self.missing = list(missing)
        super().__init__(message)


@dataclass(frozen=True)
class DraftSummary:
    run_id: int
    units: int
    notes: tuple[str, ...]
    changes: int = 0
    carried: tuple[str, ...] = field(default=())


async def compute_draft(request: RunRequest, *, actor_id: int, actor_name: str, ip: str) -> DraftSummary:
    record = await scheme_record(request.scheme_id)
    scheme = parse_scheme_text(record.yaml_text)
    keys = [key for key, _ in scheme.periods]
    chosen = [key for key in keys if key in request.periods]
    if not chosen:
        raise AppraisalFailed("请至少选择一个计入考核的期间")
    statuses = {s.key: s for s in await period_statuses(scheme)}
    low = [key for key in chosen if not statuses[key].eligible]
    undecided = [key for key in low if key not in request.include_low]
    if undecided:
        detail = "；".join(
            f"{key}（{'；'.join(s.label for s in statuses[key].surveys)}）" for key in undecided
        )
        raise NeedsDecision(
            f"以下期间的满意度调查未结束或回收不足，默认不计入：{detail}。"
            "如确需计入，请勾选“仍计入”并填写理由；否则取消选择该期间。"
        )
    if low and len(request.low_reason.strip()) < MIN_REASON:
        raise NeedsDecision("计入回收不足的调查期间必须填写理由（至少 4 个字），理由将记入审计日志")
    all_units = await units.list_units(active_only=True)
    stored = await inputs.stored_cells(scheme.year)
    missing = inputs.missing_cells(scheme, chosen, all_units, stored)
    if missing and not (request.confirm_missing and len(request.missing_reason.strip()) >= MIN_REASON):
        raise NeedsDecision(
            f"考核方案需要的指标数据还缺 {len(missing)} 项，未计算。请先上传指标数据；"
            "如确需在缺项的情况下计算，请勾选确认并填写理由"
            "（缺项不按 0 分处理，而是按方案在其余指标间重新分配权重）。",
            missing,
        )
    table = await _input_table(scheme, chosen, low, stored, all_units)
    result = _grade(table, scheme)
    inputs_hash = _table_hash(table, record.yaml_text)
    by_code = {u.code: u for u in await units.list_units()}
    await result_queries.store_appraisal(
        record.id, scheme.year, inputs_hash, _results(result, table, by_code)
    )
    carried = await _carry_overrides(record.id, scheme.year)
    current = await snapshot(record.id)
    published = await store.published_run(scheme.year)
    diff = diff_units(published.units if published else [], current)
    notes = list(table.notes)
    if len(chosen) < len(keys):
        shown = "、".join(f"{k}（{w:g}）" for k, w in scheme.periods if k in chosen)
        notes.append(f"本次只计入 {shown}；期间权重按已计入的期间重新折算。")
    settings: dict[str, Any] = {
        "periods": chosen, "include_low": low, "low_reason": request.low_reason.strip(),
        "surveys": {k: [s.label for s in statuses[k].surveys] for k in chosen},
        "missing_confirmed": bool(missing),
        "missing_reason": request.missing_reason.strip() if missing else "",
        "missing": [str(m) for m in missing[:200]], "missing_count": len(missing),
        "notes": notes, "carried_overrides": carried,
    }  # fmt: skip
    run_id = await store.insert_run(
        record.id, scheme.year, dataset_upload=await store.last_applied_upload(scheme.year),
        inputs_hash=inputs_hash, settings=settings, results={"units": current},
        diff={"units": diff}, created_by=actor_id,
    )  # fmt: skip
    await audit.record_event(
        "appraisal.run", actor_id=actor_id, actor_name=actor_name, ip=ip,
        target=f"{record.year} 第{record.version_no}版",
        detail={"scheme": record.id, "run": run_id, "units": len(current), "inputs_hash": inputs_hash,
                "periods": chosen, "include_low": low, "low_reason": settings["low_reason"],
                "missing_count": len(missing), "missing_reason": settings["missing_reason"]},
    )  # fmt: skip
    return DraftSummary(run_id, len(current), tuple(notes), len(diff), tuple(carried))


async def preview_grades(
    scheme: Scheme, periods: Sequence[str], include_low: Sequence[str]
) -> dict[str, tuple[float | None, int | None, str]]:
    """(total, rank, grade) by unit code for a scheme on the stored data; nothing is stored."""
    keys = [key for key, _ in scheme.periods]
    chosen = [key for key in keys if key in periods]
    if not chosen:
        chosen = [s.key for s in await period_statuses(scheme) if s.default_included]
    if not chosen:
        raise AppraisalFailed("修改后的方案中没有可计算的期间")
    low = [key for key in chosen if key in include_low]
    all_units = await units.list_units(active_only=True)
    table = await _input_table(scheme, chosen, low, await inputs.stored_cells(scheme.year), all_units)
    result = _grade(table, scheme)
    return {u.unit: (u.score, u.assignment.rank, u.grade or "") for c in result.classes for u in c.units}


# --- the input table ------------------------------------------------------------------------


@dataclass(frozen=True)
class InputTable:
    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    notes: tuple[str, ...]  # what was left out and why, for the office to read
    survey_notes: Mapping[str, str]  # period key → n, rate, 精度不足 of low-response surveys


async def _input_table(
    scheme: Scheme,
    periods: Sequence[str],
    low: Sequence[str],
    stored: Mapping[tuple[str, str], Mapping[str, float]],
    all_units: Sequence[units.UnitRecord],
) -> InputTable:
    header = input_header(scheme)
    classes = {c.name for c in scheme.classes}
    graded = [u for u in all_units if u.category in classes]
    campaign_periods = {key: campaign_period(scheme, key) for key in periods}
    latest = latest_by_audience(await run_queries.runs_in_periods(list(campaign_periods.values())))
    statuses = {s.key: s for s in await period_statuses(scheme)} if low else {}
    cells: dict[tuple[str, str], dict[str, object]] = {}
    for key, period in campaign_periods.items():
        for column, audience in satisfaction_sources(scheme).items():
            run = latest.get((period, audience))
            if run is None:
                continue
            for score in await run_queries.scores_of_runs([run.id]):
                row = cells.setdefault((score.unit_code, key), {})
                flags = list(score.flags)
                if key in low and Flag.LOW_PRECISION.value not in flags:
                    flags.append(Flag.LOW_PRECISION.value)
                row[column] = score.index_value
                row[f"{column}_标记"] = "；".join(flags)
                row[f"{column}_误差"] = score.margin
    for unit in graded:
        for key in periods:
            values: dict[str, object] = dict(stored.get((unit.code, key), {}))
            if VETO_COLUMN in values:
                values[VETO_COLUMN] = "是" if values[VETO_COLUMN] else "否"
            cells.setdefault((unit.code, key), {}).update(values)
    notes = [f"{key} 的满意度调查回收不足，经决定仍计入：{'；'.join(s.label for s in statuses[key].surveys)}"
             for key in low]  # fmt: skip
    by_code = {u.code: u for u in graded}
    rows = []
    for (code, key), line in sorted(cells.items(), key=lambda kv: (kv[0][0], periods.index(kv[0][1]))):
        member = by_code.get(code)
        if member is None:
            continue
        fixed = {UNIT_COLUMN: code, CLASS_COLUMN: member.category, PERIOD_COLUMN: key}
        rows.append(tuple({**line, **fixed}.get(column) for column in header))
    if not rows:
        raise AppraisalFailed("所选期间没有满意度得分，也没有保存的指标数据，无法计算")
    survey_notes = {key: "；".join(s.label for s in statuses[key].surveys) for key in low}
    return InputTable(header, tuple(rows), tuple(notes), survey_notes)


def _grade(table: InputTable, scheme: Scheme) -> AppraisalResult:
    numbered = [(number, list(row)) for number, row in enumerate(table.rows, start=2)]
    try:
        rows = parse_score_rows(list(table.header), numbered, scheme)
        return run_appraisal(rows, scheme)
    except (AppraisalError, ScoringError) as error:
        raise AppraisalFailed(str(error)) from None


def _table_hash(table: InputTable, yaml_text: str) -> str:
    payload = {"scheme": yaml_text, "header": table.header, "rows": table.rows}
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _results(
    result: AppraisalResult, table: InputTable, by_code: Mapping[str, units.UnitRecord]
) -> list[result_queries.NewAppraisalResult]:
    header, rows = result_table(result)
    unit_at = header.index("单位")
    lines = {str(row[unit_at]): row for row in rows}
    stored = []
    for class_result in result.classes:
        for u in class_result.units:
            inputs_ = [list(row) for row in table.rows if row[0] == u.unit]
            card, card_period, card_reason = _latest_card(class_result, u.unit)
            stored.append(
                result_queries.NewAppraisalResult(
                    unit_id=by_code[u.unit].id,
                    total=u.score,
                    rank=u.assignment.rank,
                    grade=u.grade or "",
                    card=card,
                    details={
                        "class": u.unit_class,
                        "header": header,
                        "row": lines[u.unit],
                        "input_header": list(table.header),
                        "inputs": inputs_,
                        "needs_review": u.needs_review,
                        "review_reasons": list(u.review_reasons),
                        "rule": u.assignment.rule.label,
                        "rule_detail": u.assignment.detail,
                        "grades": [g.name for g in class_result.scheme.grading.grades],
                        "card_period": card_period,
                        "card_reason": card_reason,
                        "survey_notes": dict(table.survey_notes),
                    },
                )
            )
    return stored


def _latest_card(class_result: ClassResult, unit: str) -> tuple[str, str, str]:
    cards = [w for w in class_result.warnings if w.unit == unit and w.card is not None]
    if not cards:
        return "", "", ""
    worst = max(cards, key=lambda w: (w.card is Card.RED, w.period))
    return (worst.card.label if worst.card else ""), worst.period, "；".join(worst.reasons)


async def _carry_overrides(scheme_id: int, year: int) -> list[str]:
    """Overrides of the published run carried to a new scheme version, listed for re-review."""
    published = await store.published_run(year)
    if published is None or published.scheme_id == scheme_id:
        return []
    carried = []
    for result in await result_queries.appraisal_results(scheme_id):
        before = next((u for u in published.units if u["unit_id"] == result.unit_id), None)
        if before is None or not before.get("override_grade") or result.override_grade:
            continue
        if before["override_grade"] not in result.details.get("grades", []):
            continue
        reason = f"{before['override_reason']}（沿用第{published.scheme_version}版的调整，待复核）"
        await result_queries.set_override(result.id, before["override_grade"], reason)
        await store.set_quota_reason(result.id, str(before.get("quota_reason", "")))
        carried.append(f"{result.unit_name}：{before['override_grade']}")
    return carried
