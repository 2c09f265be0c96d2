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
import asyncio
import contextlib
import dataclasses
import gzip
import json
import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from questionnaires.definition import parse_definition  # noqa: E402
from questionnaires.model import Questionnaire  # noqa: E402
from survey_app.demo.answers import simulate_answers  # noqa: E402
from tests.support.campaigns import form_fields  # noqa: E402

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
RECEIPT = re.compile(r"回执编号：<b>([^<]+)</b>")
OPINIONS = (
    "窗口办事排队时间长，希望增加自助设备，网上办理的事项再多一些",
    "工作人员态度很好，一次就办成了，点赞",
    "检查太频繁，同一件事不同部门反复来查，影响生产",
    "政策兑现慢，申报材料复杂，希望简化流程",
)
UNIT_NAMES = ("区发展和改革局", "区市场监督管理局", "区税务局", "区人力资源和社会保障局",
              "区住房和城乡建设局", "区生态环境分局", "区行政审批局", "区自然资源和规划分局",
              "区商务局", "区科技和工业信息化局", "区城市管理局", "区交通运输局")


# --- the 40-question questionnaire ---------------------------------------------------------------


def forty_question_definition() -> dict[str, Any]:
    """One page of 40 questions, typed like a real enterprise survey: profile choices, 24 unit
    ratings (half with 不了解), yes/no, multiple choice, a 0-10 score, a number, opinions."""
    questions: list[dict[str, Any]] = [
        {"name": "industry", "type": "single_choice", "label": "贵企业所属行业", "required": True,
         "options": [{"value": f"i{i}", "label": label} for i, label in enumerate(
             ["制造业", "建筑业", "批发和零售业", "交通运输、仓储和邮政业", "住宿和餐饮业",
              "信息传输、软件和信息技术服务业", "科学研究和技术服务业", "租赁和商务服务业", "其他行业"])]},
        {"name": "size", "type": "single_choice", "label": "贵企业规模", "required": True,
         "options": [{"value": v, "label": label} for v, label in
                     [("large", "大型企业"), ("medium", "中型企业"), ("small", "小型企业"),
                      ("micro", "微型企业（含个体工商户）")]]},
        {"name": "years", "type": "single_choice", "label": "贵企业在本区经营的年限",
         "options": [{"value": v, "label": label} for v, label in
                     [("lt1", "不足 1 年"), ("y1_3", "1–3 年"), ("y3_5", "3–5 年"), ("gt5", "5 年以上")]]},
    ]
    for index, unit in enumerate(UNIT_NAMES, start=1):
        for dimension in ("服务态度", "办事效率"):
            questions.append({
                "name": f"u{index:02d}_{'attitude' if dimension == '服务态度' else 'speed'}",
                "type": "rating", "label": f"您对{unit}工作人员{dimension}的评价",
                "required": True, "unit": f"U{index:02d}", "dimension": dimension,
                "allow_unknown": index % 2 == 0,
            })
    for index, topic in enumerate(["网上办理", "惠企政策申报", "行政检查", "项目审批"], start=1):
        questions.append({"name": f"used_{index}", "type": "single_choice", "required": True,
                          "label": f"过去一年，贵企业是否办理过{topic}相关业务？",
                          "options": [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]})
    for index, topic in enumerate(["政务服务", "融资支持", "用工保障"], start=1):
        questions.append({
            "name": f"needs_{index}", "type": "multiple_choice", "max_choices": 3,
            "label": f"在{topic}方面，您认为最需要改进的是？（最多选 3 项）",
            "options": [{"value": f"n{k}", "label": label} for k, label in enumerate(
                ["材料要求多", "办理时间长", "口径不一致", "系统不好用", "电话难打通", "其他"])],
        })
    questions += [
        {"name": "overall_score", "type": "scale10", "required": True,
         "label": "综合考虑，您给本区营商环境打几分？（0 分表示非常差，10 分表示非常好）"},
        {"name": "inspections", "type": "number", "min": 0, "max": 200,
         "label": "过去一年接受各类行政检查的次数（次）"},
    ]
    for index in range(1, 5):
        questions.append({"name": f"opinion_{index}", "type": "textarea", "opinion": True,
                          "max_length": 500, "unit": f"U{index:02d}",
                          "label": f"您对{UNIT_NAMES[index - 1]}还有什么意见和建议？",
                          "hint": "选填。请不要填写姓名、电话等个人信息。"})
    assert len(questions) == 40
    return {"id": "bench-forty", "title": "四十题企业满意度调查（基准测试）", "version": "1",
            "intro": "本问卷用于测量页面大小和服务速度。",
            "sections": [{"id": "all", "title": "全部题目", "questions": questions}]}


# --- database and server --------------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    campaign_id: int
    questionnaire: Questionnaire
    tokens: list[str]
    open_token: str = ""


@dataclass(frozen=True)
class Prepared:
    enterprise: Campaign
    forty: Campaign
    forty_submit: Campaign
    shipped: dict[str, Campaign]
    resumed: Campaign  # each invitation with a draft: two steps answered


async def _with_drafts(campaign: Campaign) -> Campaign:
    """A saved draft per invitation (the first two steps answered), as a respondent who comes
    back finds it: the page is filled in per request."""
    from questionnaires.answers import relevant_answers
    from questionnaires.flow import visible_sections
    from survey_app.db.queries.submissions import find_link_state, save_draft

    questionnaire = campaign.questionnaire
    for index, token in enumerate(campaign.tokens):
        answers = relevant_answers(questionnaire, simulate_answers(questionnaire,
                                                                   random.Random(index)))
        steps = visible_sections(questionnaire, answers)
        answered = {q.name: answers[q.name] for s in steps[:2]
                    for q in questionnaire.section(s).questions if q.name in answers}
        found = await find_link_state(token)
        assert found is not None
        await save_draft(found[0].invitation_id, answered, steps[2])  # type: ignore[arg-type]
    return campaign


def environment(database_url: str, data_dir: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update({"SURVEY_DATABASE_URL": database_url, "SURVEY_DATA_DIR": str(data_dir),
                "SURVEY_SECRET_KEY": secrets.token_urlsafe(48), "SURVEY_LOG_LEVEL": "WARNING",
                "SURVEY_IN_PROCESS_WORKER": "false"})
    return env


async def _campaign(version_id: int, questionnaire: Questionnaire, count: int) -> Campaign:
    from survey_app.db.tables import Campaign as CampaignTable
    from survey_app.db.tables import Invitation

    open_token = secrets.token_urlsafe(24)
    rows = await CampaignTable.insert(CampaignTable(
        code=f"B-{secrets.token_hex(3)}", name="2026年第三季度营商环境调查", version=version_id,
        audience="enterprise", period="2026-Q3", status="open", open_link_token=open_token,
    )).returning(CampaignTable.id)
    tokens = [secrets.token_urlsafe(24) for _ in range(count)]
    for start in range(0, count, 500):
        await Invitation.insert(*[
            Invitation(campaign=rows[0]["id"], token=t, stratum="制造业|规上", design_weight=4.0)
            for t in tokens[start:start + 500]
        ])
    return Campaign(rows[0]["id"], questionnaire, tokens, open_token)


def prepare(env: dict[str, str], get_tokens: int, submit_tokens: int) -> Prepared:
    """Migrate, publish the questionnaires and open the campaigns, in this process."""
    from survey_app.config import load_settings
    from survey_app.db.connection import install_engine, migrate_forwards
    from survey_app.db.engine import build_engine, start_engine, stop_engine
    from survey_app.services.questionnaires import (
        create_questionnaire,
        install_shipped,
        publish,
        questionnaire_for_version,
    )

    async def work() -> Prepared:
        engine = build_engine(load_settings(env))
        install_engine(engine)
        await start_engine(engine)
        try:
            with contextlib.redirect_stdout(sys.stderr):  # piccolo prints migration progress
                await migrate_forwards()
            shipped: dict[str, Campaign] = {}
            versions = await install_shipped()
            for code, version_id in versions.items():
                _, questionnaire = await questionnaire_for_version(version_id)
                shipped[code] = await _campaign(version_id, questionnaire, 4)
            forty = parse_definition(yaml.safe_dump(forty_question_definition(), allow_unicode=True),
                                     "yaml")
            forty_version = await create_questionnaire(forty, "enterprise", None)
            await publish(forty_version, None)
            enterprise = shipped["enterprise-business-environment"]
            return Prepared(
                enterprise=await _campaign(versions["enterprise-business-environment"],
                                           enterprise.questionnaire, get_tokens),
                forty=await _campaign(forty_version, forty, get_tokens),
                forty_submit=await _campaign(forty_version, forty, submit_tokens),
                shipped=shipped,
                resumed=await _with_drafts(await _campaign(
                    versions["enterprise-business-environment"], enterprise.questionnaire,
                    min(get_tokens, 500))),
            )
        finally:
            await stop_engine(engine)

    return asyncio.run(work())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


APP = ["survey_app.app:create_app_from_env", "--factory"]
CEILING_APP = ["bench._ceiling_app:app"]


@contextlib.contextmanager
def serve(env: dict[str, str], log: Path, app: list[str] = APP,
          workers: int = 1) -> Iterator[tuple[str, int]]:
    """uvicorn (1 worker unless told) on a free loopback port; yields (base URL, server pid).
    With 2+ workers the pid is uvicorn's supervisor: `cpu_seconds` adds up its children."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *app,
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
             "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"服务器未能启动：\n{log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


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


def with_cpu(result: LoadResult, spent: list[float]) -> LoadResult:
    return dataclasses.replace(result, cpu_ms=1000 * spent[0] / max(result.requests, 1))


def _milliseconds(text: str) -> float:
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
    p50 = _milliseconds(re.search(r" 50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r" 99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
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


def combined(results: list[LoadResult]) -> LoadResult:
    """Rounds of one load as one result: counts and CPU added up, the median p50 and the worst
    p99 of the rounds."""
    requests = sum(r.requests for r in results)
    cpu = sum(r.cpu_ms * r.requests for r in results) / max(requests, 1)
    return LoadResult(requests, sum(r.seconds for r in results),
                      statistics.median(r.p50_ms for r in results),
                      max(r.p99_ms for r in results), sum(r.errors for r in results),
                      results[0].tool, cpu)


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


# --- 3. submissions ----------------------------------------------------------------------------------


def _opinion_writer(rng: random.Random) -> Callable[[str], str | None]:
    return lambda unit: rng.choice(OPINIONS)


def final_post_bodies(campaign: Campaign, csrf: str) -> list[tuple[str, str]]:
    """(path, urlencoded body) of one complete final POST per invitation."""
    from urllib.parse import urlencode

    questionnaire = campaign.questionnaire
    section = questionnaire.sections[0].id
    started = str(int(time.time()) - 300)
    bodies = []
    for index, token in enumerate(campaign.tokens):
        rng = random.Random(index)
        answers = simulate_answers(questionnaire, rng, opinion_for=_opinion_writer(rng))
        fields = [("_csrf_token", csrf), ("_section", section), ("_action", "submit"),
                  ("_submission_id", secrets.token_urlsafe(18)), ("_started", started)]
        bodies.append((f"/s/{token}", urlencode(fields + form_fields(questionnaire, answers, section))))
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
    p50 = _milliseconds(re.search(r" 50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r" 99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
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


def submissions(url: str, pid: int, campaign: Campaign, clients: int, seconds: int,
                database_url: str, tool: str, workdir: Path) -> tuple[LoadResult, int, int]:
    with httpx.Client(base_url=url) as probe:
        page = probe.get(f"/s/{campaign.tokens[0]}")
        csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        cookie = probe.cookies["csrftoken"]
    bodies = final_post_bodies(campaign, csrf)
    headers = {"content-type": "application/x-www-form-urlencoded",
               "cookie": f"csrftoken={cookie}"}
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
    from submit_load import fresh_database

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
