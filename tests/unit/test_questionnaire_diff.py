"""The Chinese change list shown before a new questionnaire version is published."""

from __future__ import annotations

import copy
from typing import Any

from questionnaires.canonical import to_canonical_dict
from questionnaires.definition import from_canonical_dict
from questionnaires.diff import UNCOMPARED_QUESTION_FIELDS, diff_versions
from questionnaires.shipped import shipped_questionnaires

BASE = shipped_questionnaires()["resident-social-satisfaction"]


def changed(edit: Any) -> list[str]:
    data = copy.deepcopy(to_canonical_dict(BASE))
    edit(data)
    return diff_versions(BASE, from_canonical_dict(data))


def question(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for s in data["sections"] for q in s["questions"] if q["name"] == name)


def test_identical_versions_have_no_changes() -> None:
    assert diff_versions(BASE, from_canonical_dict(to_canonical_dict(BASE))) == []


def test_every_question_field_is_compared() -> None:
    assert not UNCOMPARED_QUESTION_FIELDS


def test_header_and_section_changes() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["title"] = "2027 年社会满意度调查"
        data["sections"][1]["title"] = "二、平安建设"
        data["sections"].insert(
            2,
            {
                "id": "extra",
                "title": "附加",
                "questions": [{"name": "extra_q", "type": "text", "label": "补充"}],
            },
        )

    assert changed(edit) == [
        "问卷标题由「社会满意度调查」改为「2027 年社会满意度调查」",
        "新增部分「附加」",
        "部分「二、平安建设」的标题由「二、社会治安」改为「二、平安建设」",
        "新增题目 extra_q「补充」（部分「附加」）",
    ]


def test_question_field_option_and_row_changes() -> None:
    def edit(data: dict[str, Any]) -> None:
        question(data, "age_group")["options"].pop(0)
        question(data, "age_group")["options"][0]["label"] = "30 至 44 岁"
        question(data, "police_rating")["required"] = False
        question(data, "police_rating")["relevant"] = "${used_police} != 'no'"
        question(data, "city_items")["rows"][0]["unit"] = "U17"
        question(data, "city_items")["rows"].append({"id": "noise", "label": "噪声", "unit": "U06"})
        question(data, "safety_rating")["allow_unknown"] = False

    assert changed(edit) == [
        "题目 age_group 删除选项 a18_29「18–29 岁」",
        "题目 age_group 选项 a30_44 的文字由「30–44 岁」改为「30 至 44 岁」",
        "题目 safety_rating 的“不了解”选项由是改为否",
        "题目 police_rating 的必答由是改为否",
        "题目 police_rating 的显示条件由「${used_police} = 'yes'」改为「${used_police} != 'no'」",
        "题目 city_items 新增矩阵行 noise「噪声」",
        "题目 city_items 矩阵行 cleanliness 的评价单位由「U11」改为「U17」",
    ]


def test_removed_moved_and_reordered_questions() -> None:
    def edit(data: dict[str, Any]) -> None:
        about = data["sections"][0]["questions"]
        about.remove(question(data, "occupation"))
        about.reverse()
        moved = question(data, "city_opinion")
        data["sections"][2]["questions"].remove(moved)
        data["sections"][-1]["questions"].insert(0, moved)

    changes = changed(edit)
    assert "删除题目 occupation「您的职业」" in changes
    assert "题目 city_opinion 从部分「三、城市管理与生活环境」移到「六、总体感受」" in changes
    assert changes[-1] == "题目的顺序有调整"


def test_type_change_is_named_in_chinese() -> None:
    def edit(data: dict[str, Any]) -> None:
        question(data, "street")["type"] = "single_choice"

    assert changed(edit) == ["题目 street 的题型由下拉选择题改为单选题"]
