"""bench/submit_load.py --final: complete final POSTs of the 40-question survey (one per
distinct invitation, wrk) on each engine beside a bare Litestar app writing the same response and
answer rows in one transaction (bench/_submit_ceiling_app.py), same run, same bodies; receipts
reconciled with the stored rows."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import re
import sqlite3
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from _load import LoadResult, combined, database_cpu, server_cpu, with_cpu
from _page_setup import APP, ROOT, Campaign, environment, forty_question_definition, open_campaign, serve
from _submissions import final_post_requests, wrk_posts
from _submit_server import SURVEY_APP, fresh_database

CEILING_ROUNDS = 4
# Answer sets simulated; dealt out in turn over the invitations (final_post_bodies).
DISTINCT_ANSWERS = 2_000
# Invitations for the untimed warm-up of both servers (the ceiling's writes don't collide: its
# own table, unique by submission id, and the real server never sees these again).
WARM_UP = 5_000


def prepare_forty(env: dict[str, str], invitations: int) -> Any:
    """Migrate and open a campaign of the 40-question survey with `invitations` links."""
    from questionnaires.definition import parse_definition
    from survey_app.commands.common import run_with_database
    from survey_app.services.questionnaires import create_questionnaire, publish

    subprocess.run([SURVEY_APP, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update({k: v for k, v in env.items() if k.startswith("SURVEY_")})

    async def work(_: Any) -> Campaign:
        import yaml

        forty = parse_definition(yaml.safe_dump(forty_question_definition(), allow_unicode=True),
                                 "yaml")
        version_id = await create_questionnaire(forty, "enterprise", None)
        await publish(version_id, None)
        return await open_campaign(version_id, forty, invitations)

    return run_with_database(work)


def stored_check(database_url: str, campaign_id: int) -> tuple[int, int, int]:
    """(responses stored, responses without answer rows, invitations with two responses)."""
    # The answer rows' response ids are read once (an uncorrelated IN): a lookup per response
    # would scan the answer table each time, its index leading with the campaign.
    sql = ("SELECT COUNT(*), SUM(CASE WHEN r.id IN (SELECT response FROM answer WHERE campaign"
           " = {0}) THEN 0 ELSE 1 END), COUNT(*) - COUNT(DISTINCT r.invitation)"
           " FROM response r WHERE r.campaign = {0}")
    if database_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
            row = db.execute(sql.format("?"), (campaign_id, campaign_id)).fetchone()
    else:
        import asyncpg

        async def fetch() -> Any:
            connection = await asyncpg.connect(database_url)
            try:
                return await connection.fetchrow(sql.format("$1"), campaign_id)
            finally:
                await connection.close()

        row = asyncio.run(fetch())
    return int(row[0]), int(row[1] or 0), int(row[2])


def final_posts(engine: str, args: argparse.Namespace) -> bool:
    """--rounds rounds, each a run of the real server and then one of the ceiling, both
    servers up throughout, on one database: a shared machine's swings hit both sides of a round
    alike, and the median of the rounds is steadier than any single run."""
    reals: list[LoadResult] = []
    bares: list[LoadResult] = []
    database_ms: list[tuple[float, float]] = []
    acknowledged = 0
    with tempfile.TemporaryDirectory(prefix=f"survey-final-{engine}-") as tmp:
        workdir = Path(tmp)
        with fresh_database(engine, workdir) as database_url:
            env = environment(database_url, workdir / "data")
            campaign = prepare_forty(env, WARM_UP + args.submissions * args.rounds)
            ceiling_url = (f"sqlite:///{workdir / 'ceiling.sqlite3'}" if engine == "sqlite"
                           else database_url)
            ceiling_env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
            ceiling_env.update({"CEILING_DATABASE_URL": ceiling_url, "PYTHONPATH": str(ROOT)})
            with serve(env, workdir / "server.log", APP) as (url, pid), \
                    serve(ceiling_env, workdir / "ceiling.log",
                          ["bench._submit_ceiling_app:app"]) as (c_url, c_pid):
                bodies, headers = final_post_requests(url, campaign, distinct=DISTINCT_ANSWERS)
                # Warm-up, not counted: caches, pooled connections, prepared statements.
                _, acknowledged = wrk_posts(url, bodies[:WARM_UP], headers, args.clients, 2,
                                            workdir)  # reconciled with the rounds' receipts
                wrk_posts(c_url, bodies[:WARM_UP], headers, args.clients, 2, workdir)
                bodies = bodies[WARM_UP:]
                for number in range(args.rounds):
                    mine = bodies[number * args.submissions:(number + 1) * args.submissions]
                    with server_cpu(pid) as real_cpu, database_cpu() as real_db:
                        real, receipts = wrk_posts(url, mine, headers, args.clients,
                                                   args.seconds, workdir)
                    # The bare app is faster: the same bodies over again, new submission ids.
                    again = [(path, re.sub(r"_submission_id=([^&]+)", rf"_submission_id=\1r{r}",
                                           body)) for r in range(CEILING_ROUNDS)
                             for path, body in mine]
                    with server_cpu(c_pid) as bare_cpu, database_cpu() as bare_db:
                        bare, bare_receipts = wrk_posts(c_url, again, headers, args.clients,
                                                        args.seconds, workdir)
                    # Rates count receipts only (wrk's spare requests once the bodies run out
                    # are not counted).
                    reals.append(with_cpu(dataclasses.replace(real, requests=receipts), real_cpu))
                    bares.append(with_cpu(dataclasses.replace(bare, requests=bare_receipts),
                                          bare_cpu))
                    database_ms.append((1000 * real_db[0] / max(receipts, 1),
                                        1000 * bare_db[0] / max(bare_receipts, 1)))
                    acknowledged += receipts
            stored, incomplete, doubled = stored_check(database_url, campaign.campaign_id)
            for key in [k for k in os.environ if k.startswith("SURVEY_")]:
                if key != "SURVEY_TEST_POSTGRES_URL":
                    del os.environ[key]
    print(f"\n== {engine}: complete final POSTs of the 40-question survey, {args.clients} "
          f"clients, {args.rounds} rounds of {args.seconds} s each side, uvicorn 1 worker ==")
    for number, (real, bare) in enumerate(zip(reals, bares, strict=True), start=1):
        print(f"   round {number}: {real.rate:5.0f}/s p99 {real.p99_ms:5.1f} ms, ceiling "
              f"{bare.rate:5.0f}/s p99 {bare.p99_ms:5.1f} ms: {real.rate / bare.rate:.2f}")
    real, bare = (combined(results, p99_of=statistics.median) for results in (reals, bares))
    print(real.line("submissions (median p50, p99)"))
    print(bare.line("ceiling (bare app, same bodies)"))
    if engine == "postgres":
        print(f"   PostgreSQL CPU per submission: {statistics.median(m for m, _ in database_ms):.2f}"
              f" ms (ceiling {statistics.median(c for _, c in database_ms):.2f} ms), all its "
              "processes, median of the rounds")
    # On a shared, overloaded machine wall-clock rates swing run to run; server CPU per
    # submission is the steadier figure, so both ratios are printed.
    print(f"   ratio {real.rate / bare.rate:.2f} of the ceiling in submissions/s, "
          f"{bare.cpu_ms / real.cpu_ms:.2f} in server CPU per submission")
    lost = max(0, acknowledged - stored)
    in_flight = args.clients * (args.rounds + 1)  # the warm-up's too
    print(f"   receipts {acknowledged}, stored {stored} "
          f"({stored - acknowledged} in flight when wrk stopped), lost {lost}, without answer "
          f"rows {incomplete}, doubled {doubled}")
    ok = lost == 0 and incomplete == 0 and doubled == 0 and stored <= acknowledged + in_flight
    print(f"   verdict: {'OK' if ok else 'FAILED'}")
    return ok
