"""The phones of bench/submit_load.py (each opens its link, pages through, submits and retries
like the browser script) and the reconciliation of their receipts with the stored rows."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from _submit_server import Server, Setup

from questionnaires.model import Questionnaire
from survey_app.demo.answers import simulate_answers
from tests.support.campaigns import form_fields, post_fields

RECEIPT = re.compile(r"回执编号：<b>([^<]+)</b>")
HIDDEN = re.compile(r'name="(_csrf_token|_section|_submission_id|_started)" value="([^"]*)"')
OPINION = "窗口办事排队时间长，希望增加自助设备，网上办理的事项再多一些"


# --- the phones ---------------------------------------------------------------------------------


@dataclass
class Stats:
    requests: int = 0
    transport_errors: int = 0
    server_errors: int = 0
    retries: int = 0
    final_retried: int = 0  # final POSTs sent more than once (server gone mid-request)
    final_latencies: list[float] = field(default_factory=list)
    receipts: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (sid, code)
    refusals: dict[str, str] = field(default_factory=dict)  # token -> status and first words
    gave_up: list[str] = field(default_factory=list)


class Definitive(Exception):
    """The server refused for good (a 4xx page): retrying cannot help."""


async def send(
    client: httpx.AsyncClient, stats: Stats, deadline: float, method: str, url: str,
    fields: list[tuple[str, str]] | None = None,
) -> httpx.Response:
    return (await send_counted(client, stats, deadline, url, fields, method))[0]


async def send_counted(
    client: httpx.AsyncClient, stats: Stats, deadline: float, url: str,
    fields: list[tuple[str, str]] | None = None, method: str = "POST",
) -> tuple[httpx.Response, int]:
    """One request, retried on connection errors and 5xx until the deadline (weak networks);
    returns the response and how many times it was sent."""
    delay = 0.05
    attempts = 0
    while True:
        stats.requests += 1
        attempts += 1
        try:
            if fields is None:
                response = await client.request(method, url)
            else:
                response = await post_fields(client, url, fields)
            if response.status_code < 500:
                return response, attempts
            stats.server_errors += 1
        except httpx.TransportError:
            stats.transport_errors += 1
        if time.monotonic() + delay > deadline:
            raise TimeoutError(url)
        stats.retries += 1
        await asyncio.sleep(delay + random.random() * delay)
        delay = min(delay * 2, 1.0)


def hidden_fields(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


async def phone(
    base_url: str, token: str, questionnaire: Questionnaire, answers: dict[str, Any],
    stats: Stats, deadline: float, acknowledged: asyncio.Event, ack_target: int,
) -> None:
    url = f"/s/{token}"
    timeout = httpx.Timeout(30.0)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
        try:
            page = await send(client, stats, deadline, "GET", url)
            for _ in range(len(questionnaire.sections) + 1):
                if page.status_code != 200:
                    raise Definitive(f"{page.status_code} {page.text[:80]!r}")
                hidden = hidden_fields(page.text)
                fields = [(k, hidden[k]) for k in
                          ("_csrf_token", "_section", "_submission_id", "_started")]
                fields += form_fields(questionnaire, answers, hidden["_section"])
                last = 'value="submit"' in page.text
                fields.append(("_action", "submit" if last else "next"))
                if last:
                    started = time.perf_counter()
                    final, attempts = await send_counted(client, stats, deadline, url, fields)
                    elapsed = time.perf_counter() - started
                    stats.final_retried += attempts > 1
                    receipt = RECEIPT.search(final.text)
                    if final.status_code != 200 or not receipt:
                        raise Definitive(f"{final.status_code} {final.text[:80]!r}")
                    stats.final_latencies.append(elapsed)
                    stats.receipts[token] = (hidden["_submission_id"], receipt.group(1))
                    if len(stats.receipts) >= ack_target:
                        acknowledged.set()
                    return
                moved = await send(client, stats, deadline, "POST", url, fields)
                if moved.status_code not in (302, 303):
                    raise Definitive(f"{moved.status_code} {moved.text[:80]!r}")
                page = await send(client, stats, deadline, "GET", moved.headers["location"])
            raise Definitive("never reached the last section")
        except Definitive as refusal:
            stats.refusals[token] = str(refusal)
        except TimeoutError:
            stats.gave_up.append(token)


async def run_load(
    server: Server, setup: Setup, seed: int, deadline_seconds: float, kill: bool
) -> tuple[Stats, float, int]:
    stats = Stats()
    deadline = time.monotonic() + deadline_seconds
    acknowledged = asyncio.Event()
    ack_target = max(1, len(setup.tokens) // 3)
    phones = [
        phone(server.base_url, token, setup.questionnaire,
              simulate_answers(setup.questionnaire, random.Random(seed + i),
                               opinion_for=lambda unit: OPINION if unit == "U07" else None),
              stats, deadline, acknowledged, ack_target)
        for i, token in enumerate(setup.tokens)
    ]
    kills = 0

    async def killer() -> None:
        nonlocal kills
        await acknowledged.wait()
        server.kill()
        kills += 1
        await asyncio.sleep(0.5)  # the phones meet a dead server for a while
        server.start()
        await server.wait_ready()

    started = time.perf_counter()
    killing = asyncio.create_task(killer()) if kill else None
    await asyncio.gather(*phones)
    wall = time.perf_counter() - started
    if killing:
        if not killing.done():
            killing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await killing
    return stats, wall, kills


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
