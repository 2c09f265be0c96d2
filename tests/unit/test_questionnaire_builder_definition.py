"""questionnaires/builder.py: the builder's JSON read like a YAML import, problems by titles."""

import pytest

from questionnaires.builder import (
    BuilderError,
    blank_definition,
    describe_place,
    read_builder_definition,
)
from questionnaires.canonical import to_canonical_dict
from questionnaires.definition import from_canonical_dict
from questionnaires.shipped import shipped_questionnaires


def test_blank_definition_is_valid_and_compact() -> None:
    questionnaire = read_builder_definition(blank_definition("new-survey", "新问卷"))
    assert questionnaire.title == "新问卷"
    assert to_canonical_dict(questionnaire) == blank_definition("new-survey", "新问卷")


def test_a_shipped_template_round_trips_unchanged() -> None:
    # What the builder starts from and sends back untouched is stored exactly as before.
    for questionnaire in shipped_questionnaires().values():
        definition = to_canonical_dict(questionnaire)
        assert to_canonical_dict(read_builder_definition(definition)) == definition
        assert read_builder_definition(definition) == from_canonical_dict(definition)


def test_places_are_worded_by_titles() -> None:
    assert describe_place(None, None, "title", None) == "问卷的标题"
    assert describe_place(1, None, "relevant", None, "税务服务") == "第 2 部分「税务服务」的显示条件"
    long_label = "您对区税务局在办理涉税业务过程中的服务态度和办事效率是否满意？"
    assert describe_place(0, 2, "options", 0, "基本情况", long_label) == (
        "第 1 部分「基本情况」第 3 题「您对区税务局在办理涉税业务过程中的服务态度和办事…」的选项 第 1 项"
    )
    assert describe_place(0, 0, "rows", 4, "", "") == (
        "第 1 部分（未填标题）第 1 题（未填题目文字）的矩阵行 第 5 行"
    )


def _definition(**question: object) -> dict:
    definition = blank_definition("t", "测试")
    definition["sections"][0]["title"] = "基本情况"
    definition["sections"][0]["questions"].append({"name": "q2", "label": "第二题", **question})
    return definition


def test_semantic_problems_carry_their_indices() -> None:
    with pytest.raises(BuilderError) as caught:
        read_builder_definition(_definition(type="text", relevant="${q1} = 'x' and ${q9} = 1",
                                            constraint="string-length(.) <="))
    problems = {(p.location, p.message, p.section, p.question, p.field)
                for p in caught.value.problems}
    assert ("第 1 部分「基本情况」第 2 题「第二题」的显示条件", "引用的题目已被删除或不存在（${q9}）", 0, 1,
            "relevant") in problems
    assert any(p[0].endswith("的校验条件") and p[4] == "constraint" for p in problems)
    assert all("（q2）" not in p[0] for p in problems)  # titles, not keys


def test_structural_problems_are_reworded_by_titles() -> None:
    with pytest.raises(BuilderError) as caught:
        read_builder_definition(_definition(type="number", max="很多"))
    [problem] = caught.value.problems
    assert problem.location == "第 1 部分「基本情况」第 2 题「第二题」的最大值"
    assert problem.message == "“很多”不是数字"
    assert (problem.section, problem.question, problem.field) == (0, 1, "max")


@pytest.mark.parametrize("data", [None, [], {"sections": "x"}, "text"])
def test_a_shapeless_body_is_one_problem(data: object) -> None:
    with pytest.raises(BuilderError) as caught:
        read_builder_definition(data)
    assert [p.location for p in caught.value.problems] == ["问卷"]
