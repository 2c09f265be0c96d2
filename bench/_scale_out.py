"""bench/submit_load.py --scale: on PostgreSQL, GET /s/{token} with one server process, then
two (same run, same machine, wrk, 64 connections), then a burst of phones opening their links at
once, each on its own connection."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _load import percentile, wrk_get
from _page_setup import ROOT, free_port
from _submit_server import SURVEY_APP, Server, create_campaign, fresh_database


def serve_workers(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "survey_app.app:create_app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
             "--log-level", "warning", "--no-access-log", "--backlog", "4096"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )


async def burst(base_url: str, tokens: list[str]) -> tuple[int, int, list[float], float]:
    """Every phone opens its link at the same moment, each on its own connection."""
    gate = asyncio.Event()
    latencies: list[float] = []
    ok = errors = 0
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=0)

    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as client:
        async def open_link(token: str) -> None:
            nonlocal ok, errors
            await gate.wait()
            began = time.perf_counter()
            try:
                response = await client.get(f"/s/{token}")
            except httpx.HTTPError:
                errors += 1
                return
            latencies.append(time.perf_counter() - began)
            if response.status_code == 200 and 'name="_submission_id"' in response.text:
                ok += 1
            else:
                errors += 1

        tasks = [asyncio.create_task(open_link(t)) for t in tokens]
        await asyncio.sleep(0.5)
        began = time.perf_counter()
        gate.set()
        await asyncio.gather(*tasks)
        return ok, errors, latencies, time.perf_counter() - began


def scale_out(args: argparse.Namespace) -> bool:
    """PostgreSQL: GET /s/{token} with one server process, then two (same run, same machine,
    wrk, 64 connections), then a burst of --burst phones opening their links at once."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory(prefix="survey-bench-scale-") as tmp:
        workdir = Path(tmp)
        with fresh_database("postgres", workdir) as database_url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
            env.update({"SURVEY_DATABASE_URL": database_url,
                        "SURVEY_DATA_DIR": str(workdir / "data"),
                        "SURVEY_SECRET_KEY": secrets.token_urlsafe(48),
                        "SURVEY_IN_PROCESS_WORKER": "false", "SURVEY_LOG_LEVEL": "WARNING"})
            subprocess.run([SURVEY_APP, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
            os.environ.update({k: v for k, v in env.items() if k.startswith("SURVEY_")})
            setup = create_campaign(max(args.burst, 2000))
            paths = [f"/s/{t}" for t in setup.tokens]
            print(f"\n== postgres: scale out (GET /s/{{token}}, wrk 64 connections, "
                  f"{args.scale_seconds} s after a 2 s warm-up) ==")
            rates = {}
            for workers in (1, 2):
                port = free_port()
                process = serve_workers(env, port, workers, workdir / f"server{workers}.log")
                server = Server(env, port, workdir / f"server{workers}.log")
                server.process = process
                try:
                    asyncio.run(server.wait_ready())
                    url = server.base_url
                    wrk_get(url, paths, 64, 2, workdir)
                    result = wrk_get(url, paths, 64, args.scale_seconds, workdir)
                    rates[workers] = result.rate
                    print(f"  {workers} server process{'es' if workers > 1 else ''}: "
                          f"{result.rate:,.0f} pages/s, p50 {result.p50_ms:.1f} ms, "
                          f"p99 {result.p99_ms:.1f} ms, errors {result.errors}")
                    if workers == 2:
                        ok, errors, latencies, wall = asyncio.run(
                            burst(url, setup.tokens[:args.burst]))
                        ms = [x * 1000 for x in latencies]
                        print(f"  burst: {args.burst} phones open their links at once (2 "
                              f"processes): {ok} pages, {errors} errors in {wall:.1f} s; "
                              f"p50 {statistics.median(ms):.0f} ms, p99 "
                              f"{percentile(ms, 99):.0f} ms")
                finally:
                    process.send_signal(signal.SIGINT)
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
            print(f"  two processes ÷ one: {rates[2] / rates[1]:.2f}")
            for key in [k for k in os.environ if k.startswith("SURVEY_")]:
                if key != "SURVEY_TEST_POSTGRES_URL":
                    del os.environ[key]
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return rates[2] > rates[1] and errors == 0
