"""Real-browser fixtures: the app served by uvicorn in a subprocess, and Debian's Chromium.

The server is a separate process on the test session's database (the `engine` fixture has
migrated it): on SQLite both processes share the file through WAL; on PostgreSQL the server has
its own connection pool, which an in-process server sharing the test loop's pool could not.
Tests build their data with the test-side engine and check what the server stored with it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import repo_root

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 375, "height": 667}
SERVER_START_SECONDS = 180  # a loaded CI box imports the app slowly


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_environment(settings: Any) -> dict[str, str]:
    # load_settings rejects unknown SURVEY_* names, so pass exactly the ones we mean.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update({
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_DATA_DIR": str(settings.data_dir),
        "SURVEY_SECRET_KEY": settings.secret_key,
        "SURVEY_IN_PROCESS_WORKER": "false",
        "SURVEY_LOG_LEVEL": "WARNING",
    })
    return env


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"test server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"test server did not answer /healthz in {SERVER_START_SECONDS} s:\n"
                f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server(engine: Any, settings: Any) -> Iterator[str]:
    """Base URL of the app served by uvicorn (1 worker) on a free loopback port."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile(prefix="e2e-server-", suffix=".log", delete=False) as handle:
        log = Path(handle.name)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "survey_app.app:create_app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--log-level", "warning", "--no-access-log"],
            # Links, posters and QR codes the pages show must point at this server.
            cwd=repo_root(), env={**_server_environment(settings), "SURVEY_BASE_URL": url},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(process, url, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Install it with `make browser` (apt-get install chromium); never `playwright install`."
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


@dataclass
class Site:
    """What a test needs to open pages: the server's URL and a way to make phone contexts.

    `problems` collects script errors and Content-Security-Policy violations (an inline style
    or script the CSP blocks fails silently in the page); every test must end with none.
    """

    url: str
    browser: Any
    problems: list[str] = field(default_factory=list)

    def _watch(self, page: Any) -> None:
        def console(message: Any) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                self.problems.append(f"{page.url}: {message.text}")

        page.on("console", console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

    async def phone(self, *, javascript: bool = True, width: int = PHONE["width"],
                    height: int = PHONE["height"]) -> Any:
        context = await self.browser.new_context(
            viewport={"width": width, "height": height}, has_touch=True, is_mobile=True,
            java_script_enabled=javascript, locale="zh-CN", base_url=self.url,
        )
        context.set_default_timeout(15_000)
        page = await context.new_page()
        self._watch(page)
        return page


@pytest.fixture
async def site(db: Any, live_server: str, browser: Any) -> AsyncIterator[Site]:
    """An empty database, the live server and the browser; closes the test's contexts."""
    site = Site(live_server, browser)
    yield site
    for context in list(browser.contexts):
        await context.close()
    assert site.problems == [], "script errors or CSP violations:\n" + "\n".join(site.problems)
