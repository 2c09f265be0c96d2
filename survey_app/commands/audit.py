"""`survey-app audit-verify`: check the audit log's hash chain (等保: protect audit records)."""

from __future__ import annotations

import click


@click.command(name="audit-verify", help="校验审计日志的哈希链，发现被修改、删除或插入的记录。")
@click.option("--anchor", default=None,
              help="此前记录在库外的哈希值（上次校验输出的“最新哈希”），用于发现日志被截断")
def audit_verify(anchor: str | None) -> None:
    # Imported here: the command module stays free of database imports until it runs.
    from survey_app.commands.common import run_with_database
    from survey_app.config import Settings
    from survey_app.db.queries.audit import ChainReport, verify_chain

    async def work(_: Settings) -> ChainReport:
        return await verify_chain(anchor.strip().lower() if anchor else None)

    report = run_with_database(work)
    click.echo(f"共检查 {report.entries} 条审计记录。")
    if report.unchained:
        click.echo(f"其中最早的 {report.unchained} 条写于启用哈希链之前，无法校验。")
    if not report.ok:
        where = f"（记录编号 {report.broken_at}）" if report.broken_at is not None else ""
        raise click.ClickException(f"审计日志校验失败{where}：{report.problem}")
    if report.anchor_found:
        click.echo("锚定的哈希值仍在链中。")
    click.echo("审计日志完整，哈希链未被破坏。")
    if report.last_hash:
        click.echo(f"最新哈希：{report.last_hash}（请把它记录在数据库以外，下次用 --anchor 核对）")
