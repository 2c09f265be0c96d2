"""Helpers for the security tests: running a click command against the test database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

CliCall = Callable[..., Awaitable[Result]]


@pytest.fixture
def run_cli(db, settings) -> CliCall:  # type: ignore[no-untyped-def]
    """Invoke a command in a worker thread (it runs its own event loop, as from a shell).

    The command binds the tables to its own engine and stops it; the test's engine is bound
    again afterwards so the rest of the test keeps working.
    """
    from survey_app.db.connection import install_engine

    env = {
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_DATA_DIR": str(settings.data_dir),
        "SURVEY_SECRET_KEY": settings.secret_key,
        "SURVEY_IN_PROCESS_WORKER": "false",
        "SURVEY_LOG_LEVEL": "WARNING",
    }

    async def run(command: click.Command, *args: str, **kwargs: Any) -> Result:
        try:
            return await asyncio.to_thread(
                CliRunner().invoke, command, list(args), env=env, catch_exceptions=False,
                **kwargs,
            )
        finally:
            install_engine(db)

    return run
