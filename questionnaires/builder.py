"""The browser builder's side of the definition format: reading what it sends, and saying where
each problem is in the words a clerk sees on the builder page.

The builder edits the canonical dict form (see definition.py) as JSON, so it is read by the same
parser and checks as a YAML or JSON import; only the wording of locations differs: a problem is
placed by section and question *titles* ("第 2 部分「税务服务」第 3 题「您对区税务局…」的显示条件"),
never by internal keys alone, and it carries the indices so that the page can open the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from questionnaires.checks import Locator, Place
from questionnaires.definition import from_canonical_dict
from questionnaires.model import DefinitionError, Questionnaire

# Definition keys as the builder's form calls them.
FIELD_LABELS = {
    "id": "编号", "name": "题目编号", "title": "标题", "description": "说明", "intro": "开场说明",
    "version": "版本号", "sections": "部分", "questions": "题目", "type": "题型",
    "label": "题目文字", "hint": "提示", "required": "必答", "required_message": "必答提示",
    "relevant": "显示条件", "constraint": "校验条件", "constraint_message": "校验提示",
    "options": "选项", "choice_filter": "选项筛选条件", "rows": "矩阵行", "unit": "评价单位",
    "dimension": "评价维度", "allow_unknown": "“不了解”选项", "min": "最小值", "max": "最大值",
    "allow_decimal": "允许小数", "max_length": "最多字数", "max_choices": "最多可选项数",
    "opinion": "意见建议",
}
SHORT_TITLE = 24  # characters of a title quoted in a location
# A definition key named in a check's message ("缺少题目文字（label）"): YAML authors need it,
# a clerk on the builder page never sees keys. "缺少 label（题目文字）" and "（label）" keep only
# the Chinese; a bare key is named in Chinese.
_KEY_IN_MESSAGE = re.compile(
    r" ?(?<![A-Za-z0-9_{])([a-z_]+)(?![A-Za-z0-9_}])(?:（([^）]*)）)? ?|（([a-z_]+)）"
)
_QUOTED = re.compile(r"(“[^”]*”)")
_REFERENCE = re.compile(r"\$\{([^}]+)\}")
_MISSING_REFERENCE = re.compile(r"引用了不存在的题目 (\$\{[^}]+\})")
# Where definition.py's structural reader puts a problem: "第 2 部分第 3 题（q5）的 min".
_STRUCTURE_PLACE = re.compile(
    r"第 (\d+) 部分(?:（[^）]*）)?(?:第 (\d+) 题)?(?:（[^）]*）)?(?:的 ([A-Za-z_]+))?"
)


@dataclass(frozen=True)
class BuilderProblem:
    location: str  # in Chinese, by titles
    message: str
    section: int | None = None  # indices into the definition, for the page to open the place
    question: int | None = None
    field: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"location": self.location, "message": self.message, "section": self.section,
                "question": self.question, "field": self.field}


class BuilderError(ValueError):
    def __init__(self, problems: list[BuilderProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{p.location}：{p.message}" for p in problems))


def _quoted(text: str, fallback: str) -> str:
    text = " ".join(str(text or "").split())
    if not text:
        return f"（{fallback}）"
    return f"「{text[:SHORT_TITLE]}…」" if len(text) > SHORT_TITLE else f"「{text}」"


def _numbering(data: Any) -> dict[str, str]:
    """Question name → "第 4 题「…」", numbered as the builder page numbers them."""
    found: dict[str, str] = {}
    try:
        questions = [q for s in data["sections"] for q in s["questions"]]
    except (KeyError, TypeError):
        return found
    for number, question in enumerate(questions, 1):
        if isinstance(question, dict) and isinstance(question.get("name"), str):
            found[question["name"]] = f"第 {number} 题{_quoted(question.get('label', ''), '未填题目文字')}"
    return found


def _clerk_words(message: str, numbering: dict[str, str]) -> str:
    """A check's message in the builder's words: no definition keys ("（label）" dropped, a bare
    key named), a referenced question by its number and text (the expression keeps ${name})."""
    def reword(match: re.Match[str]) -> str:
        key, chinese, bracketed = match.groups()
        if bracketed:
            return "" if bracketed in FIELD_LABELS else match.group(0)
        if key not in FIELD_LABELS:
            return match.group(0)
        return chinese or FIELD_LABELS[key]

    def question(match: re.Match[str]) -> str:
        words = numbering.get(match.group(1).split("__")[0])
        return f"{words}（{match.group(0)}）" if words else match.group(0)

    def unquoted(part: str) -> str:
        part = _MISSING_REFERENCE.sub(r"引用的题目已被删除或不存在（\1）", part)
        return _REFERENCE.sub(question, _KEY_IN_MESSAGE.sub(reword, part))

    # What is quoted (“${q1} >”, a typed expression or value) is shown exactly as typed.
    parts = _QUOTED.split(message)
    return "".join(part if index % 2 else unquoted(part) for index, part in enumerate(parts))


def describe_place(
    section: int | None, question: int | None, field: str, item: int | None,
    section_title: str = "", question_label: str = "",
) -> str:
    """"第 2 部分「…」第 3 题「…」的显示条件 第 1 项" (or "问卷的标题")."""
    if section is None:
        where = "问卷"
    else:
        where = f"第 {section + 1} 部分{_quoted(section_title, '未填标题')}"
        if question is not None:
            where += f"第 {question + 1} 题{_quoted(question_label, '未填题目文字')}"
    if field:
        where += f"的{FIELD_LABELS.get(field, field)}"
    if item is not None:
        where += f" 第 {item + 1} " + ("行" if field == "rows" else "项")
    return where


def _recording_locator(places: list[Place]) -> Any:
    """A locator for check_questionnaire that also keeps each Place, in report order (the
    checker locates every problem exactly once, as it reports it)."""

    def for_questionnaire(questionnaire: Questionnaire) -> Locator:
        def locate(place: Place) -> str:
            places.append(place)
            section = questionnaire.sections[place.section] if place.section is not None else None
            question = (
                section.questions[place.question]
                if section is not None and place.question is not None else None
            )
            return describe_place(
                place.section, place.question, place.field, place.item,
                section.title if section else "", question.label if question else "",
            )

        return locate

    return for_questionnaire


def _raw_title(data: Any, section: int, question: int | None) -> tuple[str, str]:
    try:
        raw_section = data["sections"][section]
        label = raw_section["questions"][question].get("label", "") if question is not None else ""
        return str(raw_section.get("title", "")), str(label)
    except (KeyError, IndexError, TypeError, AttributeError):
        return "", ""


def _structure_problem(data: Any, location: str, message: str) -> BuilderProblem:
    """A problem of the structural reader (worded by position and key) reworded by titles."""
    match = _STRUCTURE_PLACE.search(location)
    if match is None:
        field = location.split("的 ")[-1] if "的 " in location else ""
        return BuilderProblem(describe_place(None, None, field, None), message, field=field)
    section = int(match.group(1)) - 1
    question = int(match.group(2)) - 1 if match.group(2) else None
    field = match.group(3) or ""
    title, label = _raw_title(data, section, question)
    return BuilderProblem(
        describe_place(section, question, field, None, title, label), message, section, question,
        field,
    )


def _untitled_sections(sections: list[Any]) -> list[BuilderProblem]:
    """A section title is optional in YAML (and in stored definitions, which must stay readable),
    but the builder page names sections by their titles and shows them to respondents as headings,
    so a clerk must give each one."""
    return [
        BuilderProblem(describe_place(index, None, "", None), "缺少标题", index, field="title")
        for index, section in enumerate(sections)
        if isinstance(section, dict) and not str(section.get("title") or "").strip()
    ]


def read_builder_definition(data: object) -> Questionnaire:
    """The builder's JSON → questionnaire, through the same reader and checks as a YAML import
    plus the builder's own (every section titled); BuilderError lists every problem with its
    place worded by titles."""
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        raise BuilderError([BuilderProblem("问卷", "编辑器发送的内容格式有误，请刷新页面后重试")])
    untitled = _untitled_sections(data["sections"])
    try:
        questionnaire = _read_checked(data)
    except BuilderError as error:
        raise BuilderError(untitled + error.problems) from None
    if untitled:
        raise BuilderError(untitled)
    return questionnaire


def _read_checked(data: dict[str, Any]) -> Questionnaire:
    places: list[Place] = []
    numbering = _numbering(data)
    try:
        return from_canonical_dict(data, _recording_locator(places))
    except DefinitionError as error:
        if len(places) == len(error.problems):  # the semantic checks ran: each has its Place
            raise BuilderError([
                BuilderProblem(
                    p.location, _clerk_words(p.message, numbering), place.section, place.question,
                    place.field,
                )
                for p, place in zip(error.problems, places, strict=True)
            ]) from None
        raise BuilderError(
            [_structure_problem(data, p.location, _clerk_words(p.message, numbering))
             for p in error.problems]
        ) from None


def blank_definition(code: str, title: str) -> dict[str, Any]:
    """A new questionnaire to start building from: one section with one single-choice question
    (a definition must have at least one question to be valid)."""
    return {
        "id": code,
        "title": title,
        "sections": [{
            "id": "s1",
            "title": "第一部分",
            "questions": [{
                "name": "q1", "type": "single_choice", "label": "请输入题目",
                "options": [{"value": "1", "label": "选项 1"}, {"value": "2", "label": "选项 2"}],
            }],
        }],
    }
