"""What every command shares: Chinese errors without tracebacks, and reading table files."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from analysis.table_reading import TableReadError, read_rows
from survey_app.config import Settings, SettingsError, load_settings

T = TypeVar("T")


class CommandError(click.ClickException):
    """A user mistake, reported in Chinese without a traceback."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True, file=file)


def read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"找不到文件 {path}") from None
    except OSError as error:
        raise CommandError(f"无法读取文件 {path}：{error.strerror}") from None


def cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def read_table_file(
    path: Path, sheet: str | None = None
) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """Header and non-blank data rows (with spreadsheet row numbers) of a CSV or XLSX file."""
    raw = read_file_bytes(path)
    if not raw.strip():
        raise CommandError(f"文件 {path} 是空的")
    try:
        numbered = [
            (number, cells)
            for number, cells in read_rows(raw, sheet=sheet)
            if any(cell_text(c) for c in cells)
        ]
    except TableReadError as error:
        raise CommandError(f"{path}：{error}") from None
    if not numbered:
        raise CommandError(f"文件 {path} 是空的")
    (_, header), data = numbered[0], numbered[1:]
    if not data:
        raise CommandError(f"文件 {path} 只有表头，没有数据行")
    return [cell_text(cell) for cell in header], data


def command_settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as problem:
        raise click.ClickException(f"配置错误：{problem}") from None


def run_with_database(work: Callable[[Settings], Awaitable[T]]) -> T:
    """Run one async piece of work with the engine started and always stopped afterwards."""
    from survey_app.db.connection import install_engine
    from survey_app.db.engine import build_engine, start_engine, stop_engine

    settings = command_settings()
    engine = build_engine(settings)
    install_engine(engine)

    async def runner() -> T:
        await start_engine(engine)
        try:
            return await work(settings)
        finally:
            await stop_engine(engine)

    return asyncio.run(runner())
