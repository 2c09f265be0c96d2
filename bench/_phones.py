"""The phones of bench/submit_load.py: each opens its link, pages through every section,
submits and keeps its receipt, retrying like the browser script; and the reconciliation of
their receipts with the stored rows.

A phone is one keep-alive connection (bench/_http.py) per invitation: a new respondent comes
with a new browser, so each walk starts on a new connection with no cookies. One client process
runs its share of the phones (`client_process`); bench/_clients.py starts the processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from _http import Connection, HttpError, Reply

from questionnaires.model import Questionnaire
from survey_app.demo.answers import simulate_answers
from tests.support.campaigns import form_fields

RECEIPT = re.compile(r"回执编号：<b>([^<]+)</b>")
HIDDEN = re.compile(r'name="(_csrf_token|_section|_submission_id|_started)" value="([^"]*)"')
HIDDEN_NAMES = ("_csrf_token", "_section", "_submission_id", "_started")
OPINION = "窗口办事排队时间长，希望增加自助设备，网上办理的事项再多一些"
ANSWER_SETS = 500  # distinct simulated respondents per process, cycled over the invitations


@dataclass
class Stats:
    requests: int = 0  # every request sent, retries included
    transport_errors: int = 0
    server_errors: int = 0
    retries: int = 0
    final_retried: int = 0  # final POSTs sent more than once (server gone mid-request)
    receipts: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (sid, code)
    refusals: dict[str, str] = field(default_factory=dict)  # token -> status and first words
    gave_up: list[str] = field(default_factory=list)
    # Within the measured window only: answered requests, receipts, final POST latencies and
    # the client processes' CPU seconds.
    window_requests: int = 0
    window_receipts: int = 0
    final_latencies: list[float] = field(default_factory=list)
    client_cpu: float = 0.0
    finished: float = 0.0  # time.monotonic() when the last phone of the process was done

    def merge(self, other: Stats) -> None:
        for name in ("requests", "transport_errors", "server_errors", "retries", "final_retried",
                     "window_requests", "window_receipts", "client_cpu"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.receipts.update(other.receipts)
        self.refusals.update(other.refusals)
        self.gave_up += other.gave_up
        self.final_latencies += other.final_latencies
        self.finished = max(self.finished, other.finished)


@dataclass(frozen=True)
class Window:
    """The measured stretch of the run, in time.monotonic() (the same clock in every process)."""
    start: float
    end: float

    def holds(self, moment: float) -> bool:
        return self.start <= moment < self.end


@dataclass
class Walk:
    """What one phone needs besides its connection; `on_receipt` counts receipts across
    processes (the --kill trigger), `record` keeps every exchange (the ceiling's pages)."""
    questionnaire: Questionnaire
    stats: Stats
    window: Window
    deadline: float
    on_receipt: Any = None
    record: list[tuple[str, str, str, Reply]] | None = None  # (method, target, section, reply)


class Definitive(Exception):
    """The server refused for good (a 4xx page): retrying cannot help."""


async def send(walk: Walk, connection: Connection, method: str, target: str, body: bytes = b"",
               section: str = "") -> tuple[Reply, int]:
    """One request, retried on connection errors and 5xx until the deadline (weak networks);
    returns the reply and how many times it was sent."""
    stats = walk.stats
    delay = 0.05
    attempts = 0
    while True:
        stats.requests += 1
        attempts += 1
        try:
            reply = await connection.request(method, target, body)
            if walk.window.holds(time.monotonic()):
                stats.window_requests += 1
            if walk.record is not None:
                walk.record.append((method, target, section, reply))
            if reply.status < 500:
                return reply, attempts
            stats.server_errors += 1
        except HttpError:
            stats.transport_errors += 1
        if time.monotonic() + delay > walk.deadline:
            raise TimeoutError(target)
        stats.retries += 1
        await asyncio.sleep(delay + random.random() * delay)
        delay = min(delay * 2, 1.0)


async def walk_link(walk: Walk, connection: Connection, token: str, respondent: Respondent) -> None:
    """GET the link, POST each section and follow the 303, POST the last one, keep the receipt."""
    stats, questionnaire = walk.stats, walk.questionnaire
    url = f"/s/{token}"
    try:
        page = (await send(walk, connection, "GET", url))[0]
        for _ in range(len(questionnaire.sections) + 1):
            text = page.text
            if page.status != 200:
                raise Definitive(f"{page.status} {text[:80]!r}")
            hidden = dict(HIDDEN.findall(text))
            section = hidden["_section"]
            last = 'value="submit"' in text
            body = "&".join(part for part in (
                urlencode([(k, hidden[k]) for k in HIDDEN_NAMES]),
                respondent.section_fields(questionnaire, section),
                "_action=submit" if last else "_action=next") if part).encode()
            if last:
                started = time.perf_counter()
                final, attempts = await send(walk, connection, "POST", url, body, section)
                elapsed = time.perf_counter() - started
                stats.final_retried += attempts > 1
                receipt = RECEIPT.search(final.text)
                if final.status != 200 or not receipt:
                    raise Definitive(f"{final.status} {final.text[:80]!r}")
                stats.receipts[token] = (hidden["_submission_id"], receipt.group(1))
                if walk.window.holds(time.monotonic()):
                    stats.window_receipts += 1
                    stats.final_latencies.append(elapsed)
                if walk.on_receipt is not None:
                    walk.on_receipt()
                return
            moved = (await send(walk, connection, "POST", url, body, section))[0]
            if moved.status not in (302, 303):
                raise Definitive(f"{moved.status} {moved.text[:80]!r}")
            page = (await send(walk, connection, "GET", moved.headers["location"]))[0]
        raise Definitive("never reached the last section")
    except Definitive as refusal:
        stats.refusals[token] = str(refusal)
    except TimeoutError:
        stats.gave_up.append(token)


@dataclass
class Respondent:
    """Simulated answers and, once encoded, each section's form fields: the client's CPU goes
    to HTTP, not to simulating answers (0.9 ms each) or url-encoding them again."""
    answers: dict[str, Any]
    encoded: dict[str, str] = field(default_factory=dict)

    def section_fields(self, questionnaire: Questionnaire, section: str) -> str:
        if section not in self.encoded:
            self.encoded[section] = urlencode(form_fields(questionnaire, self.answers, section))
        return self.encoded[section]


def respondents(questionnaire: Questionnaire, seed: int, count: int) -> list[Respondent]:
    """Simulated respondents, made before the clock starts."""
    return [Respondent(simulate_answers(questionnaire, random.Random(seed + i),
                                        opinion_for=lambda unit: OPINION if unit == "U07" else None))
            for i in range(count)]


# --- one client process -------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """One client process's part of the load (pickled to the process)."""
    host: str
    port: int
    phones: int
    tokens: list[tuple[int, str]]  # (index among all invitations, token)
    questionnaire: Questionnaire
    seed: int
    one_shot: bool  # each phone walks one invitation; else they walk until the window ends
    warmup: float
    seconds: float
    deadline_seconds: float


async def run_share(share: Share, answers: list[Respondent], counter: Any) -> Stats:
    """The share's phones, from now; `counter` is a shared multiprocessing.Value of receipts."""
    start = time.monotonic()
    if share.one_shot:
        window = Window(start, math.inf)
    else:
        window = Window(start + share.warmup, start + share.warmup + share.seconds)

    def on_receipt() -> None:
        with counter.get_lock():
            counter.value += 1

    stats = Stats()
    walk = Walk(share.questionnaire, stats, window, start + share.deadline_seconds, on_receipt)
    queue = deque(share.tokens)

    async def phone(number: int) -> None:
        if not share.one_shot:
            # Phones arrive spread over the warm-up, so that they are not all on the same step
            # when the window opens (a burst in step keeps coming back in waves).
            await asyncio.sleep(share.warmup * number / share.phones)
        while queue and (share.one_shot or time.monotonic() < window.end):
            index, token = queue.popleft()
            connection = Connection(share.host, share.port)
            try:
                await walk_link(walk, connection, token, answers[index % len(answers)])
            finally:
                connection.close()
            if share.one_shot:
                return

    async def client_cpu() -> None:
        await asyncio.sleep(window.start - time.monotonic())
        before = time.process_time()
        await asyncio.sleep(window.end - time.monotonic())
        stats.client_cpu = time.process_time() - before

    before = time.process_time()
    meter = None if share.one_shot else asyncio.create_task(client_cpu())
    await asyncio.gather(*(phone(number) for number in range(share.phones)))
    stats.finished = time.monotonic()
    if meter is None:
        stats.client_cpu = time.process_time() - before
    elif not meter.done():  # the phones ran out of invitations before the window ended
        meter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await meter
    return stats


def client_process(share: Share, go: Any, counter: Any, results: Any) -> None:
    """Entry point of a client process: wait for the others, run the share, send the Stats."""
    import uvloop

    answers = respondents(share.questionnaire, share.seed, min(ANSWER_SETS, len(share.tokens)))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results.put(None)  # ready
        go.wait()
        results.put(runner.run(run_share(share, answers, counter)))


# --- reconciliation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    acknowledged: int
    lost: int
    wrong_receipt: int
    duplicated_invitations: int
    duplicated_submissions: int
    stored_total: int
    stored_unacknowledged: int


def reconcile(receipts: dict[str, tuple[str, str]]) -> Reconciliation:
    from survey_app.commands.common import run_with_database
    from survey_app.db.tables import Invitation, Response
    from survey_app.services.submissions import receipt_code

    async def work(_: Any) -> Reconciliation:
        invitations = {r["id"]: r["token"] for r in
                       await Invitation.select(Invitation.id, Invitation.token)}
        rows = await Response.select(Response.id, Response.submission_id, Response.invitation)
        per_token: dict[str, list[dict[str, Any]]] = {}
        per_submission: dict[str, int] = {}
        for row in rows:
            per_token.setdefault(invitations.get(row["invitation"], ""), []).append(row)
            per_submission[row["submission_id"]] = per_submission.get(row["submission_id"], 0) + 1
        lost = wrong = 0
        for token, (submission_id, code) in receipts.items():
            stored = [r for r in per_token.get(token, []) if r["submission_id"] == submission_id]
            if not stored:
                lost += 1
            elif receipt_code(stored[0]["id"], submission_id) != code:
                wrong += 1
        return Reconciliation(
            acknowledged=len(receipts),
            lost=lost,
            wrong_receipt=wrong,
            duplicated_invitations=sum(1 for t, rs in per_token.items() if t and len(rs) > 1),
            duplicated_submissions=sum(1 for n in per_submission.values() if n > 1),
            stored_total=len(rows),
            stored_unacknowledged=sum(1 for t in per_token if t and t not in receipts),
        )

    return run_with_database(work)
