"""Form coercion, server-side answer validation, and the normalised rows for scoring/opinions."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.answers import (
    coerce_form_answers,
    merge_section_answers,
    opinion_texts,
    relevant_answers,
    scored_answers,
    validate_answers,
)
from questionnaires.definition import parse_definition

TODAY = date(2026, 3, 15)
FORM = parse_definition(
    textwrap.dedent(
        """
        id: answers
        title: 答案
        sections:
          - id: one
            title: 一
            questions:
              - {name: used, type: single_choice, label: 办过吗, required: true,
                 options: [{value: "y", label: 是}, {value: "n", label: 否}]}
              - {name: rate, type: rating, label: 满意吗, unit: U03, dimension: 服务态度,
                 relevant: "${used} = 'y'", required: true, allow_unknown: true}
              - {name: why, type: textarea, label: 原因, unit: U03, opinion: true,
                 relevant: "${rate} <= 2", max_length: 10}
              - {name: many, type: multiple_choice, label: 多选, max_choices: 2,
                 options: [{value: a, label: A}, {value: b, label: B}, {value: c, label: C}]}
          - id: two
            title: 二
            questions:
              - name: grid
                type: matrix_rating
                label: 矩阵
                required: true
                dimension: 综合评价
                rows: [{id: U01, label: 发改局, unit: U01}, {id: U02, label: 市场局, unit: U02}]
              - {name: staff, type: number, label: 人数, min: 1, max: 500,
                 constraint: ". mod 2 = 0", constraint_message: 请填偶数}
              - {name: share, type: number, label: 占比, allow_decimal: true, max: 100}
              - {name: score, type: scale10, label: 打分, required: "${used} = 'y'"}
              - {name: founded, type: date, label: 成立日期, constraint: ". <= today()",
                 constraint_message: 不能晚于今天}
              - {name: code, type: text, label: 邮编, constraint: "regex(., '[0-9]{6}')"}
              - {name: area, type: single_choice, label: 片区,
                 options: [{value: east, label: 东}, {value: west, label: 西}]}
              - name: street
                type: dropdown
                label: 街道
                choice_filter: side = ${area}
                options:
                  - {value: U18, label: 城关街道, attributes: {side: east}}
                  - {value: U20, label: 西山街道, attributes: {side: west}}
              - {name: info, type: note, label: 说明}
        """
    ),
    "yaml",
)
COMPLETE = {
    "used": "y",
    "rate": 2,
    "why": "太慢",
    "many": ["a", "b"],
    "grid": {"U01": 5, "U02": 3},
    "staff": 10,
    "share": 12.5,
    "score": 7,
    "founded": "2020-05-01",
    "code": "100101",
    "area": "east",
    "street": "U18",
}


def check(answers: Mapping[str, object], **options: object) -> dict[str, str]:
    return validate_answers(FORM, answers, today=TODAY, **options)  # type: ignore[arg-type]


def test_complete_answers_are_valid() -> None:
    assert check(COMPLETE) == {}


def test_required_messages() -> None:
    assert check({}) == {
        "used": "此题为必答题",
        "grid__U01": "请对“发改局”作出评价",
        "grid__U02": "请对“市场局”作出评价",
    }
    # required by expression
    assert check({"used": "y"})["score"] == "此题为必答题"
    assert "score" not in check({"used": "n"})


def test_partial_skips_required_but_checks_values() -> None:
    assert check({}, partial=True) == {}
    assert check({"staff": 3}, partial=True) == {"staff": "请填偶数"}


def test_section_scope() -> None:
    errors = check({"used": "y", "rate": 4}, section_id="two")
    assert set(errors) == {"grid__U01", "grid__U02", "score"}
    with pytest.raises(ValueError, match="没有编号为“three”的部分"):
        check({}, section_id="three")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("used", "maybe", "请从给出的选项中选择"),
        ("used", 1, "答案格式不正确"),
        ("rate", 6, "请选择一个评价等级（或“不了解”）"),
        ("rate", "5", "请选择一个评价等级（或“不了解”）"),  # typed answers hold integers
        ("rate", True, "请选择一个评价等级（或“不了解”）"),
        ("why", "一二三四五六七八九十壹", "不能超过 10 个字（现有 11 个）"),
        ("why", "a\x00b", "包含无效的控制字符"),
        ("many", ["a", "b", "c"], "最多选择 2 项"),
        ("many", ["a", "a"], "选项不能重复选择"),
        ("many", ["z"], "请从给出的选项中选择"),
        ("many", "a", "答案格式不正确"),
        ("staff", 0, "请输入 1 到 500 之间的数"),
        ("staff", 2.5, "请输入整数"),
        ("staff", "ten", "请输入数字"),
        ("staff", float("nan"), "请输入数字"),
        ("staff", 7, "请填偶数"),
        ("share", 100.5, "不能大于 100"),
        ("score", 11, "请选择 0–10 之间的分值"),
        ("score", 3.0, "请选择 0–10 之间的分值"),
        ("founded", "2026-03-16", "不能晚于今天"),
        ("founded", "2026-02-30", "请输入有效的日期（年-月-日）"),
        ("founded", "15/03/2026", "请输入有效的日期（年-月-日）"),
        ("code", "10010", "答案不符合要求"),
        ("street", "U20", "请从给出的选项中选择"),  # filtered out: area is east
    ],
)
def test_value_problems(name: str, value: object, message: str) -> None:
    assert check({**COMPLETE, name: value}).get(name) == message


def test_matrix_problems_are_per_row() -> None:
    assert check({**COMPLETE, "grid": {"U01": 5, "U02": "unknown"}}) == {
        "grid__U02": "请选择一个评价等级"
    }
    assert check({**COMPLETE, "grid": {"U01": 5, "U99": 3}}) == {"grid": "答案格式不正确"}
    assert check({**COMPLETE, "grid": [5, 3]}) == {"grid": "答案格式不正确"}


def test_answers_to_hidden_questions_are_dropped_not_errors() -> None:
    answers = {**COMPLETE, "used": "n", "rate": 99, "why": 12, "score": 7}
    assert check(answers) == {}
    kept = relevant_answers(FORM, answers, today=TODAY)
    assert "rate" not in kept and "why" not in kept
    assert kept["score"] == 7


def test_unknown_keys_and_notes_are_dropped() -> None:
    kept = relevant_answers(FORM, {**COMPLETE, "nosuch": 1, "info": "x", "many": []})
    assert "nosuch" not in kept and "info" not in kept and "many" not in kept


def test_scored_answers() -> None:
    scored = scored_answers(FORM, {**COMPLETE, "rate": "unknown"}, today=TODAY)
    assert [(s.question, s.row, s.unit_code, s.dimension, s.level, s.unknown) for s in scored] == [
        ("rate", None, "U03", "服务态度", None, True),
        ("grid", "U01", "U01", "综合评价", 5, False),
        ("grid", "U02", "U02", "综合评价", 3, False),
    ]
    # hidden or invalid ratings are not scored
    assert [s.question for s in scored_answers(FORM, {**COMPLETE, "used": "n"})] == ["grid", "grid"]
    assert scored_answers(FORM, {"used": "y", "rate": 9}) == []


def test_opinion_texts() -> None:
    opinions = opinion_texts(FORM, COMPLETE, today=TODAY)
    assert [(o.question, o.unit_code, o.text) for o in opinions] == [("why", "U03", "太慢")]
    assert opinion_texts(FORM, {**COMPLETE, "rate": 4}) == []  # the question is hidden


def test_coerce_form_answers() -> None:
    form = {
        "used": ["y"],
        "rate": ["unknown"],
        "why": ["  第一行\r\n第二行\x07  "],
        "many": ["a", "c", "a", ""],
        "grid__U01": ["5"],
        "grid__U02": [""],
        "staff": ["１,２０"],  # full-width digits and a thousands separator
        "share": ["12.5"],
        "score": ["ten"],
        "founded": ["2020-01-31"],
        "info": ["ignored"],
        "_csrf_token": ["secret"],
    }
    assert coerce_form_answers(FORM, form) == {
        "used": "y",
        "rate": "unknown",
        "why": "第一行\n第二行",
        "many": ["a", "c"],
        "grid": {"U01": 5},
        "staff": 120,
        "share": 12.5,
        "score": "ten",  # kept as text so validation can say what is wrong
        "founded": "2020-01-31",
    }
    assert coerce_form_answers(FORM, form, "one") == {
        "used": "y",
        "rate": "unknown",
        "why": "第一行\n第二行",
        "many": ["a", "c"],
    }


def test_coerced_form_validates_like_typed_answers() -> None:
    form = {
        "used": ["y"],
        "rate": ["2"],
        "why": ["太慢"],
        "grid__U01": ["5"],
        "grid__U02": ["3"],
        "score": ["7"],
    }
    answers = coerce_form_answers(FORM, form)
    assert answers["rate"] == 2 and answers["score"] == 7
    assert check(answers) == {}


def test_merge_section_answers_replaces_only_that_section() -> None:
    stored = {"used": "y", "rate": 4, "staff": 10, "grid": {"U01": 1}}
    merged = merge_section_answers(FORM, stored, {"grid": {"U01": 5, "U02": 4}}, "two")
    assert merged == {"used": "y", "rate": 4, "grid": {"U01": 5, "U02": 4}}


@settings(max_examples=80, deadline=None)
@given(
    values=st.dictionaries(
        st.sampled_from(["used", "rate", "why", "many", "grid__U01", "staff", "score", "founded"]),
        st.lists(st.text(max_size=30), max_size=3),
    )
)
def test_any_form_input_gives_messages_not_exceptions(values: dict[str, list[str]]) -> None:
    answers = coerce_form_answers(FORM, values)
    errors = validate_answers(FORM, answers, today=TODAY)
    assert all(isinstance(message, str) and message for message in errors.values())
