"""Setup of the respondent-page benches: the 40-question questionnaire, a database with open
campaigns and invitations (some with drafts), and uvicorn serving the app or a ceiling app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from questionnaires.definition import parse_definition
from questionnaires.model import Questionnaire
from survey_app.demo.answers import simulate_answers

ROOT = Path(__file__).resolve().parents[1]

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
        await save_draft(found[0].invitation_id,  # type: ignore[arg-type]
                         json.dumps(answered, ensure_ascii=False), steps[2])
    return campaign


def environment(database_url: str, data_dir: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update({"SURVEY_DATABASE_URL": database_url, "SURVEY_DATA_DIR": str(data_dir),
                "SURVEY_SECRET_KEY": secrets.token_urlsafe(48), "SURVEY_LOG_LEVEL": "WARNING",
                "SURVEY_IN_PROCESS_WORKER": "false"})
    return env


async def open_campaign(version_id: int, questionnaire: Questionnaire, count: int) -> Campaign:
    """An open campaign of a published version with `count` invitation links and an open link."""
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
                shipped[code] = await open_campaign(version_id, questionnaire, 4)
            forty = parse_definition(yaml.safe_dump(forty_question_definition(), allow_unicode=True),
                                     "yaml")
            forty_version = await create_questionnaire(forty, "enterprise", None)
            await publish(forty_version, None)
            enterprise = shipped["enterprise-business-environment"]
            return Prepared(
                enterprise=await open_campaign(versions["enterprise-business-environment"],
                                              enterprise.questionnaire, get_tokens),
                forty=await open_campaign(forty_version, forty, get_tokens),
                forty_submit=await open_campaign(forty_version, forty, submit_tokens),
                shipped=shipped,
                resumed=await _with_drafts(await open_campaign(
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
# The event loop `survey-app serve` runs (cli.serve): asyncio, not uvloop. Saturated, uvloop
# served some connections hundreds of ms late (p99 600 ms where asyncio's was 35 ms, the same
# bare app burning 0.3 ms per request; bench/NOTE_respondent_pages.md).
LOOP = ["--loop", os.environ.get("BENCH_UVICORN_LOOP", "asyncio")]


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
             "--log-level", "warning", "--no-access-log", *LOOP],
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
