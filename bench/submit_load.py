"""Load and fault benchmark of the respondent path against the real server.

For each engine: a fresh database (SQLite file in a temp dir, or a PostgreSQL database created
next to SURVEY_TEST_POSTGRES_URL and dropped afterwards), `survey-app migrate`, an open campaign,
`survey-app serve` on a free port, then --phones simulated phones at once, each walking every
section like a browser without JavaScript (GET the link, POST each section, follow the 303, POST
the last one) and keeping its receipt (回执编号). The phones speak HTTP/1.1 on raw asyncio streams
(bench/_http.py) from --client-processes processes, so the client is not what is measured.

Steady state (the headline): the phones arrive spread over --warmup (5 s), then all walk for
--seconds (10 s), each taking a new invitation (phones × 30 are made) after each receipt; a walk
in progress when the window closes is finished and reconciled, not counted. Over the window only:
complete submissions/s, answered requests/s and per submission, final-POST latency, the server's
CPU per submission (its process's; PostgreSQL's backends are not in it) and the client's CPU
per request. A walk lasts about phones ÷ submissions/s: keep --warmup above it so the phones are
spread over the steps when the window opens. `--one-shot`: each phone walks one
invitation, counted from the first request to the last receipt (ramp-up included).

In the same run the same client processes then drive a bare Litestar app answering the same
request sequence from memory (bench/_walk_ceiling_app.py, the pages the real server sent one
phone): what the client can drive beside what the real server did. Every acknowledged receipt is
reconciled against the database (0 lost, 0 duplicated), beside the raw insert rate of the
database (one row per transaction).

`--kill`: SIGKILL the server when a third of the phones hold a receipt, restart it; phones
retry (the final POST with the same submission id and form) until they get a receipt or a
definitive refusal. Every acknowledged submission must then be stored exactly once. With
`--one-shot` the phones walk in step, so many final POSTs are in flight at the kill.

`--final`: complete final POSTs of the 40-question survey (one per distinct invitation, wrk,
`--clients` connections, `--seconds`), each engine beside its ceiling measured in the same run
on the same bodies: a bare Litestar app writing the response and its answer rows in one
transaction (bench/_submit_ceiling_app.py). `--rounds` (3) alternate the two on one database;
the figures are the medians of the rounds. Reconciles receipts with stored rows.

`--scale`: PostgreSQL, one server process against two, then a burst of --burst phones.

    .venv/bin/python bench/submit_load.py                       # both engines, 200 phones, 10 s
    .venv/bin/python bench/submit_load.py --engine sqlite --phones 500 --seconds 20
    .venv/bin/python bench/submit_load.py --engine sqlite --one-shot      # each phone walks once
    .venv/bin/python bench/submit_load.py --engine postgres --kill [--one-shot]
    .venv/bin/python bench/submit_load.py --engine sqlite --client-processes 3 --warmup 8
    .venv/bin/python bench/submit_load.py --final --clients 64 --seconds 10
    .venv/bin/python bench/submit_load.py --scale
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _clients import Outcome, Plan, capture_walk, drive  # noqa: E402
from _final_posts import final_posts  # noqa: E402
from _load import percentile  # noqa: E402
from _page_setup import free_port, serve  # noqa: E402
from _phones import Reconciliation, reconcile  # noqa: E402
from _scale_out import scale_out  # noqa: E402
from _submit_server import SURVEY_APP, Server, create_campaign, fresh_database  # noqa: E402

RAW_ROWS_SQLITE = 20_000
RAW_ROWS_POSTGRES = 3_000
INVITATIONS_PER_PHONE = 30  # steady state: made up front; a phone stops when none are left


# --- raw insert ceiling -------------------------------------------------------------------------


def _payload(i: int) -> str:
    return json.dumps({f"q{k}": (i + k) % 5 + 1 for k in range(40)})


def raw_sqlite_ceiling(workdir: Path) -> float:
    connection = sqlite3.connect(workdir / "raw.sqlite3", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, sid TEXT UNIQUE, answers TEXT)")
    started = time.perf_counter()
    for i in range(RAW_ROWS_SQLITE):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO raw (sid, answers) VALUES (?, ?)", (f"s{i}", _payload(i)))
        connection.execute("COMMIT")
    rate = RAW_ROWS_SQLITE / (time.perf_counter() - started)
    connection.close()
    return rate


async def raw_postgres_ceiling(database_url: str) -> tuple[float, float]:
    """(one connection, a pool of 20 with 64 concurrent writers), one row per transaction."""
    import asyncpg

    connection = await asyncpg.connect(database_url)
    await connection.execute(
        "CREATE TABLE raw (id BIGSERIAL PRIMARY KEY, sid TEXT UNIQUE, answers JSONB)")
    started = time.perf_counter()
    for i in range(RAW_ROWS_POSTGRES):
        async with connection.transaction():
            await connection.execute("INSERT INTO raw (sid, answers) VALUES ($1, $2)",
                                     f"s{i}", _payload(i))
    single = RAW_ROWS_POSTGRES / (time.perf_counter() - started)
    await connection.close()

    pool = await asyncpg.create_pool(database_url, min_size=20, max_size=20)
    assert pool is not None
    per_writer = RAW_ROWS_POSTGRES * 2 // 64

    async def writer(w: int) -> None:
        for i in range(per_writer):
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("INSERT INTO raw (sid, answers) VALUES ($1, $2)",
                                   f"p{w}-{i}", _payload(i))

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(64)))
    pooled = per_writer * 64 / (time.perf_counter() - started)
    await pool.close()
    return single, pooled


# --- one engine ---------------------------------------------------------------------------------


def bench_engine(engine: str, args: argparse.Namespace) -> bool:
    plan = Plan(args.phones, args.client_processes, args.one_shot, args.warmup, args.seconds,
                args.deadline, args.seed)
    invitations = args.phones if args.one_shot else args.phones * INVITATIONS_PER_PHONE
    with tempfile.TemporaryDirectory(prefix=f"survey-bench-{engine}-") as tmp:
        workdir = Path(tmp)
        with fresh_database(engine, workdir) as database_url:
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
            env.update({
                "SURVEY_DATABASE_URL": database_url,
                "SURVEY_DATA_DIR": str(workdir / "data"),
                "SURVEY_SECRET_KEY": secrets.token_urlsafe(48),
                "SURVEY_IN_PROCESS_WORKER": "false",
                "SURVEY_LOG_LEVEL": "WARNING",
                "SURVEY_PORT": str(port),
            })
            subprocess.run([SURVEY_APP, "migrate"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            os.environ.update({k: v for k, v in env.items() if k.startswith("SURVEY_")})
            setup = create_campaign(invitations + 1)
            tokens, spare = setup.tokens[:-1], setup.tokens[-1]  # the spare: the ceiling's pages
            server = Server(env, port, workdir / "server.log")
            server.start()
            try:
                asyncio.run(server.wait_ready())
                assert server.process is not None
                outcome = asyncio.run(drive(server.base_url, server.process.pid,
                                            setup.questionnaire, tokens, plan,
                                            server if args.kill else None))
                walk, captured = asyncio.run(
                    capture_walk(server.base_url, setup.questionnaire, spare, args.seed))
            finally:
                server.stop()
            result = reconcile({**outcome.stats.receipts, **captured.receipts})
            if engine == "sqlite":
                raw = raw_sqlite_ceiling(workdir)
                raw_text = f"sqlite3 WAL+NORMAL, 1 row/transaction: {raw:,.0f} rows/s"
            else:
                single, pooled = asyncio.run(raw_postgres_ceiling(database_url))
                raw = single
                raw_text = (f"asyncpg 1 connection, 1 row/transaction: {single:,.0f} rows/s; "
                            f"pool 20 × 64 writers: {pooled:,.0f} rows/s")
            for key in [k for k in os.environ if k.startswith("SURVEY_")]:
                if key != "SURVEY_TEST_POSTGRES_URL":
                    del os.environ[key]
            # A fault run measures correctness, not speed: no ceiling beside it.
            ceiling = None if args.kill else bare_walks(walk, setup, len(tokens), plan, workdir)
    return report(engine, args, outcome, ceiling, result, raw, raw_text)


def bare_walks(walk: dict[str, Any], setup: Any, count: int, plan: Plan, workdir: Path) -> Outcome:
    """The same phones and client processes against bench/_walk_ceiling_app.py."""
    walk_file = workdir / "walk.json"
    walk_file.write_text(json.dumps(walk, ensure_ascii=False))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update({"CEILING_WALK_FILE": str(walk_file), "PYTHONPATH": str(ROOT)})
    tokens = [secrets.token_urlsafe(24) for _ in range(count)]
    with serve(env, workdir / "ceiling.log", ["bench._walk_ceiling_app:app"]) as (url, pid):
        return asyncio.run(drive(url, pid, setup.questionnaire, tokens, plan))


def _load_lines(label: str, outcome: Outcome, processes: int) -> list[str]:
    stats = outcome.stats
    done, requests = stats.window_receipts, stats.window_requests
    if math.isnan(outcome.server_cpu):
        server = "server CPU n/a (the server was restarted meanwhile)"
    else:
        server_ms = 1000 * outcome.server_cpu
        server = (f"server CPU {server_ms / max(done, 1):.1f} ms per submission, "
                  f"{server_ms / max(requests, 1):.2f} ms per request (busy "
                  f"{outcome.server_cpu / outcome.wall:.0%} of a core)")
    return [
        f"  {label:<21}: {done} in {outcome.wall:.1f} s = {outcome.rate:.1f} submissions/s; "
        f"{requests} answered requests = {requests / outcome.wall:.0f} req/s, "
        f"{requests / max(done, 1):.1f} per submission",
        f"  {'':<21}  {server}; client CPU {1e6 * stats.client_cpu / max(requests, 1):.0f} µs per "
        f"request ({processes} process{'es' if processes > 1 else ''} busy "
        f"{stats.client_cpu / outcome.wall / processes:.0%} of a core each); machine "
        f"{outcome.machine_busy:.0%} busy ({os.cpu_count()} cores, anyone's work)",
    ]


def report(engine: str, args: argparse.Namespace, outcome: Outcome, ceiling: Outcome | None,
           result: Reconciliation, raw: float, raw_text: str) -> bool:
    stats = outcome.stats
    processes = min(args.client_processes, args.phones)
    shape = ("each walking one invitation" if args.one_shot else
             f"walking for {args.seconds:g} s after a {args.warmup:g} s warm-up")
    print(f"\n== {engine}: {args.phones} phones {shape}, {processes} client processes"
          f"{', with SIGKILL + restart' if args.kill else ''} ==")
    print("\n".join(_load_lines("complete submissions", outcome, processes)))
    latencies_ms = [x * 1000 for x in stats.final_latencies]
    if latencies_ms:
        print(f"  final POST latency   : p50 {statistics.median(latencies_ms):.0f} ms, "
              f"p99 {percentile(latencies_ms, 99):.0f} ms, max {max(latencies_ms):.0f} ms")
    print(f"  whole run            : {len(stats.receipts)} receipts, {stats.requests} requests "
          f"(retries {stats.retries}, transport errors {stats.transport_errors}, "
          f"5xx {stats.server_errors})")
    if ceiling is not None:
        print("\n".join(_load_lines("ceiling (bare app)", ceiling, processes)))
        driven = ceiling.stats.window_requests / ceiling.wall
        print(f"  ratio                : {outcome.rate / max(ceiling.rate, 1e-9):.2f} of the "
              f"ceiling in submissions/s; the client drove {driven:.0f} req/s against the bare "
              f"app, the real server answered {stats.window_requests / outcome.wall:.0f} req/s")
    if args.kill:
        print(f"  server killed        : {outcome.kills} time(s), restarted on the same port; "
              f"{stats.final_retried} final POSTs were re-sent with the same submission id")
    if stats.refusals:
        sample = list(stats.refusals.values())[:3]
        print(f"  definitive refusals  : {len(stats.refusals)} e.g. {sample}")
    if stats.gave_up:
        print(f"  gave up at deadline  : {len(stats.gave_up)}")
    print(f"  reconciliation       : acknowledged {result.acknowledged}, lost {result.lost}, "
          f"wrong receipt {result.wrong_receipt}, duplicated per invitation "
          f"{result.duplicated_invitations}, per submission id {result.duplicated_submissions}; "
          f"rows stored {result.stored_total} ({result.stored_unacknowledged} never acknowledged)")
    print(f"  raw insert ceiling   : {raw_text} ({raw / max(outcome.rate, 1e-9):,.0f}× the "
          "submissions/s; one submission = every page and POST and 1 response + its answer and "
          "opinion rows in one transaction)")
    ok = (result.lost == 0 and result.wrong_receipt == 0 and result.duplicated_invitations == 0
          and result.duplicated_submissions == 0 and not math.isnan(outcome.rate))
    print(f"  verdict              : {'OK' if ok else 'FAILED'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--phones", type=int, default=200, help="concurrent simulated phones")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="processes the phones are spread over")
    parser.add_argument("--one-shot", action="store_true",
                        help="each phone walks one invitation (a burst, ramp-up included)")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds of walking before the steady-state window")
    parser.add_argument("--deadline", type=float, default=300.0,
                        help="seconds after which phones stop retrying")
    parser.add_argument("--kill", action="store_true", help="SIGKILL and restart the server mid-load")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scale", action="store_true",
                        help="PostgreSQL only: one server process against two, then a burst")
    parser.add_argument("--scale-seconds", type=int, default=10)
    parser.add_argument("--burst", type=int, default=1000, help="phones in the burst (--scale)")
    parser.add_argument("--final", action="store_true",
                        help="complete final POSTs (wrk) beside the bare ceiling app")
    parser.add_argument("--clients", type=int, default=64, help="wrk connections (--final)")
    parser.add_argument("--seconds", type=int, default=10,
                        help="length of the measured window (steady state, --final)")
    parser.add_argument("--submissions", type=int, default=16_000,
                        help="invitations per round of --final (each submitted at most once)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="--final: rounds of real server then ceiling, on one database")
    args = parser.parse_args()
    if args.scale:
        sys.exit(0 if scale_out(args) else 1)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    run = final_posts if args.final else bench_engine
    results = [run(engine, args) for engine in engines]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
