"""Skip logic across questions and sections, page navigation, and the attributes for the
browser script."""

from __future__ import annotations

import json
import textwrap
from datetime import date

from questionnaires.client_logic import (
    form_attributes,
    option_attributes,
    question_attributes,
    section_attributes,
)
from questionnaires.definition import parse_definition
from questionnaires.expressions import expression_to_json
from questionnaires.flow import (
    answer_environment,
    evaluate_visibility,
    section_after,
    section_before,
    visible_questions,
    visible_sections,
)

FLOW = parse_definition(
    textwrap.dedent(
        """
        id: flow
        title: 流程
        sections:
          - id: a
            title: 甲
            questions:
              - {name: q1, type: single_choice, label: 一, required: true,
                 options: [{value: "y", label: 是}, {value: "n", label: 否}]}
              - {name: q2, type: rating, label: 二, unit: U01, relevant: "${q1} = 'y'",
                 allow_unknown: true}
              - {name: q3, type: textarea, label: 三, relevant: "${q2} <= 2", opinion: true}
          - id: b
            title: 乙
            relevant: "${q1} = 'y'"
            questions:
              - {name: q4, type: number, label: 四, min: 0, max: 9,
                 constraint: ". != 7", constraint_message: 不能是 7}
          - id: c
            title: 丙
            questions:
              - name: m
                type: matrix_rating
                label: 矩阵
                required: true
                rows: [{id: r1, label: 行一, unit: U01}, {id: r2, label: 行二, unit: U02}]
              - {name: q5, type: date, label: 五, relevant: "${m__r1} = 1",
                 constraint: ". <= today()"}
              - {name: d, type: text, label: 六}
        """
    ),
    "yaml",
)


def test_hiding_cascades_through_hidden_answers() -> None:
    # q2 is answered 1 but hidden because q1 is 'n'; q3 depends on q2 and must hide too.
    answers = {"q1": "n", "q2": 1, "q3": "意见"}
    assert visible_questions(FLOW, answers) == {"q1", "m", "d"}
    visibility = evaluate_visibility(FLOW, answers)
    assert "q2" not in visibility.values
    assert visible_questions(FLOW, {"q1": "y", "q2": 1}) >= {"q2", "q3", "q4"}
    assert "q3" not in visible_questions(FLOW, {"q1": "y", "q2": "unknown"})


def test_hidden_section_hides_its_questions() -> None:
    assert visible_sections(FLOW, {"q1": "n"}) == ["a", "c"]
    assert "q4" not in visible_questions(FLOW, {"q1": "n", "q4": 3})
    assert visible_sections(FLOW, {"q1": "y"}) == ["a", "b", "c"]


def test_matrix_rows_are_variables() -> None:
    assert "q5" in visible_questions(FLOW, {"m": {"r1": 1}})
    assert "q5" not in visible_questions(FLOW, {"m": {"r1": 2}})
    assert answer_environment(FLOW.question("m"), {"r1": 1, "r2": "unknown"}) == {
        "m__r1": "1",
        "m__r2": "unknown",
    }


def test_multiple_choice_and_numbers_become_xpath_strings() -> None:
    question = FLOW.question("q4")
    assert answer_environment(question, 3.0) == {"q4": "3"}
    assert answer_environment(question, 2.5) == {"q4": "2.5"}
    assert answer_environment(question, None) == {}
    assert answer_environment(question, True) == {}


def test_page_navigation_skips_hidden_sections() -> None:
    assert section_after(FLOW, {"q1": "n"}, "a") == "c"
    assert section_after(FLOW, {"q1": "y"}, "a") == "b"
    assert section_after(FLOW, {}, "c") is None
    assert section_before(FLOW, {"q1": "n"}, "c") == "a"
    assert section_before(FLOW, {"q1": "y"}, "c") == "b"
    assert section_before(FLOW, {}, "a") is None


def test_today_is_injectable() -> None:
    questionnaire = parse_definition(
        textwrap.dedent(
            """
            id: t
            title: 时间
            sections:
              - id: s
                title: 部分
                questions:
                  - {name: x, type: text, label: X}
                  - {name: y, type: text, label: Y, relevant: "today() >= '2026-07-01'"}
            """
        ),
        "yaml",
    )
    assert "y" not in visible_questions(questionnaire, {}, today=date(2026, 6, 30))
    assert "y" in visible_questions(questionnaire, {}, today=date(2026, 7, 1))


def test_client_attributes() -> None:
    q2 = question_attributes(FLOW.question("q2"))
    assert q2["data-question"] == "q2"
    assert q2["data-type"] == "rating"
    assert json.loads(q2["data-relevant"]) == expression_to_json("${q1} = 'y'")
    assert "data-required" not in q2
    q1 = question_attributes(FLOW.question("q1"))
    assert q1["data-required"] == "true"
    q4 = question_attributes(FLOW.question("q4"))
    assert (q4["data-min"], q4["data-max"], q4["data-integer"]) == ("0", "9", "true")
    assert q4["data-constraint-message"] == "不能是 7"
    assert question_attributes(FLOW.question("q3"))["data-maxlength"] == "2000"
    assert section_attributes(FLOW.sections[1])["data-section"] == "b"
    assert "data-relevant" in section_attributes(FLOW.sections[1])
    assert option_attributes(FLOW.question("q1"), FLOW.question("q1").options[0]) == {}


def test_form_attributes_carry_only_visible_answers() -> None:
    attributes = form_attributes(FLOW, {"q1": "n", "q2": 5, "m": {"r1": 4}})
    assert json.loads(attributes["data-answers"]) == {"q1": "n", "m__r1": "4"}


def test_choice_filter_attributes() -> None:
    questionnaire = parse_definition(
        textwrap.dedent(
            """
            id: cf
            title: 筛选
            sections:
              - id: s
                title: 部分
                questions:
                  - {name: area, type: single_choice, label: 片区,
                     options: [{value: east, label: 东}, {value: west, label: 西}]}
                  - name: street
                    type: dropdown
                    label: 街道
                    choice_filter: side = ${area}
                    options:
                      - {value: U18, label: 城关街道, attributes: {side: east}}
            """
        ),
        "yaml",
    )
    street = questionnaire.question("street")
    assert json.loads(question_attributes(street)["data-choice-filter"]) == [
        "=",
        ["fld", "side"],
        ["ref", "area"],
    ]
    assert json.loads(option_attributes(street, street.options[0])["data-fields"]) == {
        "side": "east",
        "name": "U18",
        "label": "城关街道",
    }


def test_remembered_condition_outcomes_follow_the_referenced_values_and_the_day() -> None:
    from questionnaires.flow import condition_holds

    day = date(2026, 7, 1)
    for _ in range(2):  # the second round answers from what was remembered
        assert condition_holds("${a} = '1'", {"a": "1"}, day) is True
        assert condition_holds("${a} = '1'", {"a": "2"}, day) is False
        assert condition_holds("${a} = '1'", {"a": "1", "b": "2"}, day) is True
        assert condition_holds("${a} = '1'", {}, day) is False
        assert condition_holds("${a} = ''", {}, day) is True  # missing reads as ""
        assert condition_holds("${d} <= today()", {"d": "2026-07-01"}, day) is True
        assert condition_holds("${d} <= today()", {"d": "2026-07-01"}, date(2026, 6, 30)) is False
        assert condition_holds(". = 'x'", {}, day, current="x") is True
        assert condition_holds(". = 'x'", {}, day, current="y") is False
        assert condition_holds("${a} = ", {"a": "1"}, day) is None  # cannot be compiled
