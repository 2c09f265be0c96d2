"""`survey-app links [CAMPAIGN_CODE]`: print the links of invitations still awaiting an answer,
one per line (for an SMS gateway or a mail merge). Without a code: every open campaign."""

from __future__ import annotations

import click

from survey_app.commands.common import CommandError


@click.command(
    name="links", help="输出尚未回复的邀请链接，每行一个；不指定批次代码时输出所有进行中批次的链接。"
)
@click.argument("campaign_code", required=False)
def links(campaign_code: str | None) -> None:
    # Imported here: survey_app.cli imports this module, and the database layer is loaded only
    # when the command runs.
    from survey_app.commands.common import run_with_database
    from survey_app.config import Settings

    async def work(settings: Settings) -> list[str]:
        from survey_app.services.campaigns import CampaignError
        from survey_app.services.distribution import awaiting_links
        from survey_app.services.roster import Actor

        try:
            return await awaiting_links(settings.base_url, campaign_code, Actor(None, "cli"))
        except CampaignError as problem:
            raise CommandError(str(problem)) from None

    urls = run_with_database(work)
    if not urls:
        click.echo("没有尚未回复的邀请。", err=True)
    for url in urls:
        click.echo(url)
