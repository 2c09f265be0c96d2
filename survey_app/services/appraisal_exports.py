"""Appraisal exports for Excel: unit names and codes, numbers as numbers with formats, filters
and frozen headers on every sheet, one long pivot-ready sheet, the rules and the input table.
A draft is marked as such in the file name and on every result sheet."""

from __future__ import annotations

from typing import Any

from analysis.report_xlsx import INTEGER, SCORE, write_report_xlsx
from analysis.tabular import write_csv
from survey_app.db.queries import audit
from survey_app.services.appraisal import AppraisalFailed, parse_scheme_text, scheme_record
from survey_app.services.appraisal_publication import office_view, snapshot

RESULT_HEADER = (
    "状态", "单位代码", "单位名称", "类别", "排名", "考核得分", "计算等次", "最终等次", "等次调整理由",
    "突破强制分布的依据", "预警", "预警原因", "复核", "定级规则", "满意度调查说明",
)  # fmt: skip
FORMATS = {"排名": INTEGER, "考核得分": SCORE}
LONG_HEADER = ("单位代码", "单位名称", "类别", "期间", "项目", "数值")


def result_line(unit: dict[str, Any], state: str) -> list[object]:
    review = "待复核：" + "；".join(unit.get("review_reasons", [])) if unit.get("needs_review") else "确定"
    surveys = "；".join(f"{k}：{v}" for k, v in dict(unit.get("survey_notes", {})).items())
    return [
        state, unit["unit_code"], unit["unit_name"], unit["class"], unit.get("rank"), unit.get("total"),
        unit.get("grade") or "", unit.get("final_grade") or "", unit.get("override_reason") or "",
        unit.get("quota_reason") or "", unit.get("card") or "", unit.get("card_reason") or "", review,
        unit.get("rule") or "", surveys,
    ]  # fmt: skip


def long_rows(units: list[dict[str, Any]]) -> list[list[object]]:
    """One row per unit, period and input column with a numeric value (for pivot tables)."""
    rows: list[list[object]] = []
    for unit in units:
        header = list(unit.get("input_header", []))
        for line in unit.get("inputs", []):
            for column, value in zip(header[3:], line[3:], strict=False):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    rows.append([unit["unit_code"], unit["unit_name"], unit["class"], line[2], column, value])
        rows.append(
            [unit["unit_code"], unit["unit_name"], unit["class"], "全年", "考核得分", unit.get("total")]
        )
    return rows


async def export_results(
    scheme_id: int, fmt: str, *, actor_id: int, actor_name: str, ip: str
) -> tuple[bytes, str]:
    record = await scheme_record(scheme_id)
    units = await snapshot(scheme_id)
    if not units:
        raise AppraisalFailed("该考核方案还没有计算结果")
    view = await office_view(record.year)
    published = view.run is not None and view.run.scheme_id == scheme_id and view.state == "published"
    state = "已发布" if published else "草稿（未发布）"
    ordered = sorted(units, key=lambda u: (u["class"], u["rank"] is None, u["rank"] or 0))
    lines = [result_line(u, state) for u in ordered]
    suffix = "" if published else "_草稿"
    if fmt == "csv":
        content = write_csv(lines, RESULT_HEADER)
    else:
        sheets: dict[str, Any] = {}
        for class_name in dict.fromkeys(u["class"] for u in ordered):
            sheets[class_name] = (RESULT_HEADER, [line for line in lines if line[3] == class_name], FORMATS)
        sheets["长表"] = (LONG_HEADER, long_rows(ordered), {"数值": SCORE})
        scheme = parse_scheme_text(record.yaml_text)
        sheets["考核规则"] = (("规则",), [[line] for line in scheme.describe().splitlines()], {})
        input_header = ["单位名称", *ordered[0]["input_header"]]
        inputs = [[u["unit_name"], *row] for u in ordered for row in u["inputs"]]
        sheets["输入数据"] = (input_header, inputs, {})
        content = write_report_xlsx(sheets)
        fmt = "xlsx"
    await audit.record_event(
        "appraisal.export", actor_id=actor_id, actor_name=actor_name, ip=ip,
        target=f"{record.year} 第{record.version_no}版",
        detail={"format": fmt, "rows": len(lines), "state": state},
    )  # fmt: skip
    return content, f"考核结果_{record.year}_第{record.version_no}版{suffix}.{fmt}"
