"""`survey-app sample`: draw (or replay) a stratified sample from a roster file, no database.

The command runs exactly the algorithm of :mod:`questionnaires.sampling`, so an auditor
holding the roster snapshot, the plan and the seed gets the same sample as the platform.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from analysis.tabular import display_width, write_csv, write_xlsx
from questionnaires.roster import (
    FIELD_LABELS,
    FRAME_FIELDS,
    RosterImportError,
    RosterKind,
    RosterParseResult,
    RosterRecord,
    build_error_report_xlsx,
    canonical_field,
    parse_roster,
)
from questionnaires.sampling import (
    DEFAULT_RATE,
    Allocation,
    SampleDraw,
    SamplingError,
    SamplingPlan,
    Stratum,
    StratumAllocation,
    draw_sample,
)
from survey_app.commands.common import CommandError

SAMPLE_EXTRA_COLUMNS = ("层", "设计权数", "原行号")
ALLOCATION_HEADER = ("层", "N_h", "n_h", "抽样比")
_SHOWN_ROW_ERRORS = 10


@click.command(name="sample", help="从名单文件（CSV/XLSX）按分层随机抽样，可用于复核抽样结果。")
@click.argument("roster", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice([k.value for k in RosterKind]),
    default=RosterKind.ENTERPRISE.value,
    show_default=True,
    help="名单类型：enterprise 企业，resident 居民",
)
@click.option("--strata", default="", help="分层字段，逗号分隔，如 industry,size")
@click.option("--rate", type=float, default=None, help="抽样比例（默认0.25）")
@click.option("--n", "total_n", type=int, default=None, help="总样本量（与 --rate 二选一）")
@click.option(
    "--allocation",
    type=click.Choice([a.value for a in Allocation]),
    default=Allocation.PROPORTIONAL.value,
    show_default=True,
    help="分配方式：proportional 比例，neyman 奈曼，fixed_rate 各层固定比例",
)
@click.option(
    "--stddev",
    "stddevs",
    multiple=True,
    help="奈曼分配的层标准差，格式“层值1,层值2=标准差”，每层一次",
)
@click.option("--only", "filters", multiple=True, help="总体筛选，格式“字段=值1,值2”，可多次")
@click.option("--min-per-stratum", type=int, default=1, show_default=True, help="每层最低样本量")
@click.option(
    "--exclude",
    "exclude_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="排除名单文件（近期已抽中的对象编号，每行一个）",
)
@click.option("--seed", required=True, help="随机种子（复核时使用原种子）")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="样本输出文件（.csv 或 .xlsx）",
)
@click.option(
    "--errors-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="导入问题报告输出文件（.xlsx）",
)
def sample(
    roster: Path,
    kind: str,
    strata: str,
    rate: float | None,
    total_n: int | None,
    allocation: str,
    stddevs: tuple[str, ...],
    filters: tuple[str, ...],
    min_per_stratum: int,
    exclude_file: Path | None,
    seed: str,
    out: Path | None,
    errors_out: Path | None,
) -> None:
    roster_kind = RosterKind(kind)
    # Check every option before reading the roster, so mistakes surface at once.
    plan = _build_plan(
        seed=seed,
        strata_keys=tuple(_field(roster_kind, name) for name in _split(strata)),
        rate=rate,
        total_n=total_n,
        allocation=Allocation(allocation),
        stddevs=stddevs,
        filters=filters,
        min_per_stratum=min_per_stratum,
        exclude_keys=_read_exclusions(exclude_file),
        kind=roster_kind,
    )
    try:
        parsed = parse_roster(roster.read_bytes(), roster_kind)
    except RosterImportError as exc:
        raise CommandError(str(exc)) from None
    _report_row_errors(parsed, errors_out)
    try:
        draw = draw_sample([r.to_frame_unit() for r in parsed.records], plan)
    except SamplingError as exc:
        raise CommandError(str(exc)) from None
    _print_summary(draw)
    if out is not None:
        out.write_bytes(_sample_file(out, parsed.records, draw))
        click.echo(f"样本已写入 {out}")


def _build_plan(
    *,
    seed: str,
    strata_keys: tuple[str, ...],
    rate: float | None,
    total_n: int | None,
    allocation: Allocation,
    stddevs: tuple[str, ...],
    filters: tuple[str, ...],
    min_per_stratum: int,
    exclude_keys: frozenset[str],
    kind: RosterKind,
) -> SamplingPlan:
    if rate is not None and total_n is not None:
        raise CommandError("--rate 与 --n 只能指定一个")
    if allocation is Allocation.NEYMAN and not stddevs:
        raise CommandError("奈曼分配需要用 --stddev 给出每层的标准差")
    try:
        return SamplingPlan(
            seed=seed,
            strata_keys=strata_keys,
            rate=DEFAULT_RATE if rate is None and total_n is None else rate,
            total_n=total_n,
            allocation=allocation,
            min_per_stratum=min_per_stratum,
            population_filter=dict(_parse_filter(kind, text) for text in filters),
            stddevs=dict(_parse_stddev(text, len(strata_keys)) for text in stddevs),
            exclude_keys=exclude_keys,
        )
    except SamplingError as exc:
        raise CommandError(str(exc)) from None


def _field(kind: RosterKind, name: str) -> str:
    field_name = canonical_field(kind, name)
    usable = FRAME_FIELDS[kind]
    if field_name not in usable:
        choices = "、".join(f"{f}（{FIELD_LABELS[f]}）" for f in usable)
        raise CommandError(f"不能按“{name}”分层或筛选，可用字段：{choices}")
    return field_name


def _parse_filter(kind: RosterKind, text: str) -> tuple[str, frozenset[str]]:
    name, sep, values = text.partition("=")
    if not sep or not values.strip():
        raise CommandError(f"筛选条件“{text}”格式应为“字段=值1,值2”")
    return _field(kind, name.strip()), frozenset(_split(values))


def _parse_stddev(text: str, strata_count: int) -> tuple[Stratum, float]:
    values, sep, number = text.rpartition("=")
    stratum = tuple(v.strip() for v in values.split(",")) if strata_count else ()
    if not sep or len(stratum) != strata_count:
        raise CommandError(f"标准差“{text}”格式应为“层值1,层值2=标准差”，层值个数与分层字段一致")
    try:
        return stratum, float(number)
    except ValueError:
        raise CommandError(f"标准差“{number}”不是数字") from None


def _read_exclusions(path: Path | None) -> frozenset[str]:
    if path is None:
        return frozenset()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"排除名单文件 {path} 不是UTF-8文本") from None
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _report_row_errors(parsed: RosterParseResult, errors_out: Path | None) -> None:
    click.echo(f"名单共 {parsed.data_rows} 行，有效 {len(parsed.records)} 行")
    if not parsed.errors:
        return
    click.echo(f"以下 {len(parsed.errors)} 个问题所在的行未进入样本框：", err=True)
    for error in parsed.errors[:_SHOWN_ROW_ERRORS]:
        click.echo(f"  第{error.row_number}行 {error.column}：{error.reason}", err=True)
    if len(parsed.errors) > _SHOWN_ROW_ERRORS:
        click.echo(f"  ……另有 {len(parsed.errors) - _SHOWN_ROW_ERRORS} 个问题", err=True)
    if errors_out is not None:
        errors_out.write_bytes(build_error_report_xlsx(parsed.errors))
        click.echo(f"问题报告已写入 {errors_out}", err=True)


def _print_summary(draw: SampleDraw) -> None:
    rows = [_allocation_row(a) for a in draw.allocations]
    widths = [
        max(display_width(str(row[i])) for row in [ALLOCATION_HEADER, *rows])
        for i in range(len(ALLOCATION_HEADER))
    ]
    for row in [ALLOCATION_HEADER, *rows]:
        cells = [
            _pad(str(value), width, left=i == 0)
            for i, (value, width) in enumerate(zip(row, widths, strict=True))
        ]
        click.echo("  ".join(cells).rstrip())
    frame = sum(a.frame_size for a in draw.allocations)
    click.echo(f"合计：N = {frame}，n = {draw.sample_size}")
    excluded = sum(a.excluded for a in draw.allocations)
    if excluded:
        click.echo(f"已排除近期抽中对象 {excluded} 个")
    click.echo(f"随机种子：{draw.plan.seed}")
    click.echo(f"样本框快照哈希（SHA-256）：{draw.snapshot_hash}")


def _allocation_row(allocation: StratumAllocation) -> tuple[str, int, int, str]:
    return (allocation.label, allocation.frame_size, allocation.quota, f"{allocation.rate:.1%}")


def _pad(text: str, width: int, left: bool) -> str:
    padding = " " * (width - display_width(text))
    return text + padding if left else padding + text


def _sample_file(out: Path, records: tuple[RosterRecord, ...], draw: SampleDraw) -> bytes:
    by_key = {record.key: record for record in records}
    fields = [f for f in _record_fields(records) if f != "row_number"]
    header = [FIELD_LABELS[f] for f in fields] + list(SAMPLE_EXTRA_COLUMNS)
    rows = [
        [getattr(by_key[unit.key], f) for f in fields]
        + [unit.stratum_label, unit.design_weight, by_key[unit.key].row_number]
        for unit in draw.selected
    ]
    if out.suffix.lower() == ".xlsx":
        allocation_rows = [_allocation_row(a) for a in draw.allocations]
        return write_xlsx({"样本": (header, rows), "分配表": (ALLOCATION_HEADER, allocation_rows)})
    return write_csv(rows, header)


def _record_fields(records: tuple[RosterRecord, ...]) -> list[str]:
    # draw_sample has already refused an empty frame, so there is a first record.
    return [f.name for f in dataclasses.fields(records[0])]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
