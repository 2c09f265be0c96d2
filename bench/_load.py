"""GET load against a running server (wrk, or an httpx async client without it), with the
server's CPU seconds read from /proc, for bench/survey_page.py and bench/submit_load.py."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import re
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# --- 2. GET throughput ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str
    cpu_ms: float = float("nan")  # server CPU time per request

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def line(self, label: str) -> str:
        return (f"   {label:<32} {self.requests / self.seconds:>6.0f}/s  p50 {self.p50_ms:>6.1f} ms"
                f"  p99 {self.p99_ms:>6.1f} ms  errors {self.errors}  server CPU "
                f"{self.cpu_ms:.2f} ms/req (~{1000 / self.cpu_ms:.0f}/s per free core)  [{self.tool}]")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children so far (Linux /proc): the
    figure that a busy, shared machine does not distort the way wall-clock throughput is."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children += (task / "children").read_text().split()
    return own + sum(cpu_seconds(int(child)) for child in children)


@contextlib.contextmanager
def server_cpu(pid: int) -> Iterator[list[float]]:
    spent: list[float] = []
    before = cpu_seconds(pid)
    yield spent
    spent.append(cpu_seconds(pid) - before)


def database_cpu_seconds() -> float:
    """CPU time so far of every live PostgreSQL process on this machine (backends, WAL writer,
    checkpointer): what the database spends beside the server process. Other databases' work
    on the machine counts too, so the figure is read over a quiet window only."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() == "postgres":
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@contextlib.contextmanager
def database_cpu() -> Iterator[list[float]]:
    spent: list[float] = []
    before = database_cpu_seconds()
    yield spent
    spent.append(database_cpu_seconds() - before)


def with_cpu(result: LoadResult, spent: list[float]) -> LoadResult:
    return dataclasses.replace(result, cpu_ms=1000 * spent[0] / max(result.requests, 1))


def milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:  # wrk prints "-nan" when a run got no answers at all
        return float("nan")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk_get(url: str, paths: list[str], clients: int, seconds: int, workdir: Path) -> LoadResult:
    script = workdir / "paths.lua"
    listed = ",\n".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{\n{listed}\n}}\n"
        'wrk.headers["Accept-Encoding"] = "gzip"\n'
        "request = function()\n"
        # phones come from many addresses (the open link's per-address view limit): uvicorn
        # takes X-Forwarded-For from loopback; the addresses are loopback ones too
        '  wrk.headers["X-Forwarded-For"] = "127." .. math.random(0, 255) .. "." ..'
        ' math.random(0, 255) .. "." .. math.random(1, 254)\n'
        "  return wrk.format('GET', paths[math.random(#paths)])\nend\n"
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "--latency",
         "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    elapsed = re.search(r"requests in ([\d.]+)(s|m)", out)
    assert elapsed
    spent = float(elapsed.group(1)) * (60 if elapsed.group(2) == "m" else 1)
    p50 = milliseconds(re.search(r" 50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = milliseconds(re.search(r" 99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (
        sum(int(g) for g in socket_errors.groups()) if socket_errors else 0)
    return LoadResult(requests, spent, p50, p99, errors, "wrk")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else (
        values[0] if values else float("nan"))


async def httpx_load(
    url: str, clients: int, seconds: float, make_request: Any, stop_when_empty: bool = False
) -> tuple[list[float], Counter[int], int]:
    """`clients` concurrent loops calling make_request(client) -> response | None (None: done)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def loop() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    response = await make_request(client)
                except httpx.HTTPError:
                    errors += 1
                    continue
                if response is None:
                    return
                latencies.append((time.perf_counter() - began) * 1000)
                statuses[response.status_code] += 1

        await asyncio.gather(*(loop() for _ in range(clients)))
    return latencies, statuses, errors


def httpx_get(url: str, paths: list[str], clients: int, seconds: int) -> LoadResult:
    rng = random.Random(1)

    async def one(client: httpx.AsyncClient) -> httpx.Response:
        address = f"127.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        return await client.get(rng.choice(paths), headers={"x-forwarded-for": address})

    began = time.perf_counter()
    latencies, statuses, errors = asyncio.run(httpx_load(url, clients, seconds, one))
    spent = time.perf_counter() - began
    bad = sum(n for code, n in statuses.items() if code >= 400) + errors
    return LoadResult(len(latencies), spent, percentile(latencies, 50), percentile(latencies, 99),
                      bad, "httpx")


def get_load(url: str, pid: int, paths: list[str], clients: int, seconds: int, workdir: Path,
             tool: str, warm_up: bool = True) -> LoadResult:
    def run(duration: int) -> LoadResult:
        if tool == "wrk":
            return wrk_get(url, paths, clients, duration, workdir)
        return httpx_get(url, paths, clients, duration)

    if warm_up:
        run(2)  # warm-up: caches, connections
    with server_cpu(pid) as spent:
        result = run(seconds)
    return with_cpu(result, spent)


def combined(results: list[LoadResult], p99_of: Any = max) -> LoadResult:
    """Rounds of one load as one result: counts and CPU added up, the median p50 and the worst
    p99 of the rounds (or `p99_of` them, e.g. statistics.median)."""
    requests = sum(r.requests for r in results)
    cpu = sum(r.cpu_ms * r.requests for r in results) / max(requests, 1)
    return LoadResult(requests, sum(r.seconds for r in results),
                      statistics.median(r.p50_ms for r in results),
                      p99_of(r.p99_ms for r in results), sum(r.errors for r in results),
                      results[0].tool, cpu)
