"""`survey-app check-form FILE...`: check questionnaire definitions offline (YAML, JSON, XLSForm
.xlsx/.xls), one line per file: `OK <file> <questions>` or `FAIL <file>` followed by its
problems (and the import notes that explain them). Exit status 0 only when every file passes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from questionnaires.files import DefinitionFileError, read_definition_file

MAX_FILE_BYTES = 5_000_000


@click.command(
    name="check-form",
    help="离线检查问卷定义文件（YAML、JSON、XLSForm .xlsx/.xls）：每个文件一行 OK 或 FAIL，"
    "FAIL 后列出全部问题；全部通过时退出码为 0。",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--warnings", "show_warnings", is_flag=True, help="通过的文件也列出导入提示")
def check_form(files: tuple[Path, ...], show_warnings: bool) -> None:
    failed = 0
    for path in files:
        problems, notes, count = _check(path)
        if problems:
            failed += 1
            click.echo(f"FAIL {path}")
            for problem in problems:
                click.echo(f"  {problem}")
            for note in notes:
                click.echo(f"  提示：{note}")
        else:
            click.echo(f"OK {path} {count}")
            if show_warnings:
                for note in notes:
                    click.echo(f"  提示：{note}")
    if failed:
        sys.exit(1)


def _check(path: Path) -> tuple[list[str], list[str], int]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [f"文件过大（超过 {MAX_FILE_BYTES // 1_000_000} MB）"], [], 0
        data = path.read_bytes()
    except FileNotFoundError:
        return ["找不到文件"], [], 0
    except OSError as error:
        return [f"无法读取文件：{error.strerror}"], [], 0
    try:
        questionnaire, warnings = read_definition_file(path.name, data)
    except DefinitionFileError as error:
        return [str(p) for p in error.problems], [str(w) for w in error.warnings], 0
    return [], [str(w) for w in warnings], sum(1 for _ in questionnaire.iter_questions())
