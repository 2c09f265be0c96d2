"""Rating strings: one character per rated item of a unit, in questionnaire order."""

from __future__ import annotations

from questionnaires.answers import scored_answers
from questionnaires.definition import parse_definition
from questionnaires.ratings import rated_items, rating_strings

DEFINITION = """
id: t
title: 测试
sections:
  - id: s1
    title: 一
    questions:
      - {name: overall, type: rating, label: 总体, unit: U03, allow_unknown: true}
      - {name: attitude, type: rating, label: 态度, unit: U01, allow_unknown: true}
  - id: s2
    title: 二
    questions:
      - name: grid
        type: matrix_rating
        label: 效率
        allow_unknown: true
        rows:
          - {id: a, label: 甲, unit: U02}
          - {id: b, label: 乙, unit: U01}
          - {id: c, label: 丙, unit: U03}
      - {name: law, type: rating, label: 法治, unit: U02}
"""


def test_rated_items_follow_questionnaire_order() -> None:
    items = rated_items(parse_definition(DEFINITION, "yaml"))
    assert items == {
        "U03": (("overall", ""), ("grid", "c")),
        "U01": (("attitude", ""), ("grid", "b")),
        "U02": (("grid", "a"), ("law", "")),
    }


def test_rating_strings_place_each_level_unknown_and_gap() -> None:
    items = {"U01": (("attitude", ""), ("grid", "b")), "U02": (("grid", "a"), ("law", ""))}
    strings = rating_strings(
        items, [("U01", "grid", "b", 4), ("U02", "grid", "a", None), ("", "overall", "", 5)]
    )
    assert strings == {"U01": "-4", "U02": "0-"}
    assert rating_strings(items, []) == {}


def test_strings_from_a_validated_submission() -> None:
    questionnaire = parse_definition(DEFINITION, "yaml")
    answers = {"overall": 5, "attitude": 3, "grid": {"a": 5, "b": "unknown", "c": 2}, "law": 1}
    scored = scored_answers(questionnaire, answers)
    strings = rating_strings(
        rated_items(questionnaire), ((a.unit_code, a.question, a.row or "", a.level) for a in scored)
    )
    assert strings == {"U01": "30", "U02": "51", "U03": "52"}
