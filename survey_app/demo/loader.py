"""Loads the demo district (江城区) into an empty database; does nothing if data exists.

Everything goes through the same services as real use: questionnaires are published, samples
are drawn with questionnaires.sampling, and every response is submitted through the submission
service, so the demo exercises the real write path.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from analysis.tabular import write_csv
from survey_app.config import Settings
from survey_app.db.queries import demo as queries
from survey_app.db.queries import units as unit_queries
from survey_app.db.queries import users
from survey_app.db.queries.invitations import awaiting_tokens
from survey_app.db.queries.themes import OpinionFilter
from survey_app.db.tables import Unit
from survey_app.demo.answers import simulate_answers
from survey_app.demo.content import (
    DemoOpinion,
    demo_enterprises,
    demo_opinions,
    demo_residents,
    demo_satisfaction_profile,
    demo_units,
)
from survey_app.demo.sampling_demo import seed_open_campaign
from survey_app.services import (
    appraisal,
    appraisal_inputs,
    appraisal_publication,
    appraisal_runs,
    campaign_draws,
    campaign_plans,
    campaigns,
    score_runs,
    scores,
    submissions,
    themes,
)
from survey_app.services.auth import CurrentUser, create_account
from survey_app.services.questionnaires import install_shipped, questionnaire_for_version
from survey_app.services.roster import SYSTEM

# Demo only: printed by `survey-app demo`; a real deployment creates its own accounts.
DEMO_ACCOUNTS = [
    ("admin", "Jc-2026-Guanli!", "系统管理员"),
    ("analyst", "Jc-2026-Fenxi!", "分析员"),
    ("office", "Jc-2026-Jixiao!", "绩效办"),
    ("unit07", "Jc-2026-Shenpi!", "行政审批局"),
    ("entry", "Jc-2026-Luru!!", "数据录入员"),
]
_ROLES = {"admin": "admin", "analyst": "analyst", "office": "office", "unit07": "unit_viewer",
          "entry": "data_entry"}
_UNIT_NAMES = {u.code: u.name for u in demo_units()}
_NAME_TO_CODE = {u.name: u.code for u in demo_units()}

Progress = Callable[[str], object]


async def load_demo(
    settings: Settings,
    *,
    seed: int = 2026,
    enterprises: int = 2000,
    residents: int = 3000,
    progress: Progress = print,
) -> bool:
    """The recorded data in one transaction (an interrupted load leaves the database empty),
    then what is derived from it (scores, grades, themes), which the app can recompute."""
    if not await queries.database_is_empty():
        return False
    async with Unit._meta.db.transaction():
        rng = await _load(seed, enterprises, residents, progress)
    await _derive(seed, rng, progress)
    return True


async def _load(
    seed: int, enterprise_count: int, resident_count: int, progress: Progress
) -> random.Random:
    for order, unit in enumerate(demo_units()):
        await unit_queries.upsert_unit(unit.code, unit.name, unit.category, order)
    for username, password, label in DEMO_ACCOUNTS:
        await create_account(username, password, _ROLES[username], display_name=label,
                             unit_code="U07" if username == "unit07" else None,
                             must_change_password=False)
    progress("已创建 25 个被考评单位和 5 个演示账号")

    enterprises = demo_enterprises(seed, enterprise_count)
    residents = demo_residents(seed, resident_count)
    await queries.insert_respondents(
        [{"kind": "enterprise", "key": e.uscc, "name": e.name, "industry": e.industry,
          "size_class": e.size_class, "park": e.park_or_street, "contact_name": e.contact_name,
          "phone": e.contact_phone} for e in enterprises]
    )
    await queries.insert_respondents(
        [{"kind": "resident", "key": f"R{n:06d}", "street": r.street, "community": r.community,
          "age_band": r.age_band, "phone": r.phone} for n, r in enumerate(residents, 1)]
    )
    progress(f"已导入样本框：企业 {len(enterprises)} 家，居民 {len(residents)} 人")

    versions = await install_shipped()
    progress(f"已发布 {len(versions)} 份问卷")

    rng = random.Random(seed)
    profiles = demo_satisfaction_profile(seed)
    opinions = demo_opinions(seed, 3000)
    done = await _closed_campaign(
        "2026Q3-ENT", "2026年第三季度企业营商环境满意度调查", versions["enterprise-business-environment"],
        "enterprise", ("industry", "size_class"), 0.25, rng, profiles, opinions,
        response_rate=0.7, seed=seed,
    )
    progress(f"企业调查（已结束）：回收 {done} 份答卷")
    done = await _closed_campaign(
        "2026Q3-RES", "2026年第三季度社会满意度调查", versions["resident-social-satisfaction"],
        "resident", ("street",), 0.1, rng, profiles, opinions, response_rate=0.65, seed=seed + 1,
    )
    progress(f"居民调查（已结束）：回收 {done} 份答卷")
    await seed_open_campaign(versions["enterprise-business-environment"], seed=seed + 2)
    progress("企业调查 2026-Q4（进行中）：已按行业×规模分层抽取 25% 样本，邀请待回复")
    return rng


async def _derive(seed: int, rng: random.Random, progress: Progress) -> None:
    admin = await _demo_admin()
    for audience in ("enterprise", "resident"):
        await score_runs.compute_scores(
            scores.ScoreOptions(period="2026-Q3", audience=audience), actor_id=admin.id,
            actor_name=admin.username,
        )
    scheme_id, _ = await appraisal.save_scheme(
        appraisal.example_yaml(), "演示方案", actor_id=admin.id, actor_name=admin.username, ip=""
    )
    actor: dict[str, Any] = {"actor_id": admin.id, "actor_name": admin.username, "ip": ""}
    upload_id = await appraisal_inputs.stage_upload(
        scheme_id, _demo_indicators(rng), "演示指标数据.csv", **actor
    )
    await appraisal_inputs.apply_upload(upload_id, **actor)
    request = appraisal_runs.RunRequest(
        scheme_id, ("Q3",), include_low=("Q3",), low_reason="演示数据：样本较小时仍计入，便于演示"
    )  # the reason is recorded only when the demo's samples fall below the scheme's thresholds
    draft = await appraisal_runs.compute_draft(request, **actor)
    await appraisal_publication.publish(draft.run_id, "", **actor)
    progress("已计算 2026-Q3 各单位满意度指数，并按示例考核方案（3:6:1）评定等次")

    result = await themes.run_discovery({"campaign_ids": [], "seed": seed})
    await themes.confirm_run(admin, "", result["run"])  # a run applies once reviewed
    await _hand_over_demo_theme(admin)
    progress(f"意见主题分析：{result['opinions']} 条意见归为 {result['themes']} 个主题")


def _demo_indicators(rng: random.Random) -> bytes:
    """The non-survey indicators a district keeps elsewhere (key work, 12345 work orders)."""
    header = ["单位", "期间", "重点工作", "单位评", "工单办结率", "工单响应时长", "加分", "上级表彰", "扣分",
              "差评扣分", "一票否决"]
    rows = [
        [unit.code, "Q3", round(rng.uniform(80, 98), 1),
         round(rng.uniform(80, 96), 1) if unit.category == "职能部门" else None,
         round(rng.uniform(86, 100), 1) if unit.category == "职能部门" else None,
         round(rng.uniform(2, 30), 1) if unit.category != "职能部门" else None,
         rng.choice([0, 0, 0, 1, 2]), 0, rng.choice([0, 0, 0, 0, 1, 3]), 0, "否"]
        for unit in demo_units()
    ]
    return write_csv(rows, header)


async def _demo_admin() -> CurrentUser:
    admin = await users.find_user_by_username("admin")
    assert admin is not None
    return CurrentUser(admin.id, admin.username, admin.display_name, admin.role, None, None,
                       False, session_id=0)


async def _hand_over_demo_theme(admin: CurrentUser) -> None:
    """Hand the largest theme about the approval bureau (U07) to it, so unit07 sees one."""
    unit = await users.unit_id_by_code("U07")
    assert unit is not None
    overview = await themes.overview(OpinionFilter(unit_code="U07"), 1)
    if overview.lines:
        await themes.hand_over(admin, "", overview.lines[0].theme.id, unit,
                               themes.default_deadline(), "请核实企业反映的问题，按期报送整改措施。")


async def _closed_campaign(
    code: str, name: str, version_id: int, audience: str, strata: tuple[str, ...], rate: float,
    rng: random.Random, profiles: dict[str, tuple[float, ...]], opinions: list[DemoOpinion], *,
    response_rate: float, seed: int,
) -> int:
    """A campaign drawn through the campaign service, answered by simulated respondents."""
    campaign_id = await campaigns.create_campaign(
        code=code, name=name, version_id=version_id, audience=audience, period="2026-Q3",
        opens_on="", closes_on="", actor=SYSTEM,
    )
    plan = campaign_plans.PlanRequest(kind=audience, seed=seed, strata_keys=strata, rate=rate)
    await campaign_draws.draw_campaign_sample(campaign_id, plan, SYSTEM)
    await campaigns.open_campaign(campaign_id, SYSTEM)
    _, questionnaire = await questionnaire_for_version(version_id)
    pool = defaultdict(list)
    for opinion in opinions:
        if opinion.audience == audience:
            pool[opinion.unit_code or ""].append(opinion.text)

    def opinion_for(unit: str) -> str | None:
        candidates = pool.get(unit) or pool.get("")
        return rng.choice(candidates) if candidates and rng.random() < 0.4 else None

    stored = 0
    for _, token in await awaiting_tokens([campaign_id], ["pending"]):
        if rng.random() > response_rate:
            continue
        answers = simulate_answers(questionnaire, rng, profiles, opinion_for)
        channel = "paper" if rng.random() < 0.1 else "online"
        await submissions.submit_invitation_response(
            token, secrets.token_urlsafe(18), answers, channel=channel
        )
        stored += 1
    await campaigns.close_campaign(campaign_id, SYSTEM)
    return stored
