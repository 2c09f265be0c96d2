"""questionnaires.skipped: answers to questions the skip logic hides, named for the clerk."""

import textwrap

from questionnaires.definition import parse_definition
from questionnaires.skipped import respondent_notice, skipped_answers

FORM = parse_definition(textwrap.dedent("""
    id: skips
    title: 跳题
    sections:
      - id: a
        title: 一
        questions:
          - {name: note0, type: note, label: 说明}
          - {name: ways, type: multiple_choice, label: 办事方式,
             options: [{value: web, label: 网上}, {value: hall, label: 大厅}, {value: phone, label: 电话}]}
          - {name: hall_wait, type: number, label: 排队分钟, relevant: "selected(${ways}, 'hall')"}
          - {name: wait_why, type: text, label: 原因, relevant: "${hall_wait} > 30"}
          - {name: legacy, type: text, label: 旧字段, relevant: "false()"}
          - {name: rows, type: matrix_rating, label: 评价,
             rows: [{id: r1, label: 态度, unit: U01}, {id: r2, label: 效率, unit: U02}]}
          - {name: low, type: text, label: 为何不满, relevant: "${rows__r1} <= 2"}
"""), "yaml")


def test_visible_answers_and_never_asked_items_are_not_reported() -> None:
    answers = {"ways": ["hall"], "hall_wait": 45, "wait_why": "人多", "legacy": "x",
               "rows": {"r1": 1}, "low": "态度差"}
    assert skipped_answers(FORM, answers) == []


def test_each_message_names_the_answers_that_skip_the_question() -> None:
    answers = {"ways": ["web", "phone"], "hall_wait": 45, "wait_why": "人多",
               "rows": {"r1": 5}, "low": "  "}
    found = skipped_answers(FORM, answers)
    assert [item.name for item in found] == ["hall_wait", "wait_why"]  # blank `low` is no answer
    assert found[0].label == "第 2 题"
    assert found[0].message == "第 2 题：按第 1 题的回答（网上、电话）本题应跳过，但填写了内容"
    # hiding cascades: the question it reads is skipped itself, so it counts as not answered
    assert found[1].message == "第 3 题：按第 2 题的回答（未作答）本题应跳过，但填写了内容"


def test_a_matrix_row_condition_shows_the_row_answers() -> None:
    found = skipped_answers(FORM, {"rows": {"r1": 4, "r2": 5}, "low": "态度差"})
    assert [item.message for item in found] == [
        "第 6 题：按第 5 题的回答（态度：满意）本题应跳过，但填写了内容"]


SECTIONED = parse_definition(textwrap.dedent("""
    id: sectioned
    title: 分部分
    sections:
      - id: a
        title: 一
        questions:
          - {name: used, type: single_choice, label: 是否办过事,
             options: [{value: "yes", label: 是}, {value: "no", label: 否}]}
      - id: b
        title: 办事体验
        relevant: "${used} = 'yes'"
        questions:
          - {name: opinion, type: textarea, label: 意见}
"""), "yaml")


def test_the_respondent_reads_the_rule_and_what_to_do() -> None:
    found = skipped_answers(FORM, {"ways": ["web"], "hall_wait": 45})
    assert respondent_notice(found[0], FORM, "下一页") == (
        "第 2 题只在第 1 题选了“大厅”时回答。按您目前的选择，本题将跳过，"
        "您填写的内容不会保存。如需保存，请修改第 1 题；如确认无误，请再点“下一页”。")
    found = skipped_answers(SECTIONED, {"used": "no", "opinion": "排队久"})
    assert respondent_notice(found[0], SECTIONED, "提交问卷") == (
        "第 2 题所在的“办事体验”部分只在第 1 题选“是”时回答。按您目前的选择，本题将跳过，"
        "您填写的内容不会保存。如需保存，请修改第 1 题；如确认无误，请再点“提交问卷”。")
