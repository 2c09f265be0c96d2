"""`survey-app appraise`: the appraisal engine on a table of unit scores, no database.

The office fills a CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX with one row per unit and period
and gets the same year scores, grades and warnings as the platform, so a result can be checked
by hand. Columns:

* 单位, 类别, 期间 (required; or unit, class, period) and 一票否决 (optional; 是/否, 1/0);
* one column per indicator of the scheme (its `column`, by default its key, e.g. 企业评);
* optional `<列名>_标记` (flags such as LOW_PRECISION or 精度不足, several separated by ；)
  and `<列名>_误差` (margin of error) for satisfaction indices;
* the scheme's bonus and deduction columns (default 加分, 扣分), blank meaning 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from analysis.appraisal.engine import ClassResult, run_appraisal
from analysis.appraisal.errors import AppraisalError
from analysis.appraisal.input_table import Cells, parse_score_rows, result_table, unused_columns
from analysis.appraisal.scheme import load_scheme
from analysis.scoring.errors import ScoringError
from analysis.tabular import display_width, write_csv
from survey_app.commands.common import CommandError, read_table_file


@click.command(
    name="appraise",
    help="按考核方案对单位得分表（CSV/XLSX）计算年度得分、等次和预警，无需数据库，便于人工复核。",
)
@click.argument("scores", type=click.Path(path_type=Path))
@click.option("--scheme", "scheme_path", type=click.Path(path_type=Path), help="考核方案 YAML 文件")
@click.option("--out", type=click.Path(path_type=Path), help="结果 CSV 文件（UTF-8 带 BOM）")
@click.option("--sheet", default=None, help="XLSX 工作表名称（默认第一个工作表）")
@click.option("--rules", is_flag=True, help="同时打印考核方案的全部规则")
def appraise(
    scores: Path, scheme_path: Path | None, out: Path | None, sheet: str | None, rules: bool
) -> None:
    if scheme_path is None:
        raise CommandError("请用 --scheme 指定考核方案 YAML 文件")
    try:
        scheme = load_scheme(scheme_path)
        header, rows = read_table(scores, sheet)
        score_rows = parse_score_rows(header, rows, scheme)
        result = run_appraisal(score_rows, scheme)
        unused = unused_columns(header, scheme)
    except (AppraisalError, ScoringError) as error:
        raise CommandError(str(error)) from None
    if unused:
        click.echo(f"提示：以下列未被考核方案使用，已忽略：{'、'.join(unused)}", err=True)
    click.echo(
        scheme.describe()
        if rules
        else f"考核方案：{scheme.name}（{scheme.year} 年度，版本 {scheme.version}）"
    )
    for class_result in result.classes:
        _echo_class(class_result)
    if out is not None:
        header_out, rows_out = result_table(result)
        try:
            out.write_bytes(write_csv(rows_out, header_out))
        except OSError as error:
            raise CommandError(f"无法写入结果文件 {out}：{error.strerror}") from None
        click.echo(f"结果已写入 {out}")


# --- reading -------------------------------------------------------------------------------


def read_table(path: Path, sheet: str | None = None) -> tuple[list[str], list[tuple[int, Cells]]]:
    """Header and non-blank data rows (with their spreadsheet row numbers) of a CSV or XLSX."""
    return read_table_file(path, sheet)




























# --- output --------------------------------------------------------------------------------


def _echo_class(result: ClassResult) -> None:
    grading = result.grading
    quotas = "、".join(f"{q.grade} {q.quota}" for q in grading.quotas)
    click.echo(
        f"\n【{result.scheme.name}】{len(result.units)} 个单位"
        + (f"，名额：{quotas}" if quotas else "")
    )
    for decision in grading.decisions:
        click.echo(f"  · {decision.rule.label}：{decision.detail}")
    header = ("排名", "单位", "最终得分", "误差", "等级", "定级依据", "状态")
    rows = [
        (
            _fmt(u.assignment.rank, 0),
            u.unit,
            _fmt(u.score, 2),
            _fmt(u.moe, 2),
            u.grade or "—",
            u.assignment.rule.label,
            "待复核" if u.needs_review else "",
        )
        for u in result.units
    ]
    _echo_table(header, rows)
    for u in result.units:
        if u.needs_review:
            click.echo(f"  待复核：{u.unit}：{'；'.join(u.review_reasons)}")
    cards = [w for w in result.warnings if w.card is not None]
    for w in cards:
        click.echo(
            f"  {w.period} {w.card.label if w.card else ''}：{w.unit}（{'；'.join(w.reasons)}）"
        )


def _echo_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(display_width(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = [
            str(cell) + " " * (width - display_width(str(cell)))
            for cell, width in zip(row, widths, strict=True)
        ]
        click.echo("  " + "  ".join(cells).rstrip())








def _fmt(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"
