"""Grade overrides inside the rules.

An override needs a reason. One that would break the class's forced distribution (more units
in a grade or better than the places of those grades, and more than computed) is
refused unless the office confirms it a second time with a documented reason; that reason is
kept with the result and shown in every result view and export. An override settles 待复核.
Every override is kept in a per-unit history besides the audit log.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from analysis.appraisal.grading import GradingMethod, forced_quotas
from survey_app.db.queries import appraisal as store
from survey_app.db.queries import appraisal_results as result_queries
from survey_app.db.queries import audit
from survey_app.services.appraisal import MAX_REASON, AppraisalFailed, parse_scheme_text, scheme_record

MIN_REASON = 4


class QuotaBreach(AppraisalFailed):
    """The override breaks the forced distribution: a second confirmation with a reason is needed."""


@dataclass(frozen=True)
class OverrideRequest:
    result_id: int
    grade: str
    reason: str
    confirm_quota: bool = False
    quota_reason: str = ""


async def quota_problem(result: result_queries.AppraisalRecord, grade: str) -> str:
    """Chinese text saying how the override breaks the class quota, or '' when it does not."""
    record = await scheme_record(result.scheme_id)
    scheme = parse_scheme_text(record.yaml_text)
    class_name = str(result.details.get("class", result.category))
    class_scheme = scheme.class_named(class_name)
    if class_scheme is None or class_scheme.grading.method is not GradingMethod.FORCED:
        return ""
    peers = [r for r in await result_queries.appraisal_results(result.scheme_id)
             if str(r.details.get("class", r.category)) == class_name]  # fmt: skip
    finals = Counter(grade if r.id == result.id else r.final_grade for r in peers)
    computed = Counter(r.grade for r in peers)
    grades = class_scheme.grading.grades
    quotas = forced_quotas(len(peers), grades)
    ratio = ":".join(f"{g.ratio:g}" for g in grades)
    # Grades fill top down and unused places pass to the grade below, so the rule is cumulative:
    # the units in a grade or better may not exceed the places of those grades (unless the
    # computation itself already did, e.g. a tie group let in whole).
    final_sum = computed_sum = quota_sum = 0
    for index, (spec, quota) in enumerate(zip(grades[:-1], quotas[:-1], strict=True)):
        final_sum += finals[spec.name]
        computed_sum += computed[spec.name]
        quota_sum += quota.quota
        if final_sum > quota_sum and final_sum > computed_sum:
            which = f"「{spec.name}」" if index == 0 else f"「{spec.name}」及以上"
            return (f"调整后「{class_name}」{which}将有 {final_sum} 个，超过 {ratio} 强制分布允许的 "
                    f"{quota_sum} 个（共 {len(peers)} 个单位）")  # fmt: skip
    return ""


async def override_grade(request: OverrideRequest, *, actor_id: int, actor_name: str, ip: str) -> None:
    """Set (or clear, with the computed grade) the final grade; a reason is always required."""
    result = await result_queries.find_result(request.result_id)
    if result is None:
        raise AppraisalFailed("考核结果不存在")
    reason = request.reason.strip()
    if len(reason) < MIN_REASON:
        raise AppraisalFailed("调整等次必须填写理由（至少 4 个字），理由将记入审计日志")
    if len(reason) > MAX_REASON or len(request.quota_reason) > MAX_REASON:
        raise AppraisalFailed(f"理由不能超过 {MAX_REASON} 个字")
    grades = result.details.get("grades", [])
    grade = request.grade.strip()
    if grade and grade not in grades:
        raise AppraisalFailed(f"等次「{grade}」不在本类别的等次中，可选：{'、'.join(grades)}")
    if grade == result.grade:
        grade = ""  # the same as computed: no override
    breach = await quota_problem(result, grade or result.grade)
    quota_reason = request.quota_reason.strip() if breach else ""
    if breach and not (request.confirm_quota and len(quota_reason) >= MIN_REASON):
        raise QuotaBreach(
            f"{breach}。如确需突破名额，请勾选“确认突破强制分布”并写明依据（如考核委员会决议文号）；"
            "依据将显示在考核结果和所有导出文件中。"
        )
    await result_queries.set_override(result.id, grade, reason if grade else "")
    await store.set_quota_reason(result.id, quota_reason)
    await store.log_override(
        store.OverrideEntry(result.unit_id, result.year, result.grade, result.final_grade,
                            grade or result.grade, reason, quota_reason, actor_name, None),
        result.scheme_id,
    )  # fmt: skip
    await audit.record_event(
        "appraisal.override",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"{result.year} {result.unit_name}",
        ip=ip,
        detail={"unit": result.unit_code, "computed": result.grade,
                "from": result.final_grade, "to": grade or result.grade, "reason": reason,
                **({"quota_breach": breach, "quota_reason": quota_reason} if breach else {})},
    )  # fmt: skip


async def history(unit_id: int) -> list[store.OverrideEntry]:
    return await store.override_history(unit_id)
