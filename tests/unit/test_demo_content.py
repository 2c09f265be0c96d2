"""Demo content: determinism, counts, code validity and the realism the demo relies on."""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable

import pytest

from questionnaires.uscc import is_valid_uscc
from survey_app.demo import content, phrases
from survey_app.demo.content import (
    ABOVE_SCALE,
    BELOW_SCALE,
    ENTERPRISE,
    LEVEL_SCORES,
    RESIDENT,
    SATISFACTION_LEVELS,
    demo_enterprises,
    demo_opinions,
    demo_residents,
    demo_satisfaction_profile,
    demo_units,
)

MOBILE = re.compile(r"1[3-9]\d{9}")
PHONE_IN_TEXT = re.compile(r"1[3-9]\d ?\d{4} ?\d{4}")
ID_IN_TEXT = re.compile(r"\d{17}[\dX]")
STREETS = ("城关街道", "东湖街道", "西山街道", "南岸街道", "北城街道")
PARKS = ("高新技术产业园区", "经济开发区", "临港物流园区")
INDUSTRIES = {
    "制造业",
    "批发和零售业",
    "信息传输软件和信息技术服务业",
    "建筑业",
    "交通运输仓储和邮政业",
    "住宿和餐饮业",
    "租赁和商务服务业",
    "科学研究和技术服务业",
}


@pytest.fixture(scope="module")
def enterprises() -> list[content.DemoEnterprise]:
    return demo_enterprises(11)


@pytest.fixture(scope="module")
def residents() -> list[content.DemoResident]:
    return demo_residents(11)


@pytest.fixture(scope="module")
def opinions() -> list[content.DemoOpinion]:
    return demo_opinions(11, 3000)


def _mean_score(probabilities: tuple[float, ...]) -> float:
    known = 1.0 - probabilities[5]
    return sum(p * s for p, s in zip(probabilities[:5], LEVEL_SCORES, strict=True)) / known


# --- Units ---------------------------------------------------------------------------------------


def test_units_are_the_25_listed_in_order() -> None:
    units = demo_units()
    assert [u.code for u in units] == [f"U{i:02d}" for i in range(1, 26)]
    assert units[6].name == "区行政审批局（政务服务中心）"
    assert units[24].name == "临港物流园区"
    assert Counter(u.category for u in units) == {"职能部门": 17, "街道园区": 8}
    assert [u.name for u in units[17:22]] == list(STREETS)
    assert [u.name for u in units[22:]] == list(PARKS)


# --- Determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "generate",
    [
        lambda seed: demo_enterprises(seed, 50),
        lambda seed: demo_residents(seed, 50),
        lambda seed: demo_opinions(seed, 50),
        demo_satisfaction_profile,
    ],
    ids=["enterprises", "residents", "opinions", "profile"],
)
def test_same_seed_same_output_other_seed_other_output(generate: Callable[[int], object]) -> None:
    assert generate(5) == generate(5)
    assert generate(5) != generate(6)


def test_streams_do_not_depend_on_the_global_random_state() -> None:
    first = demo_opinions(3, 20)
    random.seed(999)
    random.random()
    assert demo_opinions(3, 20) == first


def test_counts_follow_n() -> None:
    assert len(demo_enterprises(1, 17)) == 17
    assert len(demo_residents(1, 23)) == 23
    assert len(demo_opinions(1, 31)) == 31
    assert demo_opinions(1, 0) == []


def test_default_roster_sizes(
    enterprises: list[content.DemoEnterprise], residents: list[content.DemoResident]
) -> None:
    assert len(enterprises) == 2000
    assert len(residents) == 3000


def test_negative_count_is_refused_in_chinese() -> None:
    with pytest.raises(ValueError, match="生成数量不能为负数"):
        demo_residents(1, -1)


# --- Enterprises ---------------------------------------------------------------------------------


def test_credit_codes_are_valid_unique_and_local(enterprises: list[content.DemoEnterprise]) -> None:
    codes = [e.uscc for e in enterprises]
    assert all(is_valid_uscc(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert all(code[:2] == "91" and code[2:8] in {"420103", "420100"} for code in codes)


def test_organization_code_check_matches_published_codes() -> None:
    # Positions 9–17 of two published codes: 9144030071526726XG and 914403001922038216.
    assert content._organization_code_check("71526726") == "X"
    assert content._organization_code_check("19220382") == "1"


def test_credit_codes_embed_a_checked_organization_code(
    enterprises: list[content.DemoEnterprise],
) -> None:
    for e in enterprises[:200]:
        assert e.uscc[16] == content._organization_code_check(e.uscc[8:16])


def test_enterprise_names_are_unique_and_well_formed(
    enterprises: list[content.DemoEnterprise],
) -> None:
    names = [e.name for e in enterprises]
    assert len(set(names)) == len(names)
    assert all(name.endswith("有限公司") for name in names)
    assert all("江城" in name or name.startswith("湖北") for name in names)
    assert any(name.endswith("股份有限公司") for name in names)


def test_enterprise_attributes(enterprises: list[content.DemoEnterprise]) -> None:
    industries = Counter(e.industry for e in enterprises)
    assert set(industries) == INDUSTRIES
    assert industries.most_common(1)[0][0] in {"制造业", "批发和零售业"}
    above = sum(e.size_class == ABOVE_SCALE for e in enterprises) / len(enterprises)
    assert 0.25 <= above <= 0.35
    assert {e.size_class for e in enterprises} == {ABOVE_SCALE, BELOW_SCALE}
    assert {e.park_or_street for e in enterprises} == set(STREETS + PARKS)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", e.contact_name) for e in enterprises)


def test_manufacturing_sits_mostly_in_parks(enterprises: list[content.DemoEnterprise]) -> None:
    makers = [e for e in enterprises if e.industry == "制造业"]
    in_parks = sum(e.park_or_street in PARKS for e in makers) / len(makers)
    assert in_parks > 0.6


def test_enterprise_phones_are_mobile_fake_and_unique(
    enterprises: list[content.DemoEnterprise],
) -> None:
    phones = [e.contact_phone for e in enterprises]
    assert all(MOBILE.fullmatch(phone) for phone in phones)
    assert all(phone[3:7] == "0000" for phone in phones)
    assert len(set(phones)) == len(phones)
    assert len({phone[:3] for phone in phones}) >= 20  # varied prefixes


# --- Residents -----------------------------------------------------------------------------------


def test_residents_live_in_real_communities_of_their_street(
    residents: list[content.DemoResident],
) -> None:
    assert {r.street for r in residents} == set(STREETS)
    for r in residents:
        assert r.community in phrases.COMMUNITIES[r.street]
    for street in STREETS:
        assert 5 <= len(phrases.COMMUNITIES[street]) <= 8
    all_communities = [c for cs in phrases.COMMUNITIES.values() for c in cs]
    assert len(set(all_communities)) == len(all_communities)


def test_resident_age_bands(residents: list[content.DemoResident]) -> None:
    bands = Counter(r.age_band for r in residents)
    assert set(bands) == {"18-29", "30-44", "45-59", "60+"}
    assert all(count > 300 for count in bands.values())


def test_resident_phones_are_unique_and_distinct_from_enterprise_phones(
    residents: list[content.DemoResident], enterprises: list[content.DemoEnterprise]
) -> None:
    phones = [r.phone for r in residents]
    assert all(MOBILE.fullmatch(phone) for phone in phones)
    assert len(set(phones)) == len(phones)
    assert not set(phones) & {e.contact_phone for e in enterprises}


# --- Opinions ------------------------------------------------------------------------------------


def test_opinions_are_mostly_distinct() -> None:
    texts = [o.text for o in demo_opinions(21, 500)]
    assert len(set(texts)) / len(texts) >= 0.9


def test_opinion_lengths_vary_within_bounds(opinions: list[content.DemoOpinion]) -> None:
    lengths = [len(o.text) for o in opinions]
    assert min(lengths) >= 5
    assert max(lengths) <= 120
    assert sum(length <= 10 for length in lengths) >= 30  # terse one-liners
    assert sum(length >= 60 for length in lengths) >= 30  # long, detailed ones


def test_opinions_leak_no_template_syntax(opinions: list[content.DemoOpinion]) -> None:
    for o in opinions:
        assert not set(o.text) & set("{}<>[]|"), o.text


def test_opinions_cover_every_unit_and_match_their_topic(
    opinions: list[content.DemoOpinion],
) -> None:
    topics = {t.key: t for t in phrases.TOPICS}
    assert {o.unit_code for o in opinions} == {u.code for u in demo_units()} | {None}
    assert len(topics) >= 30
    assert set(Counter(o.topic for o in opinions)) == set(topics)
    for o in opinions:
        topic = topics[o.topic]
        assert o.unit_code in topic.units if topic.units else o.unit_code is None
        assert o.audience in {ENTERPRISE, RESIDENT}
        assert topic.audience in {"any", o.audience}


def test_opinion_sentiments_mix_complaints_suggestions_and_praise(
    opinions: list[content.DemoOpinion],
) -> None:
    shares = Counter(o.sentiment for o in opinions)
    assert set(shares) == {-1, 0, 1}
    assert shares[-1] > shares[1] > 0.1 * len(opinions)
    praise_only = {"praise_attitude", "praise_efficiency"}
    assert all(o.sentiment == 1 for o in opinions if o.topic in praise_only)


def test_about_three_percent_carry_a_phone_or_id_number(
    opinions: list[content.DemoOpinion],
) -> None:
    normalised = [unicodedata.normalize("NFKC", o.text) for o in opinions]
    with_pii = [t for t in normalised if PHONE_IN_TEXT.search(t) or ID_IN_TEXT.search(t)]
    assert 0.015 <= len(with_pii) / len(opinions) <= 0.05
    assert any(ID_IN_TEXT.search(t) for t in with_pii)


def _id_check_character(body17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def test_id_numbers_in_opinions_have_valid_check_characters(
    opinions: list[content.DemoOpinion],
) -> None:
    assert _id_check_character("11010519491231002") == "X"  # the GB 11643 example
    found = [
        match.group()
        for o in opinions
        for match in ID_IN_TEXT.finditer(unicodedata.normalize("NFKC", o.text))
    ]
    assert found
    assert all(number[17] == _id_check_character(number[:17]) for number in found)


def test_some_opinions_show_the_typing_habits_to_survive(
    opinions: list[content.DemoOpinion],
) -> None:
    texts = [o.text for o in opinions]
    traditional = [t for t in texts if any(c in t for c in "這個區們車難辦題")]
    emoji = [t for t in texts if re.search("[\U0001f300-\U0001faff\u2764]", t)]
    half_width = [t for t in texts if re.search(r"[\u4e00-\u9fff][,.!?]", t)]
    for variant in (traditional, emoji, half_width):
        assert 0.005 * len(texts) <= len(variant) <= 0.1 * len(texts)


# --- Template helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "numeral"),
    [(1, "一"), (2, "两"), (9, "九"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五")],
)
def test_chinese_number(number: int, numeral: str) -> None:
    assert content._chinese_number(number) == numeral


def test_fill_keeps_a_slot_fixed_within_one_opinion() -> None:
    slots: dict[str, str] = {}
    text = content._fill(random.Random(1), "{road}修完了，{road}又挖开了", slots)
    match = re.fullmatch(r"(.+)修完了，(.+)又挖开了", text)
    assert match is not None
    first, second = match.groups()
    assert first == second == slots["road"]
    assert first in phrases.SLOTS["road"]


def test_fill_expands_numbers_alternatives_and_optional_tails() -> None:
    rng = random.Random(2)
    assert content._fill(rng, "等了{n:7-7}天，{cn:12-12}次", {}) == "等了7天，十二次"
    outcomes = {content._fill(rng, "<甲|乙>[丙|丁]", {}) for _ in range(200)}
    assert outcomes == {"甲", "乙", "甲丙", "甲丁", "乙丙", "乙丁"}


# --- Satisfaction profile ------------------------------------------------------------------------


def test_profile_is_a_distribution_per_unit() -> None:
    profile = demo_satisfaction_profile(4)
    assert set(profile) == {u.code for u in demo_units()}
    assert len(SATISFACTION_LEVELS) == 6
    for shares in profile.values():
        assert len(shares) == 6
        assert all(share >= 0 for share in shares)
        assert sum(shares) == pytest.approx(1.0, abs=1e-12)
        assert 0.01 <= shares[5] <= 0.15  # 不了解


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_profile_has_most_units_good_a_few_weak_and_one_excellent(seed: int) -> None:
    means = sorted(_mean_score(shares) for shares in demo_satisfaction_profile(seed).values())
    weak = [m for m in means if m < 80]
    excellent = [m for m in means if m > 92]
    assert 2 <= len(weak) <= 3
    assert all(68 <= m <= 77 for m in weak)
    assert len(excellent) == 1 and excellent[0] <= 96
    assert all(80 <= m <= 92 for m in means[len(weak) : -1])


def test_profile_shares_fall_from_very_satisfied_for_a_good_unit() -> None:
    shares = content._level_shares_with_mean(85.0)
    assert sum(s * score for s, score in zip(shares, LEVEL_SCORES, strict=True)) == pytest.approx(
        85.0, abs=1e-6
    )
    assert list(shares) == sorted(shares, reverse=True)
