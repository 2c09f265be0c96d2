"""`survey-app reset-mfa`: the way back in when the only administrator lost phone and codes."""

from __future__ import annotations

from survey_app.db.queries import audit
from survey_app.db.tables import User


async def test_cli_reset_mfa(run_cli, make_user) -> None:  # type: ignore[no-untyped-def]
    from survey_app.cli import main

    await make_user("admin1", "admin")
    result = await run_cli(main, "reset-mfa", "admin1", "--reason", "唯一管理员手机丢失")
    assert result.exit_code == 0, result.output
    assert (await User.select(User.mfa_secret).first())["mfa_secret"] == ""
    assert (await audit.recent_events(action="mfa.reset"))[0].actor_name == "cli"
