"""A burst of phones opening their links at once, for bench/survey_page.py.

Each phone opens its own connection at the same moment, GETs its own invitation link and then,
on the same connection (keep-alive, as a browser does), the page's stylesheet and script. A tiny
HTTP/1.1 client on asyncio streams keeps the client's own CPU small beside the server's on a
2-core machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class BurstResult:
    phones: int
    ok: int
    errors: int
    seconds: float
    page_p50_ms: float
    page_p99_ms: float
    done_p99_ms: float
    first_error: str

    def line(self, label: str) -> str:
        return (f"   {label:<32} {self.phones} phones at once: {self.ok} complete, "
                f"{self.errors} errors, all done in {self.seconds:.2f} s; page p50 "
                f"{self.page_p50_ms:.0f} ms p99 {self.page_p99_ms:.0f} ms, page + CSS + JS p99 "
                f"{self.done_p99_ms:.0f} ms" + (f"  (first error: {self.first_error})"
                                               if self.errors else ""))


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
               path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n"
                 "User-Agent: bench-phone\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ValueError("no content-length")
    await reader.readexactly(length)
    return status


async def _phone(url: str, path: str, assets: list[str], start: asyncio.Event,
                 timings: list[tuple[float, float]], errors: list[str]) -> None:
    parts = urlsplit(url)
    await start.wait()
    began = time.perf_counter()
    writer = None
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        status = await _get(reader, writer, parts.netloc, path)
        page = time.perf_counter() - began
        statuses = [status] + [await _get(reader, writer, parts.netloc, a) for a in assets]
        if any(code != 200 for code in statuses):
            errors.append(f"status {statuses}")
            return
        timings.append((page, time.perf_counter() - began))
    except (OSError, ValueError, asyncio.IncompleteReadError) as error:
        errors.append(f"{type(error).__name__}: {error}"[:120])
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def burst(url: str, paths: list[str], assets: list[str], timeout: float = 120) -> BurstResult:
    """One phone per path, all released at the same instant."""

    async def run() -> BurstResult:
        start = asyncio.Event()
        timings: list[tuple[float, float]] = []
        errors: list[str] = []
        tasks = [asyncio.create_task(_phone(url, p, assets, start, timings, errors))
                 for p in paths]
        await asyncio.sleep(0.1)  # every phone is waiting on the event
        began = time.perf_counter()
        start.set()
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
            errors.append("timeout")
        spent = time.perf_counter() - began
        pages = [t[0] * 1000 for t in timings] or [float("nan")]
        done = [t[1] * 1000 for t in timings] or [float("nan")]

        def p(values: list[float], q: int) -> float:
            return statistics.quantiles(values, n=100, method="inclusive")[q - 1] \
                if len(values) > 1 else values[0]

        return BurstResult(len(paths), len(timings), len(errors), spent, p(pages, 50),
                           p(pages, 99), p(done, 99), errors[0] if errors else "")

    return asyncio.run(run())
