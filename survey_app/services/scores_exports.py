"""Satisfaction score exports (XLSX/CSV) with the rules that produced them. Split out of
services/scores.py."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.report_xlsx import INTEGER, PERCENT, SCORE, Sheet, write_report_xlsx
from analysis.tabular import write_csv
from survey_app.db.queries import audit
from survey_app.db.queries import score_runs as run_queries
from survey_app.services.scores import (
    RunScores,
    ScoresError,
    flag_labels,
    period_scores,
)

# --- exports --------------------------------------------------------------------------------

EXPORT_HEADER = (
    "评价对象", "类别", "排名", "单位代码", "单位名称", "有效样本", "满意度指数", "标准误",
    "误差范围(±)", "置信区间下限", "置信区间上限", "满意率", "基本满意率", "知晓率", "回收率",
    "收缩后得分", "标记", "标记说明", "未计入的题目", "权重规则",
)  # fmt: skip


def _export_row(label: str, row: run_queries.UnitScoreRecord) -> list[object]:
    d = row.details
    ci = d.get("ci") or (None, None)
    return [
        label, row.category, d.get("rank"), row.unit_code, row.unit_name, row.n,
        _round(row.index_value, 2), _round(row.std_error, 3), _round(row.margin, 2),
        _round(ci[0], 2), _round(ci[1], 2), _round(row.satisfied_rate, 4),
        _round(d.get("broad_satisfaction_rate"), 4), _round(row.awareness, 4),
        _round(d.get("response_rate"), 4), _round(d.get("shrunk"), 2),
        "、".join(flag_labels(" ".join(row.flags))),
        "；".join(f["detail"] for f in d.get("flags", [])),
        "、".join(d.get("suppressed_labels") or d.get("suppressed_items", [])), d.get("weights_rule", ""),
    ]  # fmt: skip


FORMATS = {
    "满意度指数": SCORE, "误差范围(±)": SCORE, "置信区间下限": SCORE, "置信区间上限": SCORE,
    "收缩后得分": SCORE, "标准误": "0.000", "满意率": PERCENT, "基本满意率": PERCENT, "知晓率": PERCENT,
    "回收率": PERCENT, "有效样本": INTEGER, "排名": INTEGER,
}  # fmt: skip
LONG_HEADER = ("评价对象", "期间", "单位代码", "单位名称", "类别", "指标", "数值")
LONG_MEASURES = ("满意度指数", "误差范围(±)", "置信区间下限", "置信区间上限", "满意率", "知晓率", "有效样本")


def _long_rows(rows: Sequence[tuple[str, run_queries.UnitScoreRecord]], period: str) -> list[list[object]]:
    """One row per unit and measure: ready for a pivot table."""
    lines: list[list[object]] = []
    for label, row in rows:
        values = dict(zip(EXPORT_HEADER, _export_row(label, row), strict=True))
        for measure in LONG_MEASURES:
            if isinstance(values[measure], int | float):
                unit = [row.unit_code, row.unit_name, row.category]
                lines.append([label, period, *unit, measure, values[measure]])
    return lines


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def rules_rows(runs: Sequence[RunScores]) -> list[list[object]]:
    """The rules and inputs of each run, one (项目, 内容) line each."""
    rows: list[list[object]] = []
    for r in runs:
        s = r.run.settings
        rows += [
            [f"【{r.audience_label}】期间", r.run.period],
            ["计算编号", r.run.id],
            ["计算时间（UTC）", r.run.created_at.isoformat() if r.run.created_at else ""],
            ["输入数据指纹（SHA-256）", r.run.inputs_hash],
            ["调查批次", "、".join(f"{c['code']} {c['name']}" for c in s.get("campaigns", []))],
            ["维度权重", "、".join(f"{n}={w:g}" for n, w in s.get("dimension_weights", []))
             or "各维度等权"],
            ["无回答调整系数上限", s.get("max_adjustment")],
        ]  # fmt: skip
        rows += [["规则", line] for line in str(s.get("rules", "")).splitlines()]
        rows += [
            ["抽样层", f"{st['key']}：受访 {st['respondents']}，抽中 {st['sampled'] or '—'}，"
             f"总体 {st['population'] or '—'}，调整系数 {st['adjustment']:.4g}"]
            for st in s.get("strata", [])
        ]  # fmt: skip
    return rows


async def export_scores(
    period: str, fmt: str, *, actor_id: int, actor_name: str, ip: str
) -> tuple[bytes, str]:
    """XLSX (one sheet per unit class plus the rules) or CSV of the period's latest scores."""
    runs = await period_scores(period)
    if not runs:
        raise ScoresError(f"期间 {period} 还没有计算满意度得分")
    rows = [(r.audience_label, row) for r in runs for row in r.rows]
    if fmt == "csv":
        content = write_csv([_export_row(label, row) for label, row in rows], EXPORT_HEADER)
    else:
        categories = sorted({row.category for _, row in rows})
        sheets: dict[str, Sheet] = {
            category: (
                EXPORT_HEADER,
                [_export_row(label, row) for label, row in rows if row.category == category],
                FORMATS,
            )
            for category in categories
        }
        sheets["长表"] = (LONG_HEADER, _long_rows(rows, period), {"数值": "0.0000"})
        sheets["计算规则与阈值"] = (("项目", "内容"), rules_rows(runs), {})
        content = write_report_xlsx(sheets)
        fmt = "xlsx"
    await audit.record_event(
        "scores.export",
        actor_id=actor_id,
        actor_name=actor_name,
        target=period,
        ip=ip,
        detail={"format": fmt, "runs": [r.run.id for r in runs], "rows": len(rows)},
    )
    return content, f"满意度得分_{period}.{fmt}"
