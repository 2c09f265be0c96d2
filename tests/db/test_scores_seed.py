"""Seeding shared by the score tests: a campaign whose answers are known response by response,
so every stored number can be recomputed with analysis.scoring.reference."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from analysis.scoring.estimators import MeanEstimate
from analysis.scoring.mapping import NBS_MAPPING
from analysis.scoring.reference import AnswerRecord
from analysis.scoring.unit_index import UnitIndex
from questionnaires.canonical import to_canonical_dict
from questionnaires.definition import parse_definition
from questionnaires.ratings import rated_items, rating_strings
from survey_app.db.tables import (
    Answer,
    Campaign,
    Invitation,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    UnitRating,
)

DEFINITION = """
id: {code}
title: 测试问卷
sections:
  - id: s1
    title: 评价
    questions:
      - name: attitude
        type: rating
        label: 您对区发改局的服务态度是否满意？
        unit: U01
        dimension: 服务态度
        allow_unknown: true
      - name: grid
        type: matrix_rating
        label: 您对以下单位的办事效率是否满意？
        dimension: 办事效率
        allow_unknown: true
        rows:
          - {{id: u1, label: 区发改局, unit: U01}}
          - {{id: u2, label: 区市场监管局, unit: U02}}
"""
ITEMS = (
    ("attitude", "", "U01", "服务态度"),
    ("grid", "u1", "U01", "办事效率"),
    ("grid", "u2", "U02", "办事效率"),
)
# The rating strings' positions, as a submission of this questionnaire would write them.
RATED_ITEMS = rated_items(parse_definition(DEFINITION.format(code="any"), "yaml"))


async def first_row(query: Any) -> dict[str, Any]:
    """The first row of a Piccolo select (typed as optional); the test fails if there is none."""
    row = await query.first()
    assert row is not None
    return row


def estimate_of(index: UnitIndex) -> MeanEstimate:
    assert index.estimate is not None
    return index.estimate


@dataclass(frozen=True)
class Stratum:
    name: str
    population: int  # N_h
    invited: int  # n_h


@dataclass
class Seeded:
    campaign_id: int
    code: str
    strata: tuple[Stratum, ...]
    # response id → (stratum, status, {(question, row): level or None})
    responses: dict[int, tuple[str, str, dict[tuple[str, str], int | None]]] = field(default_factory=dict)

    def records(self, unit: str, max_adjustment: float = 3.0) -> list[AnswerRecord]:
        """Answer records of one unit with the final weights w = N_h/n_h · min(n_h/r_h, cap)."""
        weights = self.final_weights(max_adjustment)
        records = []
        for response_id, (stratum, status, answers) in self.responses.items():
            if status != "complete":
                continue
            for (question, row), level in answers.items():
                if _unit_of(question, row) != unit:
                    continue
                score = None if level is None else NBS_MAPPING.scores[5 - level][1]
                item = f"{question}__{row}" if row else question
                records.append(AnswerRecord(str(response_id), item, stratum, weights[stratum], score))
        return records

    def respondents(self, stratum: str) -> int:
        return sum(1 for s, status, _ in self.responses.values() if s == stratum and status == "complete")

    def final_weights(self, max_adjustment: float = 3.0) -> dict[str, float]:
        return {
            s.name: s.population / s.invited * min(s.invited / self.respondents(s.name), max_adjustment)
            for s in self.strata
        }


def _unit_of(question: str, row: str) -> str:
    return next(unit for q, r, unit, _ in ITEMS if (q, r) == (question, row))


async def seed_campaign(
    *,
    code: str = "c2026q3",
    period: str = "2026-Q3",
    audience: str = "enterprise",
    strata: tuple[Stratum, ...] = (Stratum("大型", 40, 16), Stratum("小型", 300, 30)),
    respondents: tuple[int, ...] = (12, 20),
    seed: int = 1,
    excluded: int = 1,
    durations: dict[int, int] | None = None,
    questionnaire: str | None = None,
) -> Seeded:
    """Responses with random but recorded answers; `excluded` more responses are excluded.

    U01 is rated by everyone on two items (some 不了解); U02 by about half.
    """
    rng = random.Random(seed)
    questionnaire = questionnaire or f"q-{code}"
    version_id = await _version(questionnaire, audience)
    campaign = await Campaign.insert(
        Campaign(
            code=code,
            name=f"{period} 测试批次",
            version=version_id,
            audience=audience,
            period=period,
            status="open",
        )
    ).returning(Campaign.id)
    campaign_id = campaign[0]["id"]
    seeded = Seeded(campaign_id, code, strata)
    for stratum, count in zip(strata, respondents, strict=True):
        weight = stratum.population / stratum.invited
        for number in range(stratum.invited):
            invitation = await Invitation.insert(
                Invitation(
                    campaign=campaign_id,
                    token=secrets.token_urlsafe(16),
                    stratum=stratum.name,
                    design_weight=weight,
                )
            ).returning(Invitation.id)
            if number >= count + excluded:
                continue
            status = "excluded" if number >= count else "complete"
            answers: dict[tuple[str, str], int | None] = {}
            for question, row, _, _ in ITEMS:
                if row == "u2" and rng.random() < 0.5:
                    continue  # not everyone rates U02
                answers[(question, row)] = (
                    None if rng.random() < 0.1 else rng.choice((5, 5, 4, 4, 4, 3, 3, 2, 1))
                )
            response = await Response.insert(
                Response(
                    campaign=campaign_id,
                    version=version_id,
                    invitation=invitation[0]["id"],
                    submission_id=secrets.token_hex(8),
                    payload_hash="t",
                    status=status,
                    stratum=stratum.name,
                    design_weight=weight,
                    exclusion_reason="测试剔除" if status == "excluded" else "",
                    duration_seconds=(durations or {}).get(len(seeded.responses), 300),
                )
            ).returning(Response.id)
            response_id = response[0]["id"]
            seeded.responses[response_id] = (stratum.name, status, answers)
            await Answer.insert(
                *(
                    Answer(
                        response=response_id,
                        campaign=campaign_id,
                        question=question,
                        row=row,
                        unit_code=_unit_of(question, row),
                        dimension=dim,
                        level=level,
                        stratum=stratum.name,
                        weight=weight,
                    )
                    for (question, row), level in answers.items()
                    for q, r, _, dim in ITEMS
                    if (q, r) == (question, row)
                )
            )
            strings = rating_strings(
                RATED_ITEMS, ((_unit_of(q, r), q, r, level) for (q, r), level in answers.items())
            )
            if strings:
                await UnitRating.insert(
                    *(
                        UnitRating(response=response_id, campaign=campaign_id, unit_code=unit,
                                   stratum=stratum.name, weight=weight, levels=levels)
                        for unit, levels in strings.items()
                    )
                )
    return seeded


async def _version(code: str, audience: str) -> int:
    """The questionnaire's published version 1, created on first use (campaigns may share it)."""
    existing = (
        await QuestionnaireVersion.select(QuestionnaireVersion.id)
        .where(QuestionnaireVersion.questionnaire.code == code)
        .first()
    )
    if existing:
        return int(existing["id"])
    questionnaire = await Questionnaire.insert(
        Questionnaire(code=code, title="测试问卷", audience=audience)
    ).returning(Questionnaire.id)
    definition = to_canonical_dict(parse_definition(DEFINITION.format(code=code), "yaml"))
    version = await QuestionnaireVersion.insert(
        QuestionnaireVersion(
            questionnaire=questionnaire[0]["id"],
            version_no=1,
            status="published",
            definition=definition,
            definition_hash="t",
        )
    ).returning(QuestionnaireVersion.id)
    return int(version[0]["id"])


async def test_seed_records_only_complete_responses_of_the_unit(db, make_unit) -> None:
    await make_unit("U01")
    seeded = await seed_campaign(respondents=(3, 4), strata=(Stratum("甲", 10, 5), Stratum("乙", 20, 6)))
    records = seeded.records("U01")
    assert {r.response_id for r in records} == {
        str(i) for i, (_, status, _) in seeded.responses.items() if status == "complete"
    }
    assert await Response.count().where(Response.status == "excluded") == 2
    # w = N/n · n/r = N/r when the adjustment is under the cap
    assert seeded.final_weights() == {"甲": 10 / 3, "乙": 20 / 4}
