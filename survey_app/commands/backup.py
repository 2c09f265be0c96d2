"""`survey-app backup OUT` and `survey-app restore IN` (等保: 数据备份恢复).

SQLite: an online, consistent copy through sqlite3's backup API; it works while the server
runs, because WAL lets a reader copy every page while writers go on. PostgreSQL: pg_dump and
pg_restore in the custom format. Restore refuses to overwrite a database that holds data unless
`--force` is given, so a slip of the finger cannot replace live results with an old copy.
Backups hold personal information: files are created readable by their owner only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import click

from survey_app.config import Settings, SettingsError, load_settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
_PG_TOOL_MISSING = (
    "未找到 {tool} 命令。请先安装 PostgreSQL 客户端工具（例如 apt-get install postgresql-client），"
    "其版本应不低于数据库服务器的版本。"
)


class BackupError(click.ClickException):
    """An operator-facing failure, in Chinese, without a traceback."""

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"错误：{self.format_message()}", err=True, file=file)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as problem:
        raise BackupError(f"配置错误：{problem}") from None


@click.command(name="backup", help="备份数据库到文件（SQLite 可在网站运行时备份；PostgreSQL 使用 pg_dump）。")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup(out: Path) -> None:
    settings = _settings()
    if out.exists():
        raise BackupError(f"文件 {out} 已存在，请换一个文件名，以免覆盖已有备份")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        _create_private(partial)  # pg_dump and sqlite keep the mode of a file that exists
        if settings.is_sqlite:
            responses = _backup_sqlite(settings.sqlite_path, partial)
        else:
            _run_pg_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={partial}"],
                         settings.database_url)
            responses = None
        os.replace(partial, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    size_mb = out.stat().st_size / 1024 / 1024
    counted = f"，其中答卷 {responses} 份" if responses is not None else ""
    click.echo(f"已备份到 {out}（{size_mb:.1f} MB{counted}）。备份含个人信息，请加密保存并异地存放。")


@click.command(name="restore", help="从备份文件恢复数据库。默认拒绝覆盖已有数据的数据库。")
@click.argument("source", metavar="IN",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="即使当前数据库已有数据也覆盖（请先停止网站和任务进程）")
def restore(source: Path, force: bool) -> None:
    settings = _settings()
    kind = _backup_kind(source)
    expected = "sqlite" if settings.is_sqlite else "postgres"
    if kind != expected:
        names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
        raise BackupError(
            f"{source} 是 {names[kind]} 备份，而当前数据库是 {names[expected]}，无法直接恢复"
        )
    filled = _tables_with_rows()
    if filled and not force:
        raise BackupError(
            f"当前数据库已有数据（{'、'.join(filled[:5])} 等表非空），为防止误覆盖已拒绝恢复。"
            "确认要用备份替换现有数据时，请先停止网站和任务进程，再加 --force 重新执行"
        )
    if settings.is_sqlite:
        _restore_sqlite(source, settings.sqlite_path)
    else:
        _run_pg_tool(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
             str(source)],
            settings.database_url,
        )
    click.echo(f"已从 {source} 恢复数据库。请运行 survey-app migrate 把结构升级到当前版本，"
               "再运行 survey-app audit-verify 核对审计日志。")


# --- SQLite -------------------------------------------------------------------------------------


def _backup_sqlite(database: Path, target: Path) -> int:
    if not database.exists():
        raise BackupError(f"数据库文件 {database} 不存在")
    # Not read-only: a read-only connection cannot open a WAL database whose -shm file is gone.
    source = sqlite3.connect(database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: a consistent snapshot even while the server writes
        copy.execute("PRAGMA journal_mode = DELETE")  # a self-contained file, no -wal beside it
        _check_integrity(copy, target)
        return _count_responses(copy)
    finally:
        copy.close()
        source.close()


def _restore_sqlite(source: Path, database: Path) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_integrity(backup_db, source)
        database.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(database, timeout=30)
        try:
            backup_db.backup(target)  # replaces every page of the target, under its lock
        finally:
            target.close()
    finally:
        backup_db.close()


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as problem:
        raise BackupError(f"{path} 不是有效的 SQLite 数据库文件：{problem}") from None
    if not result or result[0] != "ok":
        raise BackupError(f"{path} 的完整性检查未通过，文件可能已损坏")


def _count_responses(connection: sqlite3.Connection) -> int:
    try:
        return int(connection.execute("SELECT count(*) FROM response").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # an unmigrated database has no response table yet


def _create_private(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_connection(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, which goes in PGPASSWORD (never on a command line)."""
    parts = urlsplit(database_url)
    env = dict(os.environ)
    netloc = parts.netloc
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        userinfo, _, hostinfo = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}@{hostinfo}"
    return urlunsplit(parts._replace(netloc=netloc)), env


def _run_pg_tool(tool: str, arguments: list[str], database_url: str) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(_PG_TOOL_MISSING.format(tool=tool))
    url, env = _pg_connection(database_url)
    completed = subprocess.run(  # noqa: S603 (fixed executable, arguments are not a shell line)
        [executable, f"--dbname={url}", *arguments], env=env, capture_output=True, text=True,
        check=False,
    )
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()[-3:] or ["（无输出）"]
        raise BackupError(f"{tool} 执行失败（退出码 {completed.returncode}）：{' '.join(message)}")


# --- both ---------------------------------------------------------------------------------------


def _backup_kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgres"
    raise BackupError(f"{path} 不是本系统的备份文件（既不是 SQLite 数据库，也不是 pg_dump 自定义格式）")


def _tables_with_rows() -> list[str]:
    """Names of the application's tables that hold at least one row."""
    from survey_app.commands.common import run_with_database  # here: cli imports this module

    async def work(_: Settings) -> list[str]:
        from survey_app.db.tables import ALL_TABLES

        return [
            table._meta.tablename
            for table in ALL_TABLES
            if await table.table_exists() and await table.exists()
        ]

    return run_with_database(work)
