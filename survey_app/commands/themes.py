"""`survey-app themes`: group the free-text opinions of any CSV file into themes, with no
database. The text column comes out with personal information masked (as everywhere the
platform shows opinions); every other column is copied unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from analysis.tabular import write_csv
from analysis.themes import UNASSIGNED_LABEL, ThemeInputError, ThemeRun, discover_themes
from survey_app.commands.common import CommandError, cell_text, read_table_file

THEME_COLUMN = "theme"
LABEL_COLUMN = "theme_label"


@click.command(name="themes", help="把 CSV 文件中的意见文本聚类为主题（无需数据库）。")
@click.argument("input_csv", metavar="INPUT.csv", type=click.Path(path_type=Path))
@click.option("--text-column", default="text", show_default=True, help="意见文本所在的列名")
@click.option("--k", "k", type=int, default=None, help="主题数（默认自动确定）")
@click.option("--seed", type=int, default=0, show_default=True, help="随机种子（相同种子结果相同）")
@click.option(
    "--out", "out_csv", required=True, type=click.Path(path_type=Path),
    help="输出 CSV：原有各列加上 theme（主题编号，-1 为未归类）与 theme_label 列",
)
@click.option(
    "--summary", "summary_json", type=click.Path(path_type=Path), default=None,
    help="另存主题摘要 JSON（关键词、规模、代表性意见、平均情感）",
)
def themes(
    input_csv: Path,
    text_column: str,
    k: int | None,
    seed: int,
    out_csv: Path,
    summary_json: Path | None,
) -> None:
    if k is not None and k < 1:
        raise CommandError("--k 必须是正整数")
    header, rows = read_table(input_csv)
    if text_column not in header:
        raise CommandError(
            f"文件 {input_csv} 中没有文本列“{text_column}”，现有列：{'、'.join(header)}"
            "（可用 --text-column 指定）"
        )
    column = header.index(text_column)
    texts = [row[column] if column < len(row) else "" for row in rows]
    try:
        run = discover_themes(texts, k=k, seed=seed)
    except ThemeInputError as error:
        raise CommandError(str(error)) from None
    labels = {theme.id: theme.label for theme in run.themes}
    output_rows = []
    for row, masked, theme_id in zip(rows, run.texts, run.assignments, strict=True):
        cells = [*row, *[""] * (len(header) - len(row))][: len(header)]
        cells[column] = masked
        output_rows.append([*cells, theme_id, labels.get(theme_id, UNASSIGNED_LABEL)])
    _write(out_csv, write_csv(output_rows, [*header, THEME_COLUMN, LABEL_COLUMN]))
    if summary_json is not None:
        summary = json.dumps(summarize(run), ensure_ascii=False, indent=2)
        _write(summary_json, summary.encode("utf-8"))
    _echo_overview(run)


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV (UTF-8 with or without BOM, or GBK) or XLSX, as text."""
    header, rows = read_table_file(path)
    return header, [[cell_text(cell) for cell in cells] for _, cells in rows]


def summarize(run: ThemeRun) -> dict[str, object]:
    """The themes as JSON-ready data, with the representative opinions' (masked) texts."""
    unassigned = sum(1 for theme_id in run.assignments if theme_id < 0)
    return {
        "opinions": len(run.assignments),
        "unassigned": unassigned,
        "themes": [
            {
                **theme.to_dict(),
                "representative_texts": [run.texts[i] for i in theme.representatives],
            }
            for theme in run.themes
        ],
    }


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise CommandError(f"无法写入文件 {path}：{error.strerror}") from None


def _echo_overview(run: ThemeRun) -> None:
    unassigned = sum(1 for theme_id in run.assignments if theme_id < 0)
    click.echo(
        f"共 {len(run.assignments)} 条意见，{len(run.themes)} 个主题，未归类 {unassigned} 条"
    )
    for theme in run.themes:
        click.echo(
            f"  [{theme.id}] {theme.label}（{theme.size} 条，"
            f"平均情感 {theme.mean_sentiment:+.2f}）"
        )
