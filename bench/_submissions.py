"""Complete final POSTs of the 40-question survey (wrk or httpx), the count stored, and the bare
sqlite3 / asyncpg ceilings writing the same rows, for bench/survey_page.py and
bench/submit_load.py --final."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import secrets
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _load import LoadResult, httpx_load, milliseconds, percentile, server_cpu, with_cpu
from _page_setup import CSRF, OPINIONS, RECEIPT, Campaign

from survey_app.demo.answers import simulate_answers
from tests.support.campaigns import form_fields

# --- 3. submissions ----------------------------------------------------------------------------------


def _opinion_writer(rng: random.Random) -> Callable[[str], str | None]:
    return lambda unit: rng.choice(OPINIONS)


def final_post_bodies(campaign: Campaign, csrf: str,
                      distinct: int | None = None) -> list[tuple[str, str]]:
    """(path, urlencoded body) of one complete final POST per invitation, each with its own
    submission id. `distinct`: simulate that many answer sets and deal them out in turn (the
    write costs the same; simulating one per invitation is most of a large run's setup)."""
    from urllib.parse import urlencode

    questionnaire = campaign.questionnaire
    section = questionnaire.sections[0].id
    started = str(int(time.time()) - 300)
    answer_sets: dict[int, str] = {}
    bodies = []
    for index, token in enumerate(campaign.tokens):
        seed = index % distinct if distinct else index
        if seed not in answer_sets:
            rng = random.Random(seed)
            answers = simulate_answers(questionnaire, rng, opinion_for=_opinion_writer(rng))
            answer_sets[seed] = urlencode(form_fields(questionnaire, answers, section))
        fields = [("_csrf_token", csrf), ("_section", section), ("_action", "submit"),
                  ("_submission_id", secrets.token_urlsafe(18)), ("_started", started)]
        bodies.append((f"/s/{token}", urlencode(fields) + "&" + answer_sets[seed]))
        if not distinct:
            answer_sets.clear()
    return bodies


WRK_POSTS = """
local requests = {}
for line in io.lines(BODIES) do
  local path, body = line:match("([^\\t]+)\\t(.*)")
  requests[#requests + 1] = wrk.format("POST", path, HEADERS, body)
end
local spare = wrk.format("GET", "/healthz")
local next_index = 0
ok, other, spares = 0, 0, 0
request = function()
  next_index = next_index + 1
  if next_index > #requests then spares = spares + 1; return spare end
  return requests[next_index]
end
response = function(status, headers, body)
  if status == 200 and body:find("RECEIPT_MARK", 1, true) then ok = ok + 1 else other = other + 1 end
end
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
done = function(summary, latency, reqs)
  for _, t in ipairs(threads) do
    io.write(string.format("COUNTS %d %d %d\\n", t:get("ok"), t:get("other"), t:get("spares")))
  end
end
"""


def wrk_posts(url: str, bodies: list[tuple[str, str]], headers: dict[str, str], clients: int,
              seconds: int, workdir: Path) -> tuple[LoadResult, int]:
    """Each body POSTed once (one thread, so one queue); returns (result, receipts shown)."""
    listed = workdir / "bodies.tsv"
    listed.write_text("".join(f"{path}\t{body}\n" for path, body in bodies))
    lua_headers = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
    script = workdir / "posts.lua"
    script.write_text(f'BODIES = "{listed}"\nHEADERS = {lua_headers}\n'
                      + WRK_POSTS.replace("RECEIPT_MARK", "回执编号"))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "--latency",
         "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    ok, other, spares = (int(x) for x in re.search(r"COUNTS (\d+) (\d+) (\d+)", out).groups())  # type: ignore[union-attr]
    elapsed = re.search(r"requests in ([\d.]+)(s|m)", out)
    assert elapsed
    spent = float(elapsed.group(1)) * (60 if elapsed.group(2) == "m" else 1)
    if spares:
        print(f"   (all {len(bodies)} invitations used up: raise --submissions)")
    p50 = milliseconds(re.search(r" 50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = milliseconds(re.search(r" 99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    return LoadResult(ok + other, spent, p50, p99, other, "wrk"), ok


def count_stored(database_url: str, campaign_id: int) -> int:
    if database_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
            return int(db.execute("SELECT COUNT(*) FROM response WHERE campaign = ?",
                                  (campaign_id,)).fetchone()[0])

    async def count() -> int:
        import asyncpg

        connection = await asyncpg.connect(database_url)
        try:
            return int(await connection.fetchval(
                "SELECT COUNT(*) FROM response WHERE campaign = $1", campaign_id))
        finally:
            await connection.close()

    return asyncio.run(count())


def postgres_submission_ceiling(database_url: str, campaign: Campaign, clients: int,
                                seconds: int) -> float:
    """Bare asyncpg, no HTTP, no Python beyond the driver: the rows one 40-question submission
    writes (a response row with its answers as JSON, its rating rows in one multi-row INSERT,
    the invitation marked) in one transaction each, `clients` concurrent writers on a pool of
    20 connections (the server's pool size), for `seconds`. Transactions per second."""
    import asyncpg

    questionnaire = campaign.questionnaire
    answers = simulate_answers(questionnaire, random.Random(7))
    payload = json.dumps(answers, ensure_ascii=False)
    levels = [(q.name, 4) for q in questionnaire.iter_questions() if q.type == "rating"]

    async def run() -> float:
        pool = await asyncpg.create_pool(database_url, min_size=20, max_size=20)
        assert pool is not None
        async with pool.acquire() as connection:
            await connection.execute(
                "CREATE TABLE ceiling_response (id BIGSERIAL PRIMARY KEY, sid TEXT UNIQUE, "
                "answers JSONB, submitted_at TIMESTAMPTZ DEFAULT now());"
                "CREATE TABLE ceiling_answer (id BIGSERIAL PRIMARY KEY, response BIGINT, "
                "question TEXT, level SMALLINT)")
        done = 0
        deadline = time.perf_counter() + seconds
        values = ", ".join(f"($1, ${2 * i + 2}, ${2 * i + 3})" for i in range(len(levels)))
        flat = [item for pair in levels for item in pair]

        async def writer(w: int) -> None:
            nonlocal done
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                async with pool.acquire() as connection, connection.transaction():
                    rid = await connection.fetchval(
                        "INSERT INTO ceiling_response (sid, answers) VALUES ($1, $2) RETURNING id",
                        f"{w}-{i}", payload)
                    await connection.execute(
                        f"INSERT INTO ceiling_answer (response, question, level) VALUES {values}",
                        rid, *flat)
                    await connection.execute(
                        "UPDATE invitation SET reminder_count = reminder_count WHERE id = $1", w)
                done += 1

        began = time.perf_counter()
        await asyncio.gather(*(writer(w) for w in range(clients)))
        rate = done / (time.perf_counter() - began)
        async with pool.acquire() as connection:
            await connection.execute("DROP TABLE ceiling_response; DROP TABLE ceiling_answer")
        await pool.close()
        return rate

    return asyncio.run(run())


def sqlite_submission_ceiling(workdir: Path, campaign: Campaign, seconds: int) -> float:
    """Bare sqlite3 in this process: the rows one 40-question submission writes (a response row
    with its answers as JSON, its rating rows in one multi-row INSERT), one transaction each."""
    questionnaire = campaign.questionnaire
    payload = json.dumps(simulate_answers(questionnaire, random.Random(7)), ensure_ascii=False)
    levels = [(q.name, 4) for q in questionnaire.iter_questions() if q.type == "rating"]
    values = ", ".join("(?, ?, ?)" for _ in levels)
    with contextlib.closing(sqlite3.connect(workdir / "ceiling.sqlite3",
                                            isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, sid TEXT UNIQUE, answers TEXT)")
        db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, response INT, question TEXT, level INT)")
        done = 0
        began = time.perf_counter()
        while time.perf_counter() - began < seconds:
            db.execute("BEGIN IMMEDIATE")
            rid = db.execute("INSERT INTO r (sid, answers) VALUES (?, ?) RETURNING id",
                             (f"s{done}", payload)).fetchone()[0]
            db.execute(f"INSERT INTO a (response, question, level) VALUES {values}",
                       [x for name, level in levels for x in (rid, name, level)])
            db.execute("COMMIT")
            done += 1
        return done / (time.perf_counter() - began)


def final_post_requests(url: str, campaign: Campaign,
                        distinct: int | None = None) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The final POST of each invitation and the headers they go with: the CSRF token and
    cookie of one page of the running server (the cookie carries no link)."""
    with httpx.Client(base_url=url) as probe:
        page = probe.get(f"/s/{campaign.tokens[0]}")
        csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        cookie = probe.cookies["csrftoken"]
    headers = {"content-type": "application/x-www-form-urlencoded",
               "cookie": f"csrftoken={cookie}"}
    return final_post_bodies(campaign, csrf, distinct), headers


def submissions(url: str, pid: int, campaign: Campaign, clients: int, seconds: int,
                database_url: str, tool: str, workdir: Path) -> tuple[LoadResult, int, int]:
    bodies, headers = final_post_requests(url, campaign)
    if tool == "wrk":
        with server_cpu(pid) as cpu:
            result, acknowledged = wrk_posts(url, bodies, headers, clients, seconds, workdir)
    else:
        with server_cpu(pid) as cpu:
            result, acknowledged = httpx_posts(url, bodies, headers, clients, seconds)
    stored = count_stored(database_url, campaign.campaign_id)
    return with_cpu(result, cpu), acknowledged, stored


def httpx_posts(url: str, bodies: list[tuple[str, str]], headers: dict[str, str], clients: int,
                seconds: int) -> tuple[LoadResult, int]:
    queue = list(reversed(bodies))
    acknowledged = 0

    async def one(client: httpx.AsyncClient) -> httpx.Response | None:
        nonlocal acknowledged
        if not queue:
            return None
        path, body = queue.pop()
        response = await client.post(path, content=body, headers=headers)
        if response.status_code == 200 and RECEIPT.search(response.text):
            acknowledged += 1
        return response

    began = time.perf_counter()
    latencies, statuses, errors = asyncio.run(httpx_load(url, clients, seconds, one))
    spent = time.perf_counter() - began
    bad = sum(n for code, n in statuses.items() if code != 200) + errors
    result = LoadResult(len(latencies), spent, percentile(latencies, 50),
                        percentile(latencies, 99), bad, "httpx")
    return result, acknowledged
