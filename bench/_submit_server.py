"""The database and server under test of bench/submit_load.py: a fresh SQLite file or PostgreSQL
database, an open campaign made through the services, and `survey-app serve` in a subprocess
that can be SIGKILLed and started again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from questionnaires.model import Questionnaire
from tests.support.databases import scratch_postgres_database

SURVEY_APP = str(Path(sys.executable).with_name("survey-app"))
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


# --- the database under test ------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(engine: str, workdir: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    with scratch_postgres_database(os.environ.get("SURVEY_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
                                   "survey_bench") as url:
        yield url


@dataclass(frozen=True)
class Setup:
    questionnaire: Questionnaire
    tokens: list[str]


def create_campaign(invitations: int) -> Setup:
    """An open campaign with `invitations` links, made through the services (setup step); the
    links past the first go in by 500 (one INSERT of thousands passes the bound-variable limit)."""
    from survey_app.commands.common import run_with_database
    from survey_app.db.tables import Invitation
    from tests.support.campaigns import open_campaign

    async def work(_: Any) -> Setup:
        campaign = await open_campaign(invitations=1)
        tokens = campaign.tokens + [secrets.token_urlsafe(24) for _ in range(invitations - 1)]
        for start in range(1, len(tokens), 500):
            await Invitation.insert(*[
                Invitation(campaign=campaign.campaign_id, token=t, stratum="制造业|规上",
                           design_weight=4.0)
                for t in tokens[start:start + 500]])
        return Setup(campaign.questionnaire, tokens)

    return run_with_database(work)


class Server:
    """`survey-app serve` in a subprocess; can be SIGKILLed and started again on its port."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [SURVEY_APP, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.base_url + "/healthz")).status_code == 200:
                        return
                assert self.process is not None
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"server did not become ready:\n{tail}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
