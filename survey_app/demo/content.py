"""Deterministic demo content for the demo district 江城区 (pure: stdlib + questionnaires.uscc).

What is generated, each list the same for the same seed:

* ``demo_units()``: the 25 appraised units (17 functional departments, 5 streets, 3 parks).
* ``demo_enterprises(seed, n)``: an enterprise roster with valid, unique unified social credit
  codes (GB 32100-2015), company names, industry, size class (规上/规下), the park or street the
  firm sits in, a contact person and a mobile number.
* ``demo_residents(seed, n)``: a resident roster by street, community and age band.
* ``demo_opinions(seed, n)``: free-text opinions as written into a 意见建议 box, composed from the
  phrase tables in ``phrases.py``, each labelled with its topic, the unit it concerns, the
  audience that writes it and its sentiment. About 3 % carry a phone or ID number so the demo
  shows masking; a few use traditional characters, half-width or full-width characters or emoji.
* ``demo_satisfaction_profile(seed)``: per unit, the probabilities of the five rating levels plus
  不了解, for simulating ratings.

Everything is fictitious: the district, the people, the companies, the credit codes, the ID
numbers (valid check digits, invented birth dates and serials) and the phone numbers (their
middle four digits are 0000 or 0001). Any likeness to a real person or firm is chance.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from math import exp

from questionnaires.uscc import USCC_CHARSET, uscc_check_character

from . import phrases as P

SATISFACTION_LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意", "不了解")
LEVEL_SCORES = (100.0, 80.0, 60.0, 30.0, 0.0)  # the default 0–100 mapping of the five levels

ENTERPRISE = "enterprise"
RESIDENT = "resident"
ABOVE_SCALE = "规上"
BELOW_SCALE = "规下"

# Middle four digits of the demo mobile numbers: one block per roster, so the two never collide.
_ENTERPRISE_PHONE_BLOCK = "0000"
_RESIDENT_PHONE_BLOCK = "0001"

_UNIT_NAMES = {code: name for code, name, _ in P.UNITS}
_PARK_NAMES = tuple(name for code, name, _ in P.UNITS if code in P.PARK_UNITS)
_LOCATIONS = (*P.COMMUNITIES, *_PARK_NAMES)  # U18–U25 in order, as LOCATION_WEIGHTS expects
_STREET_WEIGHTS = (1.2, 1.0, 0.8, 0.9, 1.1)  # relative populations of U18–U22


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    category: str


@dataclass(frozen=True)
class DemoEnterprise:
    uscc: str
    name: str
    industry: str
    size_class: str  # 规上 or 规下
    park_or_street: str  # name of one of U18–U25
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class DemoResident:
    street: str  # name of one of U18–U22
    community: str
    age_band: str  # 18-29, 30-44, 45-59 or 60+
    phone: str


@dataclass(frozen=True)
class DemoOpinion:
    text: str
    unit_code: str | None  # None: a general opinion that names no unit
    topic: str  # key of a phrases.TOPICS entry
    sentiment: int  # -1 complaint, 0 neutral suggestion, 1 praise
    audience: str  # ENTERPRISE or RESIDENT: who would write it


def demo_units() -> list[DemoUnit]:
    return [DemoUnit(code, name, category) for code, name, category in P.UNITS]


# --- Rosters -----------------------------------------------------------------------------------


def demo_enterprises(seed: int, n: int = 2000) -> list[DemoEnterprise]:
    _require_count(n)
    rng = _rng(seed, "enterprises")
    shares = [row[1] for row in P.INDUSTRIES]
    codes: set[str] = set()
    names: set[str] = set()
    phones: set[str] = set()
    roster = []
    for _ in range(n):
        industry, _share, above_scale_share, words = rng.choices(P.INDUSTRIES, weights=shares)[0]
        above_scale = rng.random() < above_scale_share
        roster.append(
            DemoEnterprise(
                uscc=_unique(rng, codes, _uscc),
                name=_unique(
                    rng, names, partial(_company_name, words=words, above_scale=above_scale)
                ),
                industry=industry,
                size_class=ABOVE_SCALE if above_scale else BELOW_SCALE,
                park_or_street=rng.choices(_LOCATIONS, weights=P.LOCATION_WEIGHTS[industry])[0],
                contact_name=_person_name(rng),
                contact_phone=_unique(rng, phones, lambda r: _phone(r, _ENTERPRISE_PHONE_BLOCK)),
            )
        )
    return roster


def demo_residents(seed: int, n: int = 3000) -> list[DemoResident]:
    _require_count(n)
    rng = _rng(seed, "residents")
    streets = list(P.COMMUNITIES)
    bands = [band for band, _ in P.AGE_BANDS]
    band_shares = [share for _, share in P.AGE_BANDS]
    phones: set[str] = set()
    roster = []
    for _ in range(n):
        street = rng.choices(streets, weights=_STREET_WEIGHTS)[0]
        roster.append(
            DemoResident(
                street=street,
                community=rng.choice(P.COMMUNITIES[street]),
                age_band=rng.choices(bands, weights=band_shares)[0],
                phone=_unique(rng, phones, lambda r: _phone(r, _RESIDENT_PHONE_BLOCK)),
            )
        )
    return roster


def _uscc(rng: random.Random) -> str:
    # 9 = registered by market regulation, 1 = enterprise; then the administrative division
    # (district or city level) and a GB 11714 organisation code with its own check character.
    division = rng.choices(("420103", "420100"), weights=(3, 1))[0]
    if rng.random() < 0.6:  # codes issued since 2015 start with MA and a regional letter
        body = "MA4" + "".join(rng.choice(USCC_CHARSET) for _ in range(5))
    else:  # older organisation codes are all digits
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = "91" + division + body + _organization_code_check(body)
    return first17 + uscc_check_character(first17)


def _organization_code_check(body: str) -> str:
    """GB 11714-1997 check character of an 8-character organisation code body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(char, 36) * weight for char, weight in zip(body, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _company_name(rng: random.Random, words: tuple[str, ...], above_scale: bool) -> str:
    trade = _trade_name(rng)
    word = rng.choice(words)
    form = "股份有限公司" if rng.random() < (0.15 if above_scale else 0.02) else "有限公司"
    pattern = rng.random()
    if pattern < 0.75:
        return f"江城{trade}{word}{form}"
    if pattern < 0.9:
        return f"湖北{trade}{word}{form}"
    return f"{trade}（江城）{word}{form}"  # a local subsidiary of an outside group


def _trade_name(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return rng.choice(P.TRADE_NAMES)
    return "".join(rng.sample(P.TRADE_NAME_CHARACTERS, 2))


def _person_name(rng: random.Random) -> str:
    surname = rng.choices([s for s, _ in P.SURNAMES], weights=[w for _, w in P.SURNAMES])[0]
    pool = P.MALE_NAME_CHARACTERS if rng.random() < 0.5 else P.FEMALE_NAME_CHARACTERS
    length = 1 if rng.random() < 0.25 else 2
    return surname + "".join(rng.sample(pool, length))


def _phone(rng: random.Random, block: str) -> str:
    return rng.choice(P.MOBILE_PREFIXES) + block + f"{rng.randrange(10_000):04d}"


# --- Opinions ----------------------------------------------------------------------------------

_SLOT = re.compile(r"\{(\w+)(?::(\d+)-(\d+))?\}")
_CHOICE = re.compile(r"<([^<>]*)>")
_OPTION = re.compile(r"\[([^\[\]]*)\]")
_DIGITS = "零一二三四五六七八九"
_MOOD_WEIGHTS = {-1: 6.0, 0: 2.0, 1: 2.0}
_MAX_LENGTH = 120
_MIN_LENGTH = 5
_ATTEMPTS_FOR_A_NEW_TEXT = 30
_HALF_WIDTH_PUNCTUATION = str.maketrans("，。！？：；（）", ",.!?:;()")
_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def demo_opinions(seed: int, n: int) -> list[DemoOpinion]:
    _require_count(n)
    rng = _rng(seed, "opinions")
    topic_weights = [topic.weight for topic in P.TOPICS]
    seen: set[str] = set()
    opinions = []
    for _ in range(n):
        # Real boxes rarely hold the same sentence twice; retry a few times, then accept.
        for _attempt in range(_ATTEMPTS_FOR_A_NEW_TEXT):
            topic = rng.choices(P.TOPICS, weights=topic_weights)[0]
            opinion = _compose_opinion(rng, topic)
            if opinion.text not in seen:
                break
        seen.add(opinion.text)
        opinions.append(opinion)
    return opinions


def _compose_opinion(rng: random.Random, topic: P.Topic) -> DemoOpinion:
    unit_code = rng.choice(topic.units) if topic.units else None
    audience = topic.audience
    if audience == "any":
        audience = rng.choices((ENTERPRISE, RESIDENT), weights=(2, 3))[0]
    while True:
        slots = _slot_context(rng, unit_code)
        sentiment = _pick_sentiment(rng, topic)
        if sentiment < 0:
            text = _complaint(rng, topic, audience, slots)
        elif sentiment == 0:
            text = _suggestion_only(rng, topic, audience, slots)
        else:
            text = _praise(rng, topic, slots)
        if rng.random() < 0.03:
            text = _with_personal_information(rng, text)
        text = _restyle(rng, text, sentiment)
        if _MIN_LENGTH <= len(text) <= _MAX_LENGTH:
            return DemoOpinion(text, unit_code, topic.key, sentiment, audience)


def _pick_sentiment(rng: random.Random, topic: P.Topic) -> int:
    available = [
        sentiment
        for sentiment, phrases in enumerate(
            (topic.complaints, topic.suggestions, topic.praises), -1
        )
        if phrases
    ]
    return rng.choices(available, weights=[_MOOD_WEIGHTS[s] for s in available])[0]


def _slot_context(rng: random.Random, unit_code: str | None) -> dict[str, str]:
    """Slot values fixed for one opinion, so a street or road named twice is the same one."""
    if unit_code in P.STREET_UNITS:
        street = _UNIT_NAMES[unit_code]
    else:
        street = rng.choice(list(P.COMMUNITIES))
    park = _UNIT_NAMES[unit_code] if unit_code in P.PARK_UNITS else rng.choice(_PARK_NAMES)
    unit = rng.choice(P.UNIT_NICKNAMES[unit_code]) if unit_code else "相关部门"
    return {
        "unit": unit,
        "street": street,
        "community": rng.choice(P.COMMUNITIES[street]),
        "park": park,
    }


def _fill(rng: random.Random, template: str, slots: dict[str, str]) -> str:
    """Expand a template of phrases.py: alternatives, optional tails, then slots."""

    def option(match: re.Match[str]) -> str:
        return rng.choice(match.group(1).split("|")) if rng.random() < 0.5 else ""

    text = _CHOICE.sub(lambda match: rng.choice(match.group(1).split("|")), template)
    text = _OPTION.sub(option, text)

    def value(match: re.Match[str]) -> str:
        name, low, high = match.groups()
        if name == "n":
            return str(rng.randint(int(low), int(high)))
        if name == "cn":
            return _chinese_number(rng.randint(int(low), int(high)))
        if name not in slots:
            slots[name] = rng.choice(P.SLOTS[name])
        return slots[name]

    return _SLOT.sub(value, text)


def _chinese_number(number: int) -> str:
    """Chinese numeral as used before a measure word (两个, 十二天), for 1..99."""
    if number == 2:
        return "两"
    if number < 10:
        return _DIGITS[number]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def _complaint(rng: random.Random, topic: P.Topic, audience: str, slots: dict[str, str]) -> str:
    core = _fill(rng, rng.choice(topic.complaints), slots)
    if rng.random() < 0.25:  # the terse one-liner many people type on a phone
        return core + rng.choice(P.END_MARKS[-1])
    text = core
    if rng.random() < 0.35:
        text = _fill(rng, rng.choice(_openers(audience)), slots) + core
    if topic.details and rng.random() < 0.55:
        text += rng.choice(("，", "，", "。")) + _fill(rng, rng.choice(topic.details), slots)
    if topic.suggestions and rng.random() < 0.55:
        text += "。" + _suggestions(rng, topic, audience, slots)
    else:
        text += rng.choice(P.END_MARKS[-1])
    if rng.random() < 0.25:
        text = _closed(text, rng.choice(P.CLOSERS_COMPLAINT))
    return text


def _suggestion_only(
    rng: random.Random, topic: P.Topic, audience: str, slots: dict[str, str]
) -> str:
    text = ""
    if rng.random() < 0.3:
        openers = [o for o in _openers(audience) if o[-1] in "，："] + list(P.OPENERS_SUGGESTION)
        text = _fill(rng, rng.choice(openers), slots)
    text += _suggestions(rng, topic, audience, slots)
    if rng.random() < 0.2:
        text = _closed(text, rng.choice(P.CLOSERS_NEUTRAL))
    return text


def _praise(rng: random.Random, topic: P.Topic, slots: dict[str, str]) -> str:
    text = _fill(rng, rng.choice(topic.praises), slots)
    if rng.random() < 0.2:
        return text + rng.choice(P.END_MARKS[1])
    if rng.random() < 0.25:
        text = rng.choice(P.OPENERS_PRAISE) + text
    if topic.praise_details and rng.random() < 0.5:
        text += "，" + _fill(rng, rng.choice(topic.praise_details), slots)
    text += rng.choice(P.END_MARKS[1])
    if rng.random() < 0.35:
        text = _closed(text, rng.choice(P.CLOSERS_PRAISE))
    return text


def _openers(audience: str) -> tuple[str, ...]:
    own = P.OPENERS_ENTERPRISE if audience == ENTERPRISE else P.OPENERS_RESIDENT
    return P.OPENERS_ANY + own


def _suggestions(rng: random.Random, topic: P.Topic, audience: str, slots: dict[str, str]) -> str:
    """One suggestion sentence with its own end mark, or a numbered list in the official style."""
    if audience == ENTERPRISE and len(topic.suggestions) >= 2 and rng.random() < 0.15:
        count = min(len(topic.suggestions), rng.choice((2, 2, 3)))
        bodies = [_fill(rng, body, slots) for body in rng.sample(topic.suggestions, count)]
        numbered = "；".join(f"{'一二三'[i]}是{body}" for i, body in enumerate(bodies))
        return f"建议：{numbered}。"
    prefix, mark = rng.choice(P.SUGGESTION_PREFIXES)
    text = prefix + _fill(rng, rng.choice(topic.suggestions), slots)
    if mark == "。":
        mark = rng.choice(P.END_MARKS[0])
    return text + mark


def _closed(text: str, closer: str) -> str:
    """Append a closing phrase, putting a comma in when the text ends without punctuation."""
    return text + closer if text[-1] in "。！？…" else text + "，" + closer


def _with_personal_information(rng: random.Random, text: str) -> str:
    slots = {
        "phone": _phone(rng, rng.choice((_ENTERPRISE_PHONE_BLOCK, _RESIDENT_PHONE_BLOCK))),
        "id_number": _id_number(rng),
        "plate": rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + f"{rng.randrange(10_000):04d}",
        "surname": rng.choice([s for s, _ in P.SURNAMES]),
    }
    if rng.random() < 0.3:  # phone numbers are often typed in groups
        number = slots["phone"]
        slots["phone"] = f"{number[:3]} {number[3:7]} {number[7:]}"
    sentence = _fill(rng, rng.choice(P.PII_SENTENCES), slots)
    return _closed(text, sentence)


def _id_number(rng: random.Random) -> str:
    """An 18-digit resident ID number (GB 11643) with a valid ISO 7064 MOD 11-2 check."""
    region = rng.choice(("420103", "420106", "420111", "420102"))
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 53))
    body = region + birth.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def _restyle(rng: random.Random, text: str, sentiment: int) -> str:
    """The typing habits that the text pipeline must survive."""
    if rng.random() < 0.025:
        text = text.translate(P.TRADITIONAL)
    if rng.random() < 0.06:
        text = text.translate(_HALF_WIDTH_PUNCTUATION)
    if rng.random() < 0.03:
        text = text.translate(_FULL_WIDTH_DIGITS)
    if rng.random() < 0.03:
        text = text.replace("，", " ")
    if rng.random() < 0.05:
        text += rng.choice(P.EMOJI[sentiment])
    return text


# --- Ratings -------------------------------------------------------------------------------------

# Plausible weak units are those whose work residents feel daily as nuisance or scarcity (urban
# management, construction, traffic, health, schools); plausible strong ones run well-reformed
# services (tax, the one-stop centre, police). The seed picks among them.
_WEAK_CANDIDATES = ("U05", "U08", "U11", "U12", "U14", "U15")
_EXCELLENT_CANDIDATES = ("U03", "U07", "U13")
# Units most respondents have no dealings with, so 不了解 is more common.
_LESS_KNOWN = ("U01", "U08", "U09", "U10", "U17", "U23", "U24", "U25")


def demo_satisfaction_profile(seed: int) -> dict[str, tuple[float, ...]]:
    """Per unit code, probabilities in SATISFACTION_LEVELS order (sum 1).

    Most units average 80–92 on the 100/80/60/30/0 scale among respondents who know them; two or
    three units average 68–77 and one 93–96.
    """
    rng = _rng(seed, "satisfaction")
    weak = set(rng.sample(_WEAK_CANDIDATES, rng.choice((2, 3))))
    excellent = rng.choice(_EXCELLENT_CANDIDATES)
    profile = {}
    for code, _name, _category in P.UNITS:
        if code in weak:
            mean = rng.uniform(68.0, 77.0)
        elif code == excellent:
            mean = rng.uniform(93.0, 96.0)
        else:
            mean = rng.uniform(80.0, 92.0)
        unknown = rng.uniform(0.06, 0.15) if code in _LESS_KNOWN else rng.uniform(0.01, 0.06)
        known = _level_shares_with_mean(mean)
        profile[code] = (*(share * (1.0 - unknown) for share in known), unknown)
    return profile


def _level_shares_with_mean(mean: float) -> tuple[float, ...]:
    """Shares of the five levels, proportional to exp(beta * score / 100), averaging ``mean``.

    The exponential family gives the shape real results have: the share falls steadily from
    非常满意 down for a well-rated unit and spreads out for a weak one. The average rises with
    beta, so bisection finds it.
    """
    low, high = -20.0, 40.0
    for _ in range(100):
        beta = (low + high) / 2
        shares = _exponential_shares(beta)
        average = sum(s * score for s, score in zip(shares, LEVEL_SCORES, strict=True))
        low, high = (beta, high) if average < mean else (low, beta)
    return _exponential_shares((low + high) / 2)


def _exponential_shares(beta: float) -> tuple[float, ...]:
    weights = [exp(beta * score / 100.0) for score in LEVEL_SCORES]
    total = sum(weights)
    return tuple(weight / total for weight in weights)


# --- Shared helpers ------------------------------------------------------------------------------


def _rng(seed: int, purpose: str) -> random.Random:
    # One stream per list, so growing one roster leaves the others unchanged. Demo data only:
    # nothing here is a secret, so a non-cryptographic generator is right.
    return random.Random(f"{purpose}:{seed}")


def _unique(rng: random.Random, taken: set[str], make: Callable[[random.Random], str]) -> str:
    """Draw until ``make`` gives a value not yet in ``taken``; remember it."""
    for _attempt in range(10_000):
        value = make(rng)
        if value not in taken:
            taken.add(value)
            return value
    raise ValueError(f"无法再生成不重复的值（已生成{len(taken)}个），请减少生成数量")


def _require_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"生成数量不能为负数，实际为{n}")
