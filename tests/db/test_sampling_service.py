"""Campaign sampling through the services: allocation, reproducible draw, exclusion of recent
samples, replacement in the same stratum, response rates. Helpers here are shared with the web
tests of campaigns, distribution and paper entry."""

from __future__ import annotations

from fractions import Fraction

import pytest

from questionnaires.sampling import selection_rank
from survey_app.db.queries import audit
from survey_app.db.queries import roster as roster_queries
from survey_app.db.tables import Campaign, Invitation, Respondent
from survey_app.demo.sampling_demo import DEMO_CAMPAIGN_NAME, seed_open_campaign
from survey_app.services import campaign_draws, campaign_monitoring, campaign_plans, campaigns
from survey_app.services.questionnaires import create_questionnaire, parse_text, publish
from survey_app.services.roster import SYSTEM

# Frame: (industry, size class) -> N_h. 80 firms; a 25 % proportional sample has hand-computed
# quotas (see test_allocation_preview_matches_hand_computation).
STRATA = {("制造业", "规上"): 41, ("制造业", "规下"): 19, ("批发业", "规下"): 13,
          ("信息技术", "规上"): 7}

QUESTIONNAIRE_YAML = """
id: test-enterprise
title: 测试企业问卷
sections:
  - id: s1
    title: 一、总体评价
    questions:
      - name: q_u01
        type: rating
        label: 您对区发展和改革局的服务是否满意？
        required: true
        unit: U01
        dimension: 综合评价
        allow_unknown: true
      - name: depts
        type: matrix_rating
        label: 请评价以下单位
        allow_unknown: true
        dimension: 综合评价
        rows:
          - {id: U02, label: 区市场监督管理局, unit: U02}
      - name: opinion
        type: textarea
        label: 您有什么意见和建议？
        opinion: true
"""


async def load_roster(strata: dict[tuple[str, str], int] = STRATA) -> list[str]:
    """Enterprises E0001… with industry, size class, park and a contact; returns the keys."""
    rows = []
    serial = 0
    for (industry, size), count in strata.items():
        for _ in range(count):
            serial += 1
            rows.append(roster_queries.RosterRow(
                key=f"E{serial:04d}",
                fields={"name": f"测试企业{serial:04d}有限公司", "industry": industry,
                        "size_class": size, "park": "高新区" if serial % 2 else "城关街道"},
                contact={"contact_name": f"联系人{serial}", "phone": f"1380000{serial:04d}"},
            ))
    await roster_queries.upsert_roster("enterprise", rows, ["name", "industry", "size_class",
                                                          "park"], ["contact_name", "phone"])
    return [r.key for r in rows]


async def published_version() -> int:
    version_id = await create_questionnaire(parse_text(QUESTIONNAIRE_YAML), "enterprise", None)
    await publish(version_id, None)
    return version_id


async def new_campaign(version_id: int, code: str = "2026Q3-ENT") -> int:
    return await campaigns.create_campaign(
        # Names are unique within a period: a second campaign carries its code in its name.
        code=code, name="2026年第三季度企业营商环境满意度调查"
        + ("" if code == "2026Q3-ENT" else f"（{code}）"), version_id=version_id,
        audience="enterprise", period="2026-Q3", opens_on="", closes_on="", actor=SYSTEM,
    )


def plan(seed: int = 20260701, **changes: object) -> campaign_plans.PlanRequest:
    values: dict[str, object] = {"kind": "enterprise", "seed": seed,
                                 "strata_keys": ("industry", "size_class"), "rate": 0.25}
    values.update(changes)
    return campaign_plans.PlanRequest(**values)  # type: ignore[arg-type]


async def drawn_campaign(code: str = "2026Q3-ENT", seed: int = 20260701,
                         status: str = "open") -> int:
    """Roster (if empty) + published version + campaign drawn with the 25 % plan, opened."""
    if not await Respondent.count():
        await load_roster()
    campaign_id = await new_campaign(await published_version(), code)
    await campaign_draws.draw_campaign_sample(campaign_id, plan(seed), SYSTEM)
    if status == "open":
        await campaigns.open_campaign(campaign_id, SYSTEM)
    return campaign_id


async def sampled_keys(campaign_id: int) -> dict[str, str]:
    """respondent key -> stratum label of a campaign's invitations."""
    rows = await Invitation.select(
        Invitation.respondent.key.as_alias("key"), Invitation.stratum
    ).where(Invitation.campaign == campaign_id)
    return {r["key"]: r["stratum"] for r in rows}


# Largest remainder by hand: targets 41/4 = 10.25, 19/4 = 4.75, 13/4 = 3.25, 7/4 = 1.75 sum to
# 20; floors give 18 and the two .75 remainders get the missing units. Strata in code-point order.
EXPECTED_QUOTAS = {"信息技术 / 规上": (7, 2), "制造业 / 规上": (41, 10),
                   "制造业 / 规下": (19, 5), "批发业 / 规下": (13, 3)}


async def test_allocation_preview_matches_hand_computation(db) -> None:
    await load_roster()
    campaign = await campaigns.require_campaign(await new_campaign(await published_version()))
    preview = await campaign_draws.preview_draw(campaign, plan())
    assert {a.label: (a.frame_size, a.quota) for a in preview.allocations} == EXPECTED_QUOTAS
    assert [a.label for a in preview.allocations] == list(EXPECTED_QUOTAS)
    assert (preview.frame_size, preview.sample_size) == (80, 20)
    assert await Invitation.count() == 0  # a preview draws nothing


async def test_draw_creates_invitations_with_tokens_weights_and_records_the_plan(db) -> None:
    campaign_id = await drawn_campaign(status="draft")
    rows = await Invitation.select().where(Invitation.campaign == campaign_id)
    assert len(rows) == 20
    assert len({r["token"] for r in rows}) == 20
    assert all(len(r["token"]) == 32 for r in rows)  # token_urlsafe(24): 192 bits
    for label, (frame, quota) in EXPECTED_QUOTAS.items():
        weights = [r["design_weight"] for r in rows if r["stratum"] == label]
        assert len(weights) == quota
        assert all(w == pytest.approx(float(Fraction(frame, quota))) for w in weights)
    assert {r["status"] for r in rows} == {"pending"}
    campaign = await campaigns.require_campaign(campaign_id)
    assert campaign.seed == 20260701 and len(campaign.roster_hash) == 64
    assert campaign.sampling_plan["frame_size"] == 80
    assert campaign_draws.recorded_plan(campaign) == plan()
    events = await audit.recent_events(action="campaign.draw")
    assert events[0].detail["seed"] == 20260701 and events[0].detail["sample_size"] == 20


async def test_same_seed_draws_the_same_respondents_with_new_tokens(db) -> None:
    first = await drawn_campaign("A-1", seed=77)
    second = await drawn_campaign("A-2", seed=77)
    other = await drawn_campaign("A-3", seed=78)
    assert await sampled_keys(first) == await sampled_keys(second)
    assert await sampled_keys(first) != await sampled_keys(other)
    tokens = await Invitation.select(Invitation.token).where(Invitation.campaign.is_in([first, second]))
    assert len({t["token"] for t in tokens}) == 40


async def test_second_draw_is_refused(db) -> None:
    campaign_id = await drawn_campaign(status="draft")
    with pytest.raises(campaigns.CampaignError, match="已经抽样"):
        await campaign_draws.draw_campaign_sample(campaign_id, plan(), SYSTEM)
    assert await Invitation.count() == 20


async def test_recent_respondents_are_excluded(db) -> None:
    first = await drawn_campaign("B-1")
    version_id = await published_version()
    second = await new_campaign(version_id, "B-2")
    await campaign_draws.draw_campaign_sample(second, plan(seed=5, exclude_recent=1), SYSTEM)
    assert not set(await sampled_keys(first)) & set(await sampled_keys(second))
    campaign = await campaigns.require_campaign(second)
    allocations = {a.label: a for a in campaign_draws.recorded_allocations(campaign)}
    # Eligible frame per stratum = N_h minus the units drawn in B-1.
    assert {k: a.frame_size + a.excluded for k, a in allocations.items()} == {
        k: n for k, (n, _) in EXPECTED_QUOTAS.items()}
    assert sum(a.excluded for a in allocations.values()) == 20
    assert campaign.sampling_plan["excluded_campaigns"] == [first]


async def test_replacement_comes_from_the_same_stratum_in_ranked_order(db) -> None:
    campaign_id = await drawn_campaign()
    drawn = await sampled_keys(campaign_id)
    old = await Invitation.select(Invitation.id, Invitation.stratum,
                                  Invitation.respondent.key.as_alias("key")).where(
        (Invitation.campaign == campaign_id) & (Invitation.stratum == "制造业 / 规下")
    ).first()
    replacement = await campaign_draws.replace_invitation(campaign_id, old["id"], "closed", SYSTEM)

    # Independently: the stratum's frame ranked by HMAC(seed, [stratum, key]); the first key not
    # drawn yet is the replacement.
    members = await Respondent.select(Respondent.key).where(
        (Respondent.industry == "制造业") & (Respondent.size_class == "规下"))
    ranked = sorted((m["key"] for m in members),
                    key=lambda k: (selection_rank(20260701, ("制造业", "规下"), k), k))
    expected = next(k for k in ranked if k not in drawn)
    assert replacement.respondent_key == expected
    assert replacement.stratum == "制造业 / 规下"
    assert replacement.design_weight == pytest.approx(19 / 5)
    retired = await Invitation.select().where(Invitation.id == old["id"]).first()
    assert retired["status"] == "replaced" and retired["replaced_by"] == replacement.id
    assert retired["replacement_reason"] == "closed"
    firm = await Respondent.select(Respondent.status).where(Respondent.key == old["key"]).first()
    assert firm["status"] == "closed"
    event = (await audit.recent_events(action="campaign.replace"))[0]
    assert event.detail == {"invitation": old["id"], "replacement": replacement.id,
                            "reason": "closed", "stratum": "制造业 / 规下"}
    # A second replacement in the stratum takes the next unit, not the same one again.
    again = await campaign_draws.replace_invitation(campaign_id, replacement.id, "unreachable", SYSTEM)
    assert again.respondent_key == next(k for k in ranked if k not in drawn and k != expected)


async def test_only_awaiting_invitations_can_be_replaced(db) -> None:
    campaign_id = await drawn_campaign()
    invitation = await Invitation.select(Invitation.id).where(
        Invitation.campaign == campaign_id).first()
    await Invitation.update({Invitation.status: "responded"}).where(
        Invitation.id == invitation["id"])
    with pytest.raises(campaigns.CampaignError, match="尚未回复"):
        await campaign_draws.replace_invitation(campaign_id, invitation["id"], "closed", SYSTEM)
    with pytest.raises(campaigns.CampaignError, match="替补原因"):
        await campaign_draws.replace_invitation(campaign_id, invitation["id"], "bored", SYSTEM)


async def test_response_rates_count_replacements_by_reason(db) -> None:
    campaign_id = await drawn_campaign()
    rows = await Invitation.select(Invitation.id, Invitation.stratum).where(
        Invitation.campaign == campaign_id).order_by(Invitation.id)
    big = [r["id"] for r in rows if r["stratum"] == "制造业 / 规上"]
    small = [r["id"] for r in rows if r["stratum"] == "信息技术 / 规上"]
    await Invitation.update({Invitation.status: "responded"}).where(
        Invitation.id.is_in(big[:4] + small[:1]))
    await campaign_draws.replace_invitation(campaign_id, big[4], "closed", SYSTEM)  # not eligible
    await campaign_draws.replace_invitation(campaign_id, big[5], "unreachable", SYSTEM)  # non-contact
    monitor = await campaign_monitoring.monitor(await campaigns.require_campaign(campaign_id))
    # 22 invitations: 5 responded, 1 closed (out of the denominator), 1 unreachable, 15 pending.
    assert monitor.overall.rr1 == pytest.approx(5 / 21)
    strata = {s.label: s for s in monitor.strata}
    # 制造业/规上: 10 drawn + 2 replacements; 4 responded, 1 closed out: 4 / 11.
    assert strata["制造业 / 规上"].rr1 == pytest.approx(4 / 11)
    assert (strata["制造业 / 规上"].invited, strata["制造业 / 规上"].replaced) == (10, 2)
    assert strata["信息技术 / 规上"].rr1 == pytest.approx(1 / 2)
    assert strata["批发业 / 规下"].rr1 == 0
    assert (monitor.invited, monitor.responded, monitor.awaiting) == (20, 5, 15)
    assert [u.code for u in monitor.units] == ["U01", "U02"]


async def test_open_needs_a_draw_and_close_needs_open(db) -> None:
    await load_roster()
    campaign_id = await new_campaign(await published_version())
    with pytest.raises(campaigns.CampaignError, match="先完成抽样"):
        await campaigns.open_campaign(campaign_id, SYSTEM)
    with pytest.raises(campaigns.CampaignError, match="进行中"):
        await campaigns.close_campaign(campaign_id, SYSTEM)


async def test_plan_form_is_parsed_and_checked(db) -> None:
    form = {"strata": ["industry", "size_class", "bogus"], "size_mode": ["rate"],
            "rate_percent": ["12.5"], "allocation": ["proportional"], "min_per_stratum": ["2"],
            "exclude_recent": ["1"], "seed": ["42"], "filter_industry": ["制造业", ""]}
    parsed = campaign_plans.parse_plan_form(form, "enterprise")
    assert parsed.strata_keys == ("industry", "size_class") and parsed.rate == 0.125
    assert parsed.population_filter == {"industry": ("制造业",)}
    with pytest.raises(campaigns.CampaignError, match="抽样比例"):
        campaign_plans.parse_plan_form({**form, "rate_percent": ["0"]}, "enterprise")
    with pytest.raises(campaigns.CampaignError, match="随机种子"):
        campaign_plans.parse_plan_form({**form, "seed": ["abc"]}, "enterprise")
    with pytest.raises(campaigns.CampaignError, match="标准差"):
        campaign_plans.parse_plan_form({**form, "allocation": ["neyman"]}, "enterprise")
    neyman = campaign_plans.parse_plan_form(
        {**form, "allocation": ["neyman"], "stddevs": ["制造业,规上=12.5\n批发业，规下＝3"]},
        "enterprise")
    assert neyman.stddevs == ((("制造业", "规上"), 12.5), (("批发业", "规下"), 3.0))


async def test_population_filter_limits_the_frame(db) -> None:
    await load_roster()
    campaign = await campaigns.require_campaign(await new_campaign(await published_version()))
    preview = await campaign_draws.preview_draw(
        campaign, plan(population_filter={"industry": ("制造业",)}))
    assert preview.frame_size == 60
    assert {a.label for a in preview.allocations} == {"制造业 / 规上", "制造业 / 规下"}


async def test_demo_seeds_an_open_quarter_four_campaign(db) -> None:
    await load_roster()
    campaign_id = await seed_open_campaign(await published_version())
    campaign = await campaigns.require_campaign(campaign_id)
    assert (campaign.name, campaign.period, campaign.status) == (DEMO_CAMPAIGN_NAME, "2026-Q4",
                                                                 "open")
    assert await Invitation.count().where(Invitation.campaign == campaign_id) == 20
    assert await Campaign.count() == 1
