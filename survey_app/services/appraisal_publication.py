"""发布: freezing a run's results for units, their exports and the API.

The office works on the live results of the latest run (draft, overrides). Publishing copies
them into the run as a snapshot; everything outside the office reads only that snapshot, so a
new 计算 or an override changes nothing a unit sees until it is published again. The first
publication of a year needs no reason; every later one does. Every step is audited, and the
diff against the previously published snapshot says which units change rank, grade or card
and why (score and inputs).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries import appraisal as store
from survey_app.db.queries import appraisal_results as result_queries
from survey_app.db.queries import audit
from survey_app.services.appraisal import AppraisalFailed

MIN_REASON = 4
RECTIFY_DAYS = 21  # 15 working days (research/scoring.md §A3.3) ≈ three calendar weeks


async def snapshot(scheme_id: int) -> list[dict[str, Any]]:
    """The live results of a scheme version as plain values (what a publication freezes)."""
    results = await result_queries.appraisal_results(scheme_id)
    reasons = await store.quota_reasons(scheme_id)
    return [
        {
            "result_id": r.id, "unit_id": r.unit_id, "unit_code": r.unit_code, "unit_name": r.unit_name,
            "class": str(r.details.get("class", r.category)), "total": r.total, "rank": r.rank,
            "grade": r.grade, "final_grade": r.final_grade, "override_grade": r.override_grade,
            "override_reason": r.override_reason, "quota_reason": reasons.get(r.id, ""), "card": r.card,
            "card_period": r.details.get("card_period", ""), "card_reason": r.details.get("card_reason", ""),
            "needs_review": bool(r.details.get("needs_review")) and not r.override_grade,
            "review_reasons": r.details.get("review_reasons", []), "rule": r.details.get("rule", ""),
            "survey_notes": r.details.get("survey_notes", {}), "header": r.details.get("header", []),
            "row": r.details.get("row", []), "input_header": r.details.get("input_header", []),
            "inputs": r.details.get("inputs", []), "grades": r.details.get("grades", []),
        }
        for r in results
    ]  # fmt: skip


def diff_units(before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Units whose rank, final grade or card differ, with the score and input changes behind it."""
    old = {u["unit_id"]: u for u in before}
    changes = []
    for unit in after:
        prior = old.get(unit["unit_id"])
        if prior is None:
            if before:
                changes.append({"unit_name": unit["unit_name"], "unit_code": unit["unit_code"],
                                "what": ["新参加考核"], "why": []})  # fmt: skip
            continue
        what = [
            f"{label}：{prior.get(key) or '—'} → {unit.get(key) or '—'}"
            for key, label in (("rank", "排名"), ("final_grade", "等次"), ("card", "预警"))
            if (prior.get(key) or "") != (unit.get(key) or "")
        ]
        if not what:
            continue
        changes.append({"unit_name": unit["unit_name"], "unit_code": unit["unit_code"], "what": what,
                        "why": _why(prior, unit)})  # fmt: skip
    return changes


def _why(prior: dict[str, Any], unit: dict[str, Any]) -> list[str]:
    reasons = []
    a, b = prior.get("total"), unit.get("total")
    if a is not None and b is not None and not math.isclose(a, b):
        reasons.append(f"考核得分 {a:.2f} → {b:.2f}（{b - a:+.2f}）")
    elif (a is None) != (b is None):
        reasons.append(f"考核得分 {a if a is not None else '—'} → {b if b is not None else '—'}")
    if (prior.get("override_grade") or "") != (unit.get("override_grade") or ""):
        reasons.append(f"等次调整：{unit.get('override_reason') or '撤销调整'}")
    header = list(unit.get("input_header", []))
    rows_before = {str(r[2]): r for r in prior.get("inputs", []) if len(r) > 2}
    for row in unit.get("inputs", []):
        old_row = rows_before.get(str(row[2]))
        for i, column in enumerate(header[3:], start=3):
            new_value = row[i] if i < len(row) else None
            old_value = old_row[i] if old_row is not None and i < len(old_row) else None
            if _differs(old_value, new_value) and not column.endswith(("_误差", "_标记")):
                reasons.append(f"{row[2]}「{column}」{_show(old_value)} → {_show(new_value)}")
    if not rows_before and unit.get("inputs"):
        reasons.append("上次发布时没有该单位的输入数据")
    return reasons[:12]


def _differs(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return not math.isclose(a, b)
    return (a if a not in ("", None) else None) != (b if b not in ("", None) else None)


def _show(value: object) -> str:
    if value in (None, ""):
        return "空"
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- publishing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeView:
    """What the office sees for a year: the latest run and whether it is published."""

    run: store.RunRecord | None
    published: store.RunRecord | None
    live: list[dict[str, Any]]  # live results of the run's scheme version
    diff: list[dict[str, Any]]  # live against the published snapshot

    @property
    def state(self) -> str:
        """draft (never published), changed (published, edited since) or published."""
        if self.run is None:
            return ""
        if self.run.status == "draft" or self.published is None:
            return "draft"
        keys = ("final_grade", "override_reason", "quota_reason", "rank", "card", "total")
        frozen = {u["unit_id"]: tuple(u.get(k) for k in keys) for u in self.published.units}
        changed = any(frozen.get(u["unit_id"]) != tuple(u.get(k) for k in keys) for u in self.live)
        return "changed" if changed or len(frozen) != len(self.live) else "published"


async def office_view(year: int) -> OfficeView:
    runs = [r for r in await store.runs_of_year(year) if r.status in ("draft", "published")]
    run = runs[0] if runs else None
    published = await store.published_run(year)
    live = await snapshot(run.scheme_id) if run else []
    diff = diff_units(published.units, live) if published and run else []
    return OfficeView(run, published, live, diff)


async def publish(run_id: int, reason: str, *, actor_id: int, actor_name: str, ip: str) -> int:
    """Freeze the run's live results; republishing a year needs a reason. Returns new cards."""
    run = await store.find_run(run_id)
    if run is None or run.status not in ("draft", "published"):
        raise AppraisalFailed("只能发布最新一次计算的结果")
    latest = [r for r in await store.runs_of_year(run.year) if r.status in ("draft", "published")]
    if not latest or latest[0].id != run_id:
        raise AppraisalFailed("已有更新的计算结果，请发布最新一次计算")
    previous = await store.published_run(run.year)
    reason = reason.strip()
    if previous is not None and len(reason) < MIN_REASON:
        raise AppraisalFailed(
            "本年度已发布过考核结果，重新发布必须填写理由（至少 4 个字），理由将记入审计日志"
        )
    live = await snapshot(run.scheme_id)
    diff = diff_units(previous.units if previous else [], live)
    await store.mark_published(run_id, run.year, {"units": live}, {"units": diff}, reason, actor_id)
    issued = await _issue_cards(run, live)
    await audit.record_event(
        "appraisal.publish", actor_id=actor_id, actor_name=actor_name, ip=ip,
        target=f"{run.year} 第{run.scheme_version}版 计算#{run.id}",
        detail={"run": run_id, "republish": previous is not None, "reason": reason, "changes": len(diff),
                "cards": issued},
    )  # fmt: skip
    return issued


async def _issue_cards(run: store.RunRecord, live: Sequence[dict[str, Any]]) -> int:
    """A register entry for every card of the published results not already open for it."""
    existing = {(c.unit_id, c.period, c.color) for c in await store.cards(run.year) if c.status != "lifted"}
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(days=RECTIFY_DAYS)
    issued = 0
    for unit in live:
        key = (unit["unit_id"], unit.get("card_period", ""), unit.get("card", ""))
        if not unit.get("card") or key in existing:
            continue
        reason = str(unit.get("card_reason") or unit.get("card") or "")
        await store.insert_card(run.year, unit["unit_id"], key[1], key[2], reason, run.id, deadline)
        issued += 1
    return issued


async def find_run(run_id: int) -> store.RunRecord | None:
    return await store.find_run(run_id)


async def runs_of_year(year: int) -> list[store.RunRecord]:
    return await store.runs_of_year(year)


# --- what units, their exports and the API see ----------------------------------------------


async def published_units(year: int) -> tuple[store.RunRecord | None, list[dict[str, Any]]]:
    run = await store.published_run(year)
    return run, (run.units if run else [])


async def published_by_unit(year: int) -> dict[int, dict[str, Any]]:
    _, published = await published_units(year)
    return {u["unit_id"]: u for u in published}


def result_lines(unit: dict[str, Any]) -> list[tuple[str, Any]]:
    """(column, value) pairs of a published result line, for the unit card."""
    return list(zip(unit.get("header", []), unit.get("row", []), strict=False))
