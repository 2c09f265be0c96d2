"""The client processes of bench/submit_load.py: the phones spread over several processes
(one Python process could not drive the server hard enough), started together once all are
ready, with the server's CPU read over the measured window and, with --kill, the server
SIGKILLed and restarted once a third of the phones hold a receipt."""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import queue
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from _http import Connection
from _load import cpu_seconds
from _phones import Share, Stats, Walk, Window, client_process, respondents, walk_link
from _submit_server import Server

from questionnaires.model import Questionnaire


@dataclass(frozen=True)
class Plan:
    phones: int
    processes: int
    one_shot: bool
    warmup: float
    seconds: float
    deadline: float
    seed: int


@dataclass
class Outcome:
    stats: Stats
    wall: float  # the measured window (one-shot: from the start to the last phone done)
    kills: int
    server_cpu: float  # seconds over the window; NaN when the server was killed meanwhile
    machine_busy: float  # share of all the machine's cores busy over the window (anyone's work)

    @property
    def rate(self) -> float:
        return self.stats.window_receipts / self.wall if self.wall else 0.0


def shares(base_url: str, questionnaire: Questionnaire, tokens: list[str], plan: Plan) -> list[Share]:
    address = urlsplit(base_url)
    assert address.hostname is not None and address.port is not None
    indexed = list(enumerate(tokens))
    count = max(1, min(plan.processes, plan.phones))
    return [Share(address.hostname, address.port, len(range(k, plan.phones, count)),
                  indexed[k::count], questionnaire, plan.seed, plan.one_shot, plan.warmup,
                  plan.seconds, plan.deadline)
            for k in range(count)]


async def drive(base_url: str, pid: int, questionnaire: Questionnaire, tokens: list[str],
                plan: Plan, server: Server | None = None) -> Outcome:
    """Run the phones in client processes against the server at base_url (process `pid`);
    with `server`, kill and restart it once a third of the phones hold a receipt."""
    context = multiprocessing.get_context("spawn")  # no inherited database engine or loop
    parts = shares(base_url, questionnaire, tokens, plan)
    go = context.Event()
    counter = context.Value("i", 0)
    results = context.Queue()
    processes = [context.Process(target=client_process, args=(part, go, counter, results),
                                 daemon=True) for part in parts]
    for process in processes:
        process.start()
    try:
        await asyncio.to_thread(_collect, results, processes)  # each one is ready
        go.set()
        start = time.monotonic()
        kills = [0]
        killing = (asyncio.create_task(_killer(server, counter, max(1, plan.phones // 3), kills))
                   if server else None)
        window_start = start if plan.one_shot else start + plan.warmup
        await asyncio.sleep(window_start - time.monotonic())
        cpu_before, kills_before, machine_before = _cpu(server, pid), kills[0], _machine()
        if not plan.one_shot:
            await asyncio.sleep(window_start + plan.seconds - time.monotonic())
            cpu_after, machine_after = _cpu(server, pid), _machine()
        stats = Stats()
        for part in await asyncio.to_thread(_collect, results, processes):
            stats.merge(part)
        if plan.one_shot:
            cpu_after, machine_after = _cpu(server, pid), _machine()
        if kills[0] != kills_before:  # not one process's CPU time
            cpu_after = math.nan
        if killing:
            if not killing.done():
                killing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await killing
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    wall = stats.finished - start if plan.one_shot else plan.seconds
    busy = machine_after[0] - machine_before[0]
    machine = busy / max(busy + machine_after[1] - machine_before[1], 1e-9)
    return Outcome(stats, wall, kills[0], cpu_after - cpu_before, machine)


def _cpu(server: Server | None, pid: int) -> float:
    """The server's CPU seconds so far (the restarted process once killed), NaN while dead."""
    if server is not None and server.process is not None:
        pid = server.process.pid
    try:
        return cpu_seconds(pid)
    except OSError:
        return math.nan


def _machine() -> tuple[int, int]:
    """(busy, idle) clock ticks of all cores so far (/proc/stat): on a shared machine, whether
    the window had spare cores at all."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks[:8]) - idle, idle


def _collect(results: Any, processes: list[Any]) -> list[Any]:
    """One message from each client process, failing as soon as one of them has died."""
    collected: list[Any] = []
    while len(collected) < len(processes):
        try:
            collected.append(results.get(timeout=1.0))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                raise RuntimeError("a client process failed (see its traceback above)") from None
    return collected


async def _killer(server: Server, counter: Any, target: int, kills: list[int]) -> None:
    while counter.value < target:
        await asyncio.sleep(0.02)
    server.kill()
    kills[0] += 1
    await asyncio.sleep(0.5)  # the phones meet a dead server for a while
    server.start()
    await server.wait_ready()


# --- the ceiling's pages --------------------------------------------------------------------


UNCOPIED = {"date", "server", "content-length", "transfer-encoding", "connection", "keep-alive",
            "location"}


async def capture_walk(base_url: str, questionnaire: Questionnaire, token: str,
                       seed: int) -> tuple[dict[str, Any], Stats]:
    """One phone's walk through the real server, kept as bench/_walk_ceiling_app.py serves it:
    {"pages": {step: [html, headers]}, "next": {section: step}, "redirect": [html, headers],
    "receipt": [html, headers]} ("" is the link's first page). Also returns the walk's Stats,
    whose receipt goes into the reconciliation."""
    address = urlsplit(base_url)
    assert address.hostname is not None and address.port is not None
    record: list[Any] = []
    stats = Stats()
    walk = Walk(questionnaire, stats, Window(0.0, 0.0), time.monotonic() + 60.0, record=record)
    connection = Connection(address.hostname, address.port)
    try:
        await walk_link(walk, connection, token, respondents(questionnaire, seed, 1)[0])
    finally:
        connection.close()
    if token not in stats.receipts:
        raise RuntimeError(f"the capture walk got no receipt: {stats.refusals or stats.gave_up}")
    captured: dict[str, Any] = {"pages": {}, "next": {}}
    for method, target, section, reply in record:
        kept = [reply.text, {k: v for k, v in reply.headers.items() if k not in UNCOPIED}]
        if method == "GET":
            captured["pages"][_step(target)] = kept
        elif reply.status in (302, 303):
            captured["next"][section] = _step(reply.headers["location"])
            captured["redirect"] = kept
        else:
            captured["receipt"] = kept
    return captured, stats


def _step(target: str) -> str:
    return parse_qs(urlsplit(target).query).get("step", [""])[0]
