"""Benchmark of the respondent page: its weight on the wire, and how fast one server serves it.

Builds a SQLite database in a temp dir (migrated, the shipped questionnaires plus a
40-question one, open campaigns with invitations), starts uvicorn with 1 worker on loopback,
then prints:

1. page weight (HTML + CSS + JS, raw and gzip -6) for the largest step of each shipped
   questionnaire and for the 40-question page (target: <= 30 KB gzip);
2. pages/s and p50/p99 latency of GET /s/{token} with N concurrent clients for a fixed time
   (wrk if installed, `apt-get install wrk`; otherwise an httpx async client), for the first
   step of the enterprise survey and for the 40-question page, tokens drawn at random, each
   beside its ceiling measured in the same run: a bare Litestar app (bench/_ceiling_app.py,
   same venv, same uvicorn) returning the same page's gzip bytes from memory; then the static
   files and /healthz;
3. submissions/s and p50/p99 of complete final POSTs of the 40-question survey, one per
   distinct invitation, then reconciles the count with the database (0 lost, 0 doubled), beside
   a bare driver (sqlite3 / asyncpg) writing the same rows per transaction in the same run;
4. with --profile: where the server's time goes while serving the 40-question page (py-spy).

5. with --scale: the same pages from uvicorn with 2 workers vs 1, same database, same run;
6. with --burst N: N phones open their own links at the same instant (page + CSS + JS).

    .venv/bin/python bench/survey_page.py
    .venv/bin/python bench/survey_page.py --clients 64 --seconds 15 --profile
    .venv/bin/python bench/survey_page.py --engine postgres --submissions 8000
    .venv/bin/python bench/survey_page.py --engine postgres --only get --scale --burst 1000

The client runs on the same machine as the server: on a 2-core box they share the CPU, so read
the figures as a lower bound for one worker.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _load import LoadResult, combined, get_load  # noqa: E402
from _page_setup import CEILING_APP, Prepared, environment, prepare, serve  # noqa: E402
from _submissions import (  # noqa: E402
    postgres_submission_ceiling,
    sqlite_submission_ceiling,
    submissions,
)
from _submit_server import fresh_database  # noqa: E402

# --- 1. page weight ---------------------------------------------------------------------------------


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def page_weight(url: str, prepared: Prepared) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        css = client.get("/static/css/app.css")
        js = client.get("/static/js/survey.js")
        pages: list[tuple[str, bytes]] = []
        for code, campaign in sorted(prepared.shipped.items()):
            steps = [(s.id, client.get(f"/s/{campaign.tokens[0]}", params={"step": s.id}))
                     for s in campaign.questionnaire.sections]
            for step, response in steps:
                assert response.status_code == 200, (code, step, response.status_code)
            step, largest = max(steps, key=lambda item: len(item[1].content))
            count = len(campaign.questionnaire.section(step).questions)
            pages.append((f"{code} largest step '{step}' ({count} q)", largest.content))
        forty = client.get(f"/s/{prepared.forty.tokens[0]}")
        assert forty.status_code == 200 and forty.text.count("data-question=") == 40
        pages.append(("40-question page", forty.content))
        encoding = forty.headers.get("content-encoding", "none")
    print(f"\n1. Page weight (bytes; gzip = gzip -6 of each file; server sends "
          f"content-encoding: {encoding})")
    print(f"   {'page':<58} {'HTML':>7} {'gzip':>6} | {'+CSS+JS':>8} {'gzip':>6}")
    assets_raw = len(css.content) + len(js.content)
    assets_gz = gz(css.content) + gz(js.content)
    for name, html in pages:
        print(f"   {name:<58} {len(html):>7} {gz(html):>6} | {len(html) + assets_raw:>8} "
              f"{gz(html) + assets_gz:>6}")
    print(f"   (CSS {len(css.content)} B / {gz(css.content)} gz, JS {len(js.content)} B / "
          f"{gz(js.content)} gz; both cacheable, so a second page costs the HTML only)")
    total = gz(pages[-1][1]) + assets_gz
    verdict = "within" if total <= 30 * 1024 else "OVER"
    print(f"   40-question page, first visit: {total / 1024:.1f} KB gzip — {verdict} the 30 KB target")


def ceiling_pages(url: str, pages: dict[str, str], workdir: Path) -> dict[str, str]:
    """Save each page's gzip body and headers exactly as the real server sends them (to a
    browser that has no cookie yet); the environment of the ceiling app."""
    folder = workdir / "ceiling"
    folder.mkdir(exist_ok=True)
    with httpx.Client(base_url=url, timeout=10, headers={"accept-encoding": "gzip"}) as client:
        for name, path in pages.items():
            client.cookies.clear()
            with client.stream("GET", path) as response:
                assert response.status_code == 200, (path, response.status_code)
                body = b"".join(response.iter_raw())
                headers = {k: v for k, v in response.headers.items()
                           if k not in ("date", "server", "content-length")}
            assert headers["content-encoding"] == "gzip"
            (folder / f"{name}.body").write_bytes(body)
            (folder / f"{name}.headers").write_text(json.dumps(headers))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env["CEILING_PAGES_DIR"] = str(folder)
    env["PYTHONPATH"] = str(ROOT)
    return env


def static_load(url: str, pid: int, page: str, clients: int, seconds: int, workdir: Path,
                tool: str) -> None:
    """The stylesheet and script every respondent page links to, and /healthz."""
    with httpx.Client(base_url=url, timeout=10) as client:
        assert client.get("/healthz").status_code == 200
        html = client.get(page).text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    for path in [*assets, "/healthz"]:
        print(get_load(url, pid, [path], clients, seconds, workdir, tool).line(path[-32:]),
              flush=True)


# --- 4. profile ----------------------------------------------------------------------------------


def profile(url: str, pid: int, paths: list[str], clients: int, seconds: int, workdir: Path,
            tool: str) -> None:
    if shutil.which("py-spy") is None and not Path(sys.executable).with_name("py-spy").exists():
        print("   py-spy not found; skipping the profile")
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    raw = workdir / "profile.txt"
    recorder = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
         "--format", "raw", "--output", str(raw), "--nonblocking", "--gil"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    time.sleep(1)
    get_load(url, pid, paths, clients, seconds, workdir, tool)
    recorder.wait(timeout=seconds + 30)
    if not raw.exists():
        print(f"   py-spy failed: {recorder.stderr.read().decode(errors='replace')[-500:]}")  # type: ignore[union-attr]
        return
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        sample = re.fullmatch(r"(.*) (\d+)", line)
        if sample is None:
            continue
        count = int(sample.group(2))
        frames = [re.sub(r":\d+\)$", ")", f) for f in sample.group(1).split(";")]
        total += count
        self_time[frames[-1]] += count
        for area in {_area(frame) for frame in frames}:
            inclusive[area] += count
    print(f"\n4. Profile of the server under GET /s/{{token}} (40-question page): {total} samples "
          "of the thread holding the GIL (py-spy --gil)")
    print("   share of samples by area (inclusive; areas overlap):")
    for area, count in inclusive.most_common():
        if area != "other":
            print(f"     {100 * count / total:5.1f} %  {area}")
    print("   top functions by own time:")
    for frame, count in self_time.most_common(12):
        print(f"     {100 * count / total:5.1f} %  {frame[:110]}")


AREAS = (
    ("jinja2 template rendering", ("jinja2/", "templates/")),
    ("survey page handler (survey_app/web/pages/survey.py)", ("pages/survey.py",)),
    ("questionnaire client logic (data-* attributes)", ("questionnaires/client_logic.py",
                                                        "questionnaires/expressions")),
    ("database (piccolo, aiosqlite, sqlite3)", ("piccolo/", "aiosqlite/", "engine.py")),
    ("litestar (routing, middleware, CSRF, responses)", ("litestar/",)),
    ("uvicorn / httptools / asyncio", ("uvicorn/", "httptools", "asyncio/")),
)


def _area(frame: str) -> str:
    for name, markers in AREAS:
        if any(marker in frame for marker in markers):
            return name
    return "other"


# --- main -----------------------------------------------------------------------------------------


SECTIONS = ("weight", "get", "static", "post")


def page_paths(prepared: Prepared) -> dict[str, tuple[str, list[str]]]:
    """name -> (label, paths) of the pages measured: tokens drawn at random per request."""
    enterprise = prepared.enterprise
    questionnaire = enterprise.questionnaire
    grid = max(questionnaire.sections,
               key=lambda s: sum(max(len(q.rows), 1) for q in s.questions))
    rows = sum(max(len(q.rows), 1) for q in grid.questions)
    return {
        "enterprise": ("enterprise survey, first step", [f"/s/{t}" for t in enterprise.tokens]),
        "units": (f"unit-rating step ({rows} ratings)",
                  [f"/s/{t}?step={grid.id}" for t in enterprise.tokens]),
        "forty": ("40-question page", [f"/s/{t}" for t in prepared.forty.tokens]),
        "open": ("open link, first visit", [f"/o/{enterprise.open_token}"]),
        "resumed": ("resumed step (draft filled in)", [f"/s/{t}" for t in prepared.resumed.tokens]),
    }


def compare_with_ceiling(url: str, pid: int, pages: dict[str, tuple[str, list[str]]],
                         args: argparse.Namespace, workdir: Path, tool: str) -> None:
    ceiling_env = ceiling_pages(url, {name: paths[0] for name, (_, paths) in pages.items()},
                                workdir)
    print(f"\n2. GET pages (random among {args.tokens} invitations, {args.clients} clients, "
          f"{args.seconds} s, after a 2 s warm-up), each beside its ceiling: a bare Litestar app "
          "in the same venv (uvicorn, 1 worker) returning the same page's gzip bytes and "
          f"headers from memory, measured in this run ({args.rounds} alternating rounds; p99: "
          "the worst round's)")
    rounds = max(1, min(args.rounds, args.seconds // 2))
    with serve(ceiling_env, workdir / "ceiling.log", CEILING_APP) as (c_url, c_pid):
        for name, (label, paths) in pages.items():
            # Alternate the two servers in rounds: the load of a shared machine changes by the
            # second, and should weigh on both sides of the ratio alike.
            reals, bares = [], []
            for i in range(rounds):
                reals.append(get_load(url, pid, paths, args.clients, args.seconds // rounds,
                                      workdir, tool, warm_up=i == 0))
                bares.append(get_load(c_url, c_pid, [f"/{name}"], args.clients,
                                      args.seconds // rounds, workdir, tool, warm_up=i == 0))
            real, bare = combined(reals), combined(bares)
            print(real.line(label), flush=True)
            print(bare.line("  ceiling (same bytes, bare app)"), flush=True)
            print(f"   {'':<32} ratio {real.rate / bare.rate:.2f} of the ceiling "
                  f"(aim >= 0.40)", flush=True)


def scale_out(env: dict[str, str], pages: dict[str, tuple[str, list[str]]],
              args: argparse.Namespace, workdir: Path, tool: str) -> None:
    """The same pages from uvicorn with 1 and with 2 worker processes on the same database,
    both up at once and measured in alternating rounds."""
    rounds = max(1, min(args.rounds, args.seconds // 2))
    print(f"\n5. Scale out: uvicorn --workers 1 vs --workers 2 on the same {args.engine} "
          f"database, {args.clients} clients, {args.seconds} s each in {rounds} alternating "
          "rounds, in this run")
    with serve(env, workdir / "scale1.log", workers=1) as one, \
            serve(env, workdir / "scale2.log", workers=2) as two:
        for name in ("enterprise", "forty"):
            label, paths = pages[name]
            runs: dict[int, list[LoadResult]] = {1: [], 2: []}
            for i in range(rounds):
                for workers, (url, pid) in ((1, one), (2, two)):
                    runs[workers].append(get_load(url, pid, paths, args.clients,
                                                  args.seconds // rounds, workdir, tool,
                                                  warm_up=i == 0))
            results = {workers: combined(r) for workers, r in runs.items()}
            for workers, result in results.items():
                print(result.line(f"{label[:22]}, {workers} worker(s)"), flush=True)
            print(f"   {'':<32} 2 workers serve {results[2].rate / results[1].rate:.2f}x one",
                  flush=True)


def phone_burst(env: dict[str, str], prepared: Prepared, args: argparse.Namespace,
                workdir: Path) -> None:
    from _burst import burst

    tokens = prepared.enterprise.tokens[:args.burst]
    paths = [f"/s/{t}" for t in tokens]
    print(f"\n6. A burst: {len(paths)} phones open their own invitation links at the same "
          f"instant (page, then its CSS and JS on the same connection), {args.engine}")
    for workers in (1, 2):
        with serve(env, workdir / f"burst{workers}.log", workers=workers) as (url, _pid):
            with httpx.Client(base_url=url, timeout=10) as client:
                html = client.get(paths[-1]).text  # the assets the page links to
            assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
            result = burst(url, paths, assets)
        print(result.line(f"uvicorn, {workers} worker(s)"), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--tokens", type=int, default=2000, help="invitations per GET campaign")
    parser.add_argument("--submissions", type=int, default=3000,
                        help="invitations for the POST run (each is submitted at most once)")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--profile", action="store_true", help="py-spy the server (section 4)")
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite",
                        help="postgres: a database made next to SURVEY_TEST_POSTGRES_URL")
    parser.add_argument("--rounds", type=int, default=3,
                        help="GET runs alternate real server and ceiling in this many rounds")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    parser.add_argument("--scale", action="store_true",
                        help="section 5: uvicorn with 2 workers vs 1 on the same database")
    parser.add_argument("--burst", type=int, default=0, metavar="PHONES",
                        help="section 6: PHONES phones open their links at once (1 and 2 workers)")
    args = parser.parse_args()
    sections = set(args.only.split(",")) if args.only else set()
    tool = ("wrk" if shutil.which("wrk") else "httpx") if args.tool == "auto" else args.tool

    with tempfile.TemporaryDirectory(prefix="survey-page-bench-") as tmp, \
            fresh_database(args.engine, Path(tmp)) as database_url:
        workdir = Path(tmp)
        env = environment(database_url, workdir / "data")
        began = time.perf_counter()
        prepared = prepare(env, max(args.tokens, args.burst), args.submissions)
        print(f"{args.engine} database in {workdir}: set up in {time.perf_counter() - began:.1f} s; "
              f"uvicorn 1 worker on loopback; {args.clients} clients; {args.seconds} s per run; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the runs")
        pages = page_paths(prepared)
        with serve(env, workdir / "server.log") as (url, pid):
            if "weight" in sections:
                page_weight(url, prepared)
            if "get" in sections:
                compare_with_ceiling(url, pid, pages, args, workdir, tool)
            if "static" in sections:
                static_load(url, pid, pages["forty"][1][0], args.clients, args.seconds, workdir,
                            tool)
            if "post" in sections:
                post_section(url, pid, prepared, args, database_url, workdir, tool)
            if args.profile:
                paths = [f"/s/{t}" for t in prepared.forty.tokens]
                profile(url, pid, paths, args.clients, args.seconds, workdir, tool)
        if args.scale:
            scale_out(env, pages, args, workdir, tool)
        if args.burst:
            phone_burst(env, prepared, args, workdir)


def post_section(url: str, pid: int, prepared: Prepared, args: argparse.Namespace,
                 database_url: str, workdir: Path, tool: str) -> None:
    result, acknowledged, stored = submissions(
        url, pid, prepared.forty_submit, args.clients, args.seconds, database_url, tool, workdir)
    print(f"\n3. Complete final POSTs of the 40-question survey (distinct invitations, "
          f"{args.clients} clients, at most {args.seconds} s)")
    print(result.line("submissions"))
    # wrk drops the requests in flight when its time is up: those may be stored without
    # their receipt having been read (at most one per client), never the reverse.
    verdict = "ok" if acknowledged <= stored <= acknowledged + args.clients else "MISMATCH"
    print(f"   receipts shown {acknowledged}, responses stored {stored} "
          f"({stored - acknowledged} in flight when the client stopped): {verdict}")
    if args.engine == "postgres":
        ceiling = postgres_submission_ceiling(database_url, prepared.forty_submit,
                                              args.clients, args.seconds)
        what = "bare asyncpg, pool of 20"
    else:
        ceiling = sqlite_submission_ceiling(workdir, prepared.forty_submit, args.seconds)
        what = "bare sqlite3, one connection, WAL + synchronous=NORMAL"
    print(f"   ceiling: the same rows per transaction ({what}, no HTTP): "
          f"{ceiling:,.0f}/s; submissions run at {result.rate / ceiling:.2f} of it")


if __name__ == "__main__":
    main()
