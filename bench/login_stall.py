"""Benchmark (issue 17, finding 2): does a stream of failed logins stall everyone else?

Builds a SQLite database in a temp dir (migrated, one open campaign), then for each mode starts
uvicorn with 1 worker on loopback and measures the latency of GET /healthz and of a respondent
page (GET /s/{token}) from one sequential client:

* ceiling  -- no login traffic at all (the best this server does on this machine, this run);
* before   -- failed logins at RATE/s while argon2 runs ON the event loop (the old code path:
              `verify_password_async` patched to hash inline), throttles raised out of reach;
* threads  -- the same stream with hashing in the worker threads (the fix alone), throttles
              raised out of reach;
* after    -- the same stream with the shipped code: worker threads and the per-address and
              per-account throttles (web/auth_throttle.py).

    .venv/bin/python bench/login_stall.py
    .venv/bin/python bench/login_stall.py --rate 8.6 --seconds 10

Every failed login uses a new, unknown user name (it costs the same dummy hash as a real
account). The client runs on the same machine as the server: on a 2-core box they share the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
MODES = ("ceiling", "before", "threads", "after")


def environment(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update({"SURVEY_DATABASE_URL": database_url, "SURVEY_DATA_DIR": str(data_dir),
                "SURVEY_SECRET_KEY": secrets.token_urlsafe(48), "SURVEY_LOG_LEVEL": "WARNING",
                "SURVEY_IN_PROCESS_WORKER": "false"})
    return env


def prepare(env: dict[str, str]) -> str:
    """Migrate and open one campaign; returns an invitation token."""
    from survey_app.config import load_settings
    from survey_app.db.connection import install_engine, migrate_forwards
    from survey_app.db.engine import build_engine, start_engine, stop_engine
    from tests.support.campaigns import open_campaign

    async def work() -> str:
        engine = build_engine(load_settings(env))
        install_engine(engine)
        await start_engine(engine)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                await migrate_forwards()
            campaign = await open_campaign(invitations=1)
            return campaign.tokens[0]
        finally:
            await stop_engine(engine)

    return asyncio.run(work())


def serve(mode: str, port: int) -> None:
    """The server process: the app as shipped, patched for the `before`/`threads` modes."""
    import uvicorn

    from survey_app.services import passwords
    from survey_app.web import auth_throttle

    if mode in ("before", "threads"):
        auth_throttle.PER_ADDRESS.limit = auth_throttle.PER_ACCOUNT.limit = 10**9
    if mode == "before":
        async def inline(password_hash: str, password: str) -> bool:
            return passwords.verify_password(password_hash, password)

        passwords.verify_password_async = inline  # type: ignore[assignment]
    uvicorn.run("survey_app.app:create_app_from_env", factory=True, host="127.0.0.1", port=port,
                workers=1, log_level="warning")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(mode: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", mode, "--port", str(port)], env=env, cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        process.terminate()  # a graceful stop would wait for the queued logins
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def attack(base: str, rate: float, stop: asyncio.Event, counts: dict[str, int]) -> None:
    """Failed logins at `rate` per second, each with a new unknown user name, fired on a clock
    (not waiting for answers: a slow server does not slow the attacker)."""
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_connections=200)) as client:
        token = CSRF.search((await client.get("/login")).text)
        assert token
        pending: set[asyncio.Task[None]] = set()

        async def one() -> None:
            with contextlib.suppress(httpx.HTTPError):
                response = await client.post("/login", data={
                    "username": f"ghost{secrets.token_hex(4)}", "password": "Wrong-Passw0rd-1",
                    "_csrf_token": token.group(1)})
                counts[str(response.status_code)] = counts.get(str(response.status_code), 0) + 1

        while not stop.is_set():
            if len(pending) < 200:
                task = asyncio.create_task(one())
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.sleep(1 / rate)
        for task in list(pending):
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def probe(base: str, path: str, seconds: float) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            start = time.perf_counter()
            response = await client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            latencies.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.02)
    return latencies


async def measure(base: str, token: str, rate: float, seconds: float, flood: bool
                  ) -> tuple[list[float], list[float], dict[str, int]]:
    stop = asyncio.Event()
    counts: dict[str, int] = {}
    attacker = asyncio.create_task(attack(base, rate, stop, counts)) if flood else None
    if attacker:
        await asyncio.sleep(1.0)  # let the stream reach its steady state
    health, page = await asyncio.gather(probe(base, "/healthz", seconds),
                                        probe(base, f"/s/{token}", seconds))
    stop.set()
    if attacker:
        await attacker
    return health, page, counts


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  "
            f"max {ordered[-1]:7.1f} ms  (n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=8.6, help="failed logins per second")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per mode")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    parser.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    with tempfile.TemporaryDirectory(prefix="bench-login-") as tmp:
        env = environment(f"sqlite:///{tmp}/bench.sqlite3", Path(tmp))
        token = prepare(env)
        print(f"failed logins: {args.rate}/s, {args.seconds:.0f} s per mode, 1 uvicorn worker, "
              f"{os.cpu_count()} CPUs shared with the client")
        for mode in args.modes.split(","):
            with server(mode, env) as base:
                health, page, counts = asyncio.run(
                    measure(base, token, args.rate, args.seconds, flood=mode != "ceiling"))
            answers = ", ".join(f"{code}×{n}" for code, n in sorted(counts.items())) or "none"
            print(f"\n[{mode}] login answers: {answers}")
            print(f"  /healthz        {summary(health)}")
            print(f"  /s/{{token}}      {summary(page)}")


if __name__ == "__main__":
    main()
