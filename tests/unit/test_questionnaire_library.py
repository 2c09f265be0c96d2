"""Every shipped questionnaire parses, is realistic in size, rates known units, and its skip
logic behaves as its wording promises."""

from __future__ import annotations

import json

import pytest

from questionnaires.answers import opinion_texts, scored_answers, validate_answers
from questionnaires.canonical import dump_yaml, to_canonical_dict
from questionnaires.definition import parse_definition
from questionnaires.flow import visible_questions
from questionnaires.model import Questionnaire, QuestionType
from questionnaires.shipped import shipped_questionnaires, shipped_units
from questionnaires.xlsform import read_xlsform, write_xlsform

SHIPPED = shipped_questionnaires()
IDS = sorted(SHIPPED)


def test_three_questionnaires_are_shipped() -> None:
    assert set(SHIPPED) == {
        "enterprise-business-environment",
        "resident-social-satisfaction",
        "livelihood-projects",
    }


def test_unit_list() -> None:
    units = shipped_units()
    assert [unit.code for unit in units] == [f"U{n:02d}" for n in range(1, 26)]
    assert units[6].name == "区行政审批局（政务服务中心）"
    assert {unit.category for unit in units} == {"职能部门", "街道园区"}
    assert sum(unit.category == "街道园区" for unit in units) == 8


@pytest.mark.parametrize("questionnaire_id", IDS)
def test_size_units_and_features(questionnaire_id: str) -> None:
    questionnaire = SHIPPED[questionnaire_id]
    questions = list(questionnaire.iter_questions())
    assert 15 <= len(questions) <= 40
    assert questionnaire.referenced_unit_codes() <= {unit.code for unit in shipped_units()}
    kinds = {question.type for question in questions}
    assert QuestionType.MATRIX_RATING in kinds
    assert any(q.type == QuestionType.MATRIX_RATING and q.allow_unknown for q in questions)
    assert any(q.relevant for q in questions)  # skip logic
    assert any(q.opinion for q in questions)  # open opinions
    assert questionnaire.intro  # purpose and privacy notice


@pytest.mark.parametrize("questionnaire_id", IDS)
def test_every_format_round_trips(questionnaire_id: str) -> None:
    questionnaire = SHIPPED[questionnaire_id]
    assert parse_definition(dump_yaml(questionnaire), "yaml") == questionnaire
    assert parse_definition(json.dumps(to_canonical_dict(questionnaire)), "json") == questionnaire
    assert read_xlsform(write_xlsform(questionnaire)) == questionnaire


def _enterprise() -> Questionnaire:
    return SHIPPED["enterprise-business-environment"]


def test_enterprise_follow_ups_appear_only_for_those_who_used_the_service() -> None:
    questionnaire = _enterprise()
    base = {"used_approval": "no", "used_tax": "no", "inspected": "no"}
    hidden = visible_questions(questionnaire, base)
    assert "approval_items" not in hidden and "tax_rating" not in hidden
    shown = visible_questions(questionnaire, {**base, "used_approval": "yes", "used_tax": "yes"})
    assert {"approval_items", "approval_opinion", "tax_rating"} <= shown
    assert "tax_reason" not in shown
    dissatisfied = visible_questions(questionnaire, {"used_tax": "yes", "tax_rating": 2})
    assert "tax_reason" in dissatisfied


def test_enterprise_unit_ratings_come_in_pages_of_at_most_8_units() -> None:
    questionnaire = _enterprise()
    per_section = {
        section.id: sum(len(q.rows) or (1 if q.unit_code else 0) for q in section.questions
                        if q.type in ("matrix_rating", "rating"))
        for section in questionnaire.sections
    }
    assert max(per_section.values()) <= 8
    rated = {row.unit_code for q in questionnaire.iter_questions() for row in q.rows
             if q.name.startswith(("department_rating", "area_rating"))}
    assert rated == {f"U{n:02d}" for n in range(1, 26)}  # every unit is still rated


def test_enterprise_full_answer_sheet() -> None:
    questionnaire = _enterprise()
    departments: dict[str, int | str] = {f"U{n:02d}": 4 for n in range(1, 18)}
    departments["U09"] = "unknown"
    areas = {f"U{n:02d}": 5 for n in range(18, 26)}
    answers: dict[str, object] = {
        "industry": "manufacturing",
        "scale": "medium",
        "ownership": "private",
        "location": "U23",
        "used_approval": "yes",
        "approval_items": {"attitude": 5, "efficiency": 4, "online": 3, "once": "unknown"},
        "approval_problems": ["documents", "slow"],
        "approval_opinion": "希望进一步压缩审批材料。",
        "used_tax": "yes",
        "tax_rating": 1,
        "tax_reason": "电子税务局经常卡顿。",
        "inspected": "no",
        "used_hr": "no",
        "has_project": "no",
        "department_rating_1": {k: v for k, v in departments.items() if k <= "U06"},
        "department_rating_2": {k: v for k, v in departments.items() if "U07" <= k <= "U12"},
        "department_rating_3": {k: v for k, v in departments.items() if k >= "U13"},
        "area_rating": areas,
        "overall_score": 8,
        "trend": "better",
        "priorities": ["finance", "other"],
        "priorities_other": "人才公寓",
    }
    assert validate_answers(questionnaire, answers) == {}
    scored = scored_answers(questionnaire, answers)
    tax = [s for s in scored if s.question == "tax_rating"]
    assert [(s.unit_code, s.dimension, s.level) for s in tax] == [("U03", "综合评价", 1)]
    u09 = next(s for s in scored if s.row == "U09")
    assert (u09.unit_code, u09.level, u09.unknown) == ("U09", None, True)
    assert len([s for s in scored if s.question.startswith("department_rating")]) == 17
    once = next(s for s in scored if s.row == "once")
    assert (once.unit_code, once.dimension, once.unknown) == ("U07", "政策落实", True)
    assert [(o.question, o.unit_code) for o in opinion_texts(questionnaire, answers)] == [
        ("approval_opinion", "U07"),
        ("tax_reason", "U03"),
    ]


def test_enterprise_problem_list_rejects_none_with_others() -> None:
    questionnaire = _enterprise()
    answers = {"used_approval": "yes", "approval_problems": ["none", "slow"]}
    errors = validate_answers(questionnaire, answers, partial=True)
    assert errors == {"approval_problems": "选择“没有遇到问题”时不能再选其他项"}


def test_resident_street_rating_follows_the_chosen_street() -> None:
    questionnaire = SHIPPED["resident-social-satisfaction"]
    shown = visible_questions(questionnaire, {"street": "U20"})
    assert {q for q in shown if q.startswith("street_u")} == {"street_u20"}
    scored = scored_answers(questionnaire, {"street": "U20", "street_u20": 4, "street_u18": 1})
    assert [(s.question, s.unit_code) for s in scored] == [("street_u20", "U20")]


def test_livelihood_ratings_follow_the_projects_known() -> None:
    questionnaire = SHIPPED["livelihood-projects"]
    shown = visible_questions(questionnaire, {"known_projects": ["p02", "p08"]})
    assert {q for q in shown if q.startswith("rate_")} == {"rate_p02", "rate_p08"}
    assert "worst_project" not in shown
    unhappy = visible_questions(questionnaire, {"known_projects": ["p02"], "rate_p02": 2})
    assert "worst_project" in unhappy
    nothing = visible_questions(questionnaire, {"known_projects": ["none"]})
    assert not any(q.startswith("rate_") for q in nothing)
    assert "process_items" in nothing
