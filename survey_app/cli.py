"""The `survey-app` command."""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import Any

import click

from survey_app.commands.appraise import appraise
from survey_app.commands.audit import audit_verify
from survey_app.commands.backup import backup, restore
from survey_app.commands.check_form import check_form
from survey_app.commands.common import command_settings, run_with_database
from survey_app.commands.links import links
from survey_app.commands.sample import sample
from survey_app.commands.themes import themes
from survey_app.config import Settings


@click.group(help="满意度调查与绩效评估平台的命令行工具。")
def main() -> None:
    pass


@main.command(help="把数据库结构升级到当前版本。")
def migrate() -> None:
    from survey_app.db.connection import MigrationFailed, migrate_forwards

    async def work(_: Settings) -> int:
        return await migrate_forwards()

    try:
        applied = run_with_database(work)
    except MigrationFailed as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"已升级数据库结构（{applied} 个迁移）。" if applied else "数据库已是最新结构。")


@main.command(help="启动网站（默认 http://127.0.0.1:8000）。")
@click.option("--host", default=None, help="监听地址（默认取 SURVEY_HOST）")
@click.option("--port", type=int, default=None, help="端口（默认取 SURVEY_PORT）")
@click.option("--workers", type=click.IntRange(1, 64), default=1, help="进程数（PostgreSQL 时可大于 1）")
def serve(host: str | None, port: int | None, workers: int) -> None:
    import os

    import uvicorn

    # The factory (and every worker process) reads its settings from the environment: what is
    # chosen here must reach it, so that links and QR codes use the address actually served.
    if host:
        os.environ["SURVEY_HOST"] = host
    if port:
        os.environ["SURVEY_PORT"] = str(port)
    settings = command_settings()
    if workers > 1 and settings.is_sqlite:
        raise click.ClickException("SQLite 模式只能使用 1 个进程；多进程部署请使用 PostgreSQL。")
    click.echo(f"网站地址：{settings.base_url}/  （Ctrl+C 停止）")
    uvicorn.run(
        "survey_app.app:create_app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # X-Forwarded-* only from the proxies named in SURVEY_TRUSTED_PROXIES (none by default).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        # The app logs each request itself with the route pattern, never the path: survey
        # links carry bearer tokens (web/access_log.py).
        access_log=False,
        # asyncio's loop, not uvloop: saturated, uvloop left some connections unserved for
        # hundreds of ms (p99 600 ms against asyncio's 35 ms, same app, same throughput;
        # bench/NOTE_respondent_pages.md).
        loop="asyncio",
    )


@main.command("create-user", help="创建工作人员账号。")
@click.argument("username")
@click.option("--role", required=True,
              type=click.Choice(["admin", "analyst", "office", "unit_viewer", "data_entry"]),
              help="角色")
@click.option("--unit", "unit_code", default=None, help="被考评单位代码（unit_viewer 必填）")
@click.option("--name", "display_name", default="", help="姓名")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（用于脚本）")
def create_user(
    username: str, role: str, unit_code: str | None, display_name: str, password_stdin: bool
) -> None:
    from survey_app.services.auth import AccountError, create_account

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != password:
            raise click.ClickException("两次输入的密码不一致")

    async def work(_: Settings) -> int:
        return await create_account(
            username, password, role, display_name=display_name, unit_code=unit_code,
            must_change_password=False,
        )

    try:
        run_with_database(work)
    except AccountError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"已创建账号 {username}（{role}）。")


@main.command("reset-mfa", help="重置账号的两步验证（手机和恢复码都丢失时）；下次登录时重新设置。")
@click.argument("username")
@click.option("--reason", required=True, help="重置原因（记入审计日志）")
def reset_mfa(username: str, reason: str) -> None:
    from survey_app.db.queries.users import find_user_by_username
    from survey_app.services.auth import AccountError
    from survey_app.services.mfa import reset_for_user

    async def work(_: Settings) -> None:
        user = await find_user_by_username(username)
        if user is None:
            raise AccountError(f"用户 {username} 不存在")
        await reset_for_user(user.id, reason, actor=None)

    try:
        run_with_database(work)
    except AccountError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"已重置 {username} 的两步验证，其现有会话已结束。")


@main.command(help="数据库为空时载入演示数据（江城区），已有数据时不做任何修改。")
@click.option("--seed", default=2026, show_default=True, help="随机种子")
def demo(seed: int) -> None:
    from survey_app.demo.loader import DEMO_ACCOUNTS, load_demo

    async def work(settings: Settings) -> bool:
        return await load_demo(settings, seed=seed, progress=click.echo)

    loaded = run_with_database(work)
    click.echo("演示数据已载入。" if loaded else "数据库中已有数据，未重复载入演示数据。")
    click.echo("演示账号（仅用于演示，正式部署前请删除或修改密码）：")
    for username, password, label in DEMO_ACCOUNTS:
        click.echo(f"  用户名 {username:<8} 密码 {password:<16} {label}")
    settings = command_settings()
    if settings.mfa_roles:
        click.echo(
            f"角色 {','.join(sorted(settings.mfa_roles))} 须使用两步验证（SURVEY_MFA_ROLES）："
            "首次登录时按页面提示用手机验证器扫码设置，并保存恢复码。"
        )


@main.command(help="后台任务进程：从数据库领取任务执行（可运行多个）。")
@click.option("--once", is_flag=True, help="只处理当前排队的任务，然后退出")
def worker(once: bool) -> None:
    from survey_app.jobs import handlers  # noqa: F401  (registers the job kinds)
    from survey_app.jobs.retention import daily_purge
    from survey_app.jobs.runner import default_worker_name, run_next_job, worker_loop

    name = default_worker_name()

    async def work(settings: Settings) -> None:
        if once:
            while await run_next_job(name):
                pass
            return
        stop = asyncio.Event()
        click.echo(f"任务进程 {name} 已启动（Ctrl+C 停止）")
        await worker_loop(stop, name, periodic=[daily_purge(settings)])

    try:
        run_with_database(work)
    except KeyboardInterrupt:
        click.echo("任务进程已停止。")


def _register(*commands: Any) -> None:
    for command in commands:
        main.add_command(command)


_register(sample, themes, appraise, links, backup, restore, audit_verify, check_form)

if __name__ == "__main__":
    main()
