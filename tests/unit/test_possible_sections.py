"""flow.possible_sections: which later steps a page must count (and offer 下一页 for)."""

import textwrap

from questionnaires.client_logic import later_attributes
from questionnaires.definition import parse_definition
from questionnaires.flow import possible_sections

FORM = parse_definition(textwrap.dedent("""
    id: steps
    title: 步骤
    sections:
      - id: a
        title: 一
        questions:
          - {name: kind, type: single_choice, label: 类型,
             options: [{value: "x", label: 甲}, {value: "y", label: 乙}]}
      - id: b
        title: 二
        questions:
          - {name: used, type: single_choice, label: 办过吗,
             options: [{value: "yes", label: 是}, {value: "no", label: 否}]}
      - id: c
        title: 三
        relevant: "${used} = 'yes'"
        questions:
          - {name: rate, type: text, label: 感受}
      - id: d
        title: 四
        relevant: "${kind} = 'x'"
        questions:
          - {name: more, type: text, label: 补充}
    """), "yaml")


def test_a_step_reading_this_page_counts_whatever_it_says_now() -> None:
    assert possible_sections(FORM, {"kind": "y"}, "b") == ("a", "b", "c")
    assert possible_sections(FORM, {"kind": "y", "used": "no"}, "b") == ("a", "b", "c")


def test_a_step_ruled_out_by_an_earlier_page_does_not_count() -> None:
    assert possible_sections(FORM, {"kind": "y", "used": "no"}, "c")[-1] == "c"
    assert possible_sections(FORM, {"kind": "x", "used": "yes"}, "c") == ("a", "b", "c", "d")


def test_a_step_reading_an_unanswered_later_question_counts() -> None:
    assert possible_sections(FORM, {}, "a") == ("a", "b", "c", "d")
    # c reads `used` (page b): counted until it is answered; d reads `kind`, on page a itself
    assert possible_sections(FORM, {"kind": "y", "used": "no"}, "a") == ("a", "b", "d")


def test_later_attributes_only_when_a_later_step_has_a_condition() -> None:
    assert "data-later" in later_attributes(FORM, "a")
    assert later_attributes(FORM, "d") == {}
