"""Load and fault benchmark of the respondent path against the real server.

For each engine: a fresh database (SQLite file in a temp dir, or a PostgreSQL database created
next to SURVEY_TEST_POSTGRES_URL and dropped afterwards), `survey-app migrate`, an open campaign
with N invitations, `survey-app serve` on a free port, then N simulated phones at once, each
walking every section like a browser without JavaScript and keeping its final receipt
(回执编号). Prints throughput, latency of the final POST, and reconciles every acknowledged
receipt against the database (0 lost, 0 duplicated). Also measures the raw insert ceiling of
the database (one row per transaction) for comparison.

`--kill`: SIGKILL the server when a third of the phones hold a receipt, restart it; phones
retry (the final POST with the same submission id and form) until they get a receipt or a
definitive refusal. Every acknowledged submission must then be stored exactly once.

`--final`: complete final POSTs of the 40-question survey (one per distinct invitation, wrk,
`--clients` connections, `--seconds`), each engine beside its ceiling measured in the same run
on the same bodies: a bare Litestar app writing the response and its answer rows in one
transaction (bench/_submit_ceiling_app.py). Reconciles receipts with stored rows.

    .venv/bin/python bench/submit_load.py                       # both engines, 200 phones
    .venv/bin/python bench/submit_load.py --engine sqlite --phones 500
    .venv/bin/python bench/submit_load.py --engine postgres --kill
    .venv/bin/python bench/submit_load.py --final --clients 64 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import server_cpu, with_cpu, wrk_get  # noqa: E402
from _page_setup import APP, CSRF, Campaign, environment, forty_question_definition, free_port, serve  # noqa: E402
from _phones import Reconciliation, Stats, reconcile, run_load  # noqa: E402
from _submissions import final_post_bodies, wrk_posts  # noqa: E402
from _submit_server import SURVEY_APP, Server, create_campaign, fresh_database  # noqa: E402

RAW_ROWS_SQLITE = 20_000
RAW_ROWS_POSTGRES = 3_000
CEILING_ROUNDS = 4


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


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_engine(engine: str, args: argparse.Namespace) -> bool:
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
            setup = create_campaign(args.phones)
            server = Server(env, port, workdir / "server.log")
            server.start()
            try:
                asyncio.run(server.wait_ready())
                stats, wall, kills = asyncio.run(
                    run_load(server, setup, args.seed, args.deadline, args.kill))
            finally:
                server.stop()
            result = reconcile(stats.receipts)
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
    return report(engine, args, stats, wall, kills, result, raw, raw_text)


def report(
    engine: str, args: argparse.Namespace, stats: Stats, wall: float, kills: int,
    result: Reconciliation, raw: float, raw_text: str,
) -> bool:
    done = len(stats.receipts)
    rate = done / wall if wall else 0.0
    latencies_ms = [x * 1000 for x in stats.final_latencies]
    print(f"\n== {engine}: {args.phones} phones{' with SIGKILL + restart' if args.kill else ''} ==")
    print(f"  complete submissions : {done}/{args.phones} in {wall:.1f} s "
          f"= {rate:.1f} submissions/s")
    print(f"  HTTP requests        : {stats.requests} = {stats.requests / wall:.0f} req/s "
          f"(retries {stats.retries}, transport errors {stats.transport_errors}, "
          f"5xx {stats.server_errors})")
    if latencies_ms:
        print(f"  final POST latency   : p50 {statistics.median(latencies_ms):.0f} ms, "
              f"p99 {percentile(latencies_ms, 0.99):.0f} ms, max {max(latencies_ms):.0f} ms")
    if args.kill:
        print(f"  server killed        : {kills} time(s), restarted on the same port; "
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
    print(f"  raw insert ceiling   : {raw_text}")
    print(f"  ratio                : HTTP submissions/s ÷ raw rows/s = {rate / raw:.2e} "
          f"(raw ceiling {raw / max(rate, 1e-9):,.0f}× higher; one submission = "
          f"{stats.requests / max(done, 1):.1f} requests and 1 response + its answer and "
          "opinion rows in one transaction)")
    ok = (result.lost == 0 and result.wrong_receipt == 0 and result.duplicated_invitations == 0
          and result.duplicated_submissions == 0)
    print(f"  verdict              : {'OK' if ok else 'FAILED'}")
    return ok


# --- scale out: one server process against two, and a burst of phones -----------------------


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
                              f"{percentile(ms, 0.99):.0f} ms")
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


# --- complete final POSTs beside the bare ceiling ----------------------------------------------


def prepare_forty(env: dict[str, str], invitations: int) -> Any:
    """Migrate and open a campaign of the 40-question survey with `invitations` links."""
    from questionnaires.definition import parse_definition
    from survey_app.commands.common import run_with_database
    from survey_app.db.tables import Campaign as CampaignTable
    from survey_app.db.tables import Invitation
    from survey_app.services.questionnaires import create_questionnaire, publish

    subprocess.run([SURVEY_APP, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update({k: v for k, v in env.items() if k.startswith("SURVEY_")})

    async def work(_: Any) -> Campaign:
        import yaml

        forty = parse_definition(yaml.safe_dump(forty_question_definition(), allow_unicode=True),
                                 "yaml")
        version_id = await create_questionnaire(forty, "enterprise", None)
        await publish(version_id, None)
        rows = await CampaignTable.insert(CampaignTable(
            code=f"B-{secrets.token_hex(3)}", name="2026年第三季度营商环境调查", version=version_id,
            audience="enterprise", period="2026-Q3", status="open",
        )).returning(CampaignTable.id)
        tokens = [secrets.token_urlsafe(24) for _ in range(invitations)]
        for start in range(0, invitations, 500):
            await Invitation.insert(*[
                Invitation(campaign=rows[0]["id"], token=t, stratum="制造业|规上", design_weight=4.0)
                for t in tokens[start:start + 500]])
        return Campaign(rows[0]["id"], forty, tokens)

    return run_with_database(work)


def stored_check(database_url: str, campaign_id: int) -> tuple[int, int, int]:
    """(responses stored, responses without answer rows, invitations with two responses)."""
    sql = ("SELECT COUNT(*), SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM answer a WHERE"
           " a.response = r.id) THEN 1 ELSE 0 END), COUNT(*) - COUNT(DISTINCT r.invitation)"
           " FROM response r WHERE r.campaign = ")
    if database_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
            row = db.execute(sql + "?", (campaign_id,)).fetchone()
    else:
        import asyncpg

        async def fetch() -> Any:
            connection = await asyncpg.connect(database_url)
            try:
                return await connection.fetchrow(sql + "$1", campaign_id)
            finally:
                await connection.close()

        row = asyncio.run(fetch())
    return int(row[0]), int(row[1] or 0), int(row[2])


def final_posts(engine: str, args: argparse.Namespace) -> bool:

    with tempfile.TemporaryDirectory(prefix=f"survey-final-{engine}-") as tmp:
        workdir = Path(tmp)
        with fresh_database(engine, workdir) as database_url:
            env = environment(database_url, workdir / "data")
            campaign = prepare_forty(env, args.submissions)
            ceiling_url = (f"sqlite:///{workdir / 'ceiling.sqlite3'}" if engine == "sqlite"
                           else database_url)
            ceiling_env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
            ceiling_env.update({"CEILING_DATABASE_URL": ceiling_url, "PYTHONPATH": str(ROOT)})
            with serve(env, workdir / "server.log", APP) as (url, pid):
                with httpx.Client(base_url=url) as probe:
                    page = probe.get(f"/s/{campaign.tokens[0]}")
                    csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
                    cookie = probe.cookies["csrftoken"]
                bodies = final_post_bodies(campaign, csrf)
                headers = {"content-type": "application/x-www-form-urlencoded",
                           "cookie": f"csrftoken={cookie}"}
                with server_cpu(pid) as real_cpu:
                    real, acknowledged = wrk_posts(url, bodies, headers, args.clients,
                                                   args.seconds, workdir)
            stored, incomplete, doubled = stored_check(database_url, campaign.campaign_id)
            with serve(ceiling_env, workdir / "ceiling.log",
                       ["bench._submit_ceiling_app:app"]) as (c_url, c_pid):
                # The bare app is faster: the same bodies over again, each with a new submission id.
                rounds = [(path, re.sub(r"_submission_id=([^&]+)", rf"_submission_id=\1r{r}", body))
                          for r in range(CEILING_ROUNDS) for path, body in bodies]
                with server_cpu(c_pid) as bare_cpu:
                    bare, bare_acknowledged = wrk_posts(c_url, rounds, headers, args.clients,
                                                        args.seconds, workdir)
            for key in [k for k in os.environ if k.startswith("SURVEY_")]:
                if key != "SURVEY_TEST_POSTGRES_URL":
                    del os.environ[key]
    print(f"\n== {engine}: complete final POSTs of the 40-question survey, {args.clients} "
          f"clients, {args.seconds} s, uvicorn 1 worker ==")
    # Rates count receipts only (wrk's spare requests once the bodies run out are not counted).
    real = with_cpu(dataclasses.replace(real, requests=acknowledged), real_cpu)
    bare = with_cpu(dataclasses.replace(bare, requests=bare_acknowledged), bare_cpu)
    print(real.line("submissions"))
    print(bare.line("ceiling (bare app, same bodies)"))
    ratio = real.rate / bare.rate
    lost = max(0, acknowledged - stored)
    # On a shared, overloaded machine wall-clock rates swing run to run; server CPU per
    # submission is the steadier figure, so both ratios are printed.
    print(f"   ratio {ratio:.2f} of the ceiling in submissions/s, "
          f"{bare.cpu_ms / real.cpu_ms:.2f} in server CPU per submission")
    print(f"   receipts {acknowledged}, stored {stored} "
          f"({stored - acknowledged} in flight when wrk stopped), lost {lost}, without answer "
          f"rows {incomplete}, doubled {doubled}")
    ok = lost == 0 and incomplete == 0 and doubled == 0 and stored <= acknowledged + args.clients
    print(f"   verdict: {'OK' if ok else 'FAILED'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--phones", type=int, default=200, help="concurrent simulated phones")
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
    parser.add_argument("--seconds", type=int, default=10, help="length of a run (--final)")
    parser.add_argument("--submissions", type=int, default=20_000,
                        help="invitations for --final (each submitted at most once)")
    args = parser.parse_args()
    if args.scale:
        sys.exit(0 if scale_out(args) else 1)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    run = final_posts if args.final else bench_engine
    results = [run(engine, args) for engine in engines]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
