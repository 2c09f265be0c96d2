"""Seeding shared by the theme tests: 60 short opinions on three clearly different topics
(parking, approvals, tax refunds), each about its own unit, over two survey periods."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.db.tables import (
    Campaign,
    Opinion,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Unit,
)
from survey_app.services.auth import CurrentUser

PARKING = [
    "小区周边停车位太少，晚上回家找不到车位",
    "园区停车难，车位严重不足",
    "停车收费太贵，希望降低停车费",
    "医院门口停车难，经常排队半小时",
    "建议多建公共停车场，缓解停车难",
    "路边停车位被占用，停车很不方便",
    "商业街停车位不够，乱停车现象严重",
    "企业门口不让停车，员工停车困难",
    "停车场收费标准不透明，停车费乱收",
    "老旧小区没有停车位，车只能停路边",
    "希望增加园区停车位，解决职工停车问题",
    "停车难问题一直没解决，车位太紧张",
    "地下停车场太暗，停车位划线不清",
    "学校周边接送孩子停车难，交通拥堵",
    "停车位数量不足，建议建立体停车库",
    "夜间停车被贴罚单，停车位规划不合理",
    "充电桩车位被燃油车占用，停车管理混乱",
    "菜市场附近停车难，停车位很少",
    "共享停车位信息不公开，找车位太难",
    "停车费一小时十元，停车太贵了",
]
APPROVAL = [
    "审批流程太繁琐，跑了好几趟窗口",
    "办理营业执照审批时间太长",
    "行政审批环节多，跑了很多趟窗口",
    "项目审批手续复杂，审批时限太长",
    "希望简化审批流程，减少跑窗口",
    "施工许可审批慢，影响项目开工",
    "审批窗口办事效率低，排队时间长",
    "网上审批系统经常卡，审批提交失败",
    "审批标准不统一，不同窗口说法不一样",
    "环评审批周期长，项目等不起",
    "审批要求反复变化，窗口退回好几次",
    "建议推行一窗受理，压缩审批时间",
    "消防审批太慢，开业时间一再推迟",
    "审批部门之间互相推诿，审批办不下来",
    "规划审批清单不清楚，来回跑窗口",
    "审批进度没有公开，审批办到哪一步不清楚",
    "企业投资项目审批环节太多",
    "审批窗口人员态度一般，解释不清",
    "食品经营许可审批时间太长",
    "并联审批没有落实，还是一个一个窗口跑",
]
TAX = [
    "出口退税到账太慢，企业资金压力大",
    "增值税留抵退税到账时间长",
    "退税申报太复杂，退税款迟迟不到",
    "退税款迟迟不到账，影响企业周转",
    "希望加快出口退税到账进度",
    "留抵退税政策宣传不够，不清楚怎么申请退税",
    "电子税务局退税申请经常出错",
    "退税申请被退回，退税款一直不到账",
    "个税退税一直显示不到账",
    "退税进度不透明，查询不到退税状态",
    "出口退税函调时间太长，退税款到账慢",
    "税务部门退税效率有待提高",
    "退税申报系统不好用，退税申请难",
    "小微企业留抵退税政策落实不到位",
    "增值税退税到账周期太长",
    "退税资料重复报送，退税太慢",
    "退税到账时间比承诺的晚很多",
    "希望税务局加快退税到账",
    "留抵退税额度核定不清楚",
    "退税要跑好几次税务局",
]
TOPICS = {"parking": PARKING, "approval": APPROVAL, "tax": TAX}
UNIT_OF_TOPIC = {"parking": "U01", "approval": "U02", "tax": "U03"}
UNITS = [("U01", "区交通运输局"), ("U02", "区行政审批局"), ("U03", "区税务局")]
# How many of each topic's opinions belong to the earlier period (the rest to the later one).
EARLIER = {"parking": 5, "approval": 10, "tax": 5}


@dataclass(frozen=True)
class Seeded:
    earlier_campaign: int
    later_campaign: int
    ids: dict[str, list[int]]  # topic -> opinion ids, in the order of the topic's list

    def topic_of(self, opinion_id: int) -> str:
        return next(topic for topic, ids in self.ids.items() if opinion_id in ids)


async def seed_units() -> dict[str, int]:
    for order, (code, name) in enumerate(UNITS):
        if not await Unit.exists().where(Unit.code == code):
            await Unit.insert(Unit(code=code, name=name, category="职能部门", sort_order=order))
    rows = await Unit.select(Unit.id, Unit.code)
    return {row["code"]: row["id"] for row in rows}


async def seed_campaign(code: str, period: str, status: str) -> tuple[int, int]:
    """A questionnaire version and a campaign using it: (campaign id, version id)."""
    questionnaire = await Questionnaire.insert(
        Questionnaire(code=f"q-{code}", title="营商环境满意度调查", audience="enterprise")
    ).returning(Questionnaire.id)
    version = await QuestionnaireVersion.insert(
        QuestionnaireVersion(questionnaire=questionnaire[0]["id"], version_no=1,
                             status="published", definition={}, definition_hash="0" * 64)
    ).returning(QuestionnaireVersion.id)
    campaign = await Campaign.insert(
        Campaign(code=code, name=f"{period} 企业满意度调查", version=version[0]["id"],
                 audience="enterprise", period=period, status=status)
    ).returning(Campaign.id)
    return campaign[0]["id"], version[0]["id"]


async def add_opinion(
    campaign: tuple[int, int], text: str, *, unit_code: str = "", question: str = "q_advice",
    channel: str = "online",
) -> int:
    campaign_id, version_id = campaign
    count = await Response.count()
    response = await Response.insert(
        Response(campaign=campaign_id, version=version_id, submission_id=f"sub-{count + 1}",
                 payload_hash="0" * 64, channel=channel)
    ).returning(Response.id)
    opinion = await Opinion.insert(
        Opinion(response=response[0]["id"], campaign=campaign_id, question=question,
                unit_code=unit_code, channel=channel, text=text)
    ).returning(Opinion.id)
    return int(opinion[0]["id"])


async def seed_corpus() -> Seeded:
    await seed_units()
    earlier = await seed_campaign("c-2026q2", "2026-Q2", "closed")
    later = await seed_campaign("c-2026q3", "2026-Q3", "open")
    ids: dict[str, list[int]] = {}
    for topic, texts in TOPICS.items():
        ids[topic] = []
        for position, text in enumerate(texts):
            ids[topic].append(await add_opinion(
                earlier if position < EARLIER[topic] else later, text,
                unit_code=UNIT_OF_TOPIC[topic],
                question="q_advice" if position % 2 else "q_unit",
                channel="paper" if position % 4 == 0 else "online",
            ))
    return Seeded(earlier[0], later[0], ids)


def staff(user_id: int, username: str, role: str, unit_id: int | None = None) -> CurrentUser:
    return CurrentUser(id=user_id, username=username, display_name=username, role=role,
                       unit_id=unit_id, unit_name=None, must_change_password=False,
                       session_id=0)


async def test_seeded_corpus_has_three_topics_over_two_periods(db) -> None:
    seeded = await seed_corpus()
    assert [len(seeded.ids[t]) for t in TOPICS] == [20, 20, 20]
    assert await Opinion.count() == 60
    earlier = await Opinion.count().where(Opinion.campaign == seeded.earlier_campaign)
    assert earlier == sum(EARLIER.values())
    tax_units = await Opinion.select(Opinion.unit_code).where(
        Opinion.id.is_in(seeded.ids["tax"])).distinct()
    assert tax_units == [{"unit_code": "U03"}]
