"""Our definition format: YAML or JSON of one structure, and its canonical dict form.

    id: enterprise-2026            # questionnaire code
    title: 企业营商环境满意度调查
    description: …                 # optional
    intro: …                       # optional: purpose and privacy notice shown first
    version: "2026.1"              # optional
    choice_lists:                  # optional, input only: named option lists to reuse
      yes_no: [{value: "yes", label: 是}, {value: "no", label: 否}]
    sections:
      - id: tax
        title: 税务服务
        relevant: …                # optional: skip the whole section
        questions:
          - name: did_tax
            type: single_choice    # see QuestionType
            label: 过去一年是否办理过涉税业务？
            options: yes_no        # a list name, or a list of {value, label, attributes?}
            required: true         # or an expression
          - name: tax_rating
            type: rating
            label: 您对区税务局的服务是否满意？
            unit: U03
            dimension: 服务态度
            allow_unknown: true
            relevant: ${did_tax} = 'yes'

Question keys: name type label hint required required_message relevant constraint
constraint_message options choice_filter rows unit dimension allow_unknown min max allow_decimal
max_length max_choices opinion. Matrix rows: id label unit dimension.

The canonical dict is the same structure with every option list written out and every default
omitted (`questionnaires.canonical` writes it): deterministic and JSON-safe, so the app can store
and hash a frozen version, and `from_canonical_dict(to_canonical_dict(q)) == q`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import fields as dataclass_fields
from typing import Any, Literal

import yaml

from questionnaires.checks import Locator, check_questionnaire
from questionnaires.model import (
    DefinitionError,
    MatrixRow,
    Option,
    Problem,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)

MAX_DEFINITION_CHARS = 2_000_000
# libyaml's loader when PyYAML was built with it: ten times faster, same safe constructors.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NESTING = 20

QUESTIONNAIRE_KEYS = ("id", "title", "description", "intro", "version", "sections")
SECTION_KEYS = ("id", "title", "description", "relevant", "questions")
# definition key -> Question attribute, in canonical order
QUESTION_KEYS: dict[str, str] = {
    "name": "name",
    "type": "type",
    "label": "label",
    "hint": "hint",
    "required": "required",
    "required_message": "required_message",
    "relevant": "relevant",
    "constraint": "constraint",
    "constraint_message": "constraint_message",
    "options": "options",
    "choice_filter": "choice_filter",
    "rows": "rows",
    "unit": "unit_code",
    "dimension": "dimension",
    "allow_unknown": "allow_unknown",
    "min": "min_value",
    "max": "max_value",
    "allow_decimal": "allow_decimal",
    "max_length": "max_length",
    "max_choices": "max_choices",
    "opinion": "opinion",
}
ROW_KEYS: dict[str, str] = {
    "id": "id",
    "label": "label",
    "unit": "unit_code",
    "dimension": "dimension",
}
OPTION_KEYS = ("value", "label", "attributes")
_BOOL_KEYS = frozenset({"allow_unknown", "allow_decimal", "opinion"})
_INT_KEYS = frozenset({"max_length", "max_choices"})
_NUMBER_KEYS = frozenset({"min", "max"})
QUESTION_DEFAULTS = {f.name: f.default for f in dataclass_fields(Question)}

_TRUE_WORDS = frozenset({"yes", "true", "true()", "y", "1", "是"})
_FALSE_WORDS = frozenset({"no", "false", "false()", "n", "0", "否", ""})


def parse_flag(text: str) -> bool | None:
    """yes/no words used in definition files (XLSForm's `required` column etc.); None if the
    text is not one of them (for `required` it is then an expression)."""
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


# --- reading -----------------------------------------------------------------------------------


def parse_definition(text: str, fmt: Literal["yaml", "json"]) -> Questionnaire:
    """Parse and validate a YAML or JSON definition; DefinitionError lists every problem."""
    if len(text) > MAX_DEFINITION_CHARS:
        raise DefinitionError([Problem("", f"定义文件过大（超过 {MAX_DEFINITION_CHARS} 个字符）")])
    data = _load_yaml(text) if fmt == "yaml" else _load_json(text)
    return from_canonical_dict(data)


def _load_json(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"第 {error.lineno} 行第 {error.colno} 列"
        raise DefinitionError([Problem(where, f"JSON 格式错误（{error.msg}）")]) from None
    except RecursionError:
        raise DefinitionError([Problem("", "JSON 嵌套层数过多")]) from None


def _load_yaml(text: str) -> object:
    try:
        _reject_unsafe_yaml(text)
        return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        message = yaml_message(str(error.problem or ""))
        if mark and _tab_problems(text.splitlines()[mark.line] if mark.line < len(
                text.splitlines()) else "", skip=-1):
            message = "缩进中含有 Tab 制表符，请改用空格"
        problems = [*_tab_problems(text, skip=mark.line if mark else -1),
                    Problem(where, f"YAML 格式错误：{message}")]
        raise DefinitionError(sorted(problems, key=_line_of)) from None
    except yaml.YAMLError:
        raise DefinitionError([Problem("", "YAML 格式错误：文件无法读取，请检查缩进、冒号和引号")]) from None


# PyYAML's messages, said in Chinese with what usually causes them.
_YAML_MESSAGES = (
    ("did not find expected key", "缩进没有对齐或缺少冒号：同一层级的行须左对齐，只用空格缩进"),
    ("mapping values are not allowed", "此处不能出现冒号“:”：可能是缩进有误，或文字中含冒号时未加引号"),
    ("cannot start any token", "含有 Tab 制表符或特殊字符：缩进只能用空格"),
    ("did not find expected '-' indicator", "列表项应以“- ”开头，并与同级各项对齐"),
    ("expected <block end>", "缩进不一致：本行与同一层级的其他行缩进不同"),
    ("found unexpected end of stream", "引号没有配对：缺少结束的引号"),
    ("found unknown escape character", "双引号中的反斜杠“\\”用法有误，可改用单引号"),
    ("could not find expected ':'", "缺少冒号“:”"),
    ("expected ',' or ']'", "方括号列表 [ … ] 不完整或缺少逗号"),
    ("expected ',' or '}'", "花括号 { … } 不完整或缺少逗号"),
    ("found duplicate", "同一层级出现了重复的字段名"),
    ("maximum nesting depth", f"嵌套层数超过 {MAX_NESTING}"),
    ("expected alphabetic or numeric character", "“*”或“&”后应为名称；文字以 * 或 & 开头时请加引号"),
)


def yaml_message(problem: str) -> str:
    for english, chinese in _YAML_MESSAGES:
        if english in problem:
            return chinese
    return "无法识别的格式，请检查本行及上一行的缩进、冒号和引号"


def _tab_problems(text: str, skip: int) -> list[Problem]:
    """Every line indented with a Tab, at once (the parser stops at the first problem)."""
    return [
        Problem(f"第 {number} 行", "缩进中含有 Tab 制表符，请改用空格")
        for number, line in enumerate(text.splitlines(), start=1)
        if number - 1 != skip and "\t" in line[: len(line) - len(line.lstrip())]
    ]


def _line_of(problem: Problem) -> int:
    digits = "".join(ch if ch.isdigit() else " " for ch in problem.location).split()
    return int(digits[0]) if digits else 0


def _reject_unsafe_yaml(text: str) -> None:
    # Aliases let a few lines expand into an exponentially large document ("billion laughs"),
    # and deep nesting exhausts the recursive composer; neither is needed in a definition.
    depth = 0
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise _yaml_problem(event, "不支持 YAML 别名（*引用），请直接写出内容")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise _yaml_problem(event, f"嵌套层数超过 {MAX_NESTING}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _yaml_problem(event: yaml.Event, message: str) -> DefinitionError:
    mark = event.start_mark
    where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
    return DefinitionError([Problem(where, message)])


def from_canonical_dict(
    data: object, locator: Callable[[Questionnaire], Locator] | None = None
) -> Questionnaire:
    """Build and validate a questionnaire from its dict form (canonical, or with choice_lists).

    `locator` words the places of semantic problems (default: by position and name, as for
    YAML); the browser builder names sections and questions by their titles instead."""
    builder = _Builder()
    questionnaire = builder.questionnaire(data)
    if builder.problems or questionnaire is None:
        raise DefinitionError(builder.problems)
    problems = check_questionnaire(questionnaire, locator(questionnaire) if locator else None)
    if problems:
        raise DefinitionError(problems)
    return questionnaire


class _Builder:
    """Turns plain data into the model, collecting structural problems with their path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.choice_lists: dict[str, tuple[Option, ...]] = {}

    def report(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def mapping(
        self, data: object, where: str, allowed: tuple[str, ...] | Mapping[str, str]
    ) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.report(where, "应为键值对（映射）")
            return None
        for key in data:
            if key not in allowed:
                self.report(where, f"未知的字段“{key}”（可用：{'、'.join(allowed)}）")
        return data

    def text(self, data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
        value = data.get(key)
        if value is None or (required and isinstance(value, str) and not value.strip()):
            if required:
                self.report(where, f"缺少 {key}")
            return ""
        if isinstance(value, bool):
            self.report(where, f"{key} 应为文字；YAML 中 yes/no/true/false/on/off 须加引号")
            return ""
        if isinstance(value, int | float):
            return _number_text(value)
        if not isinstance(value, str):
            self.report(where, f"{key} 应为文字")
            return ""
        return value.strip()

    def questionnaire(self, data: object) -> Questionnaire | None:
        top = self.mapping(data, "问卷", (*QUESTIONNAIRE_KEYS, "choice_lists"))
        if top is None:
            return None
        self.read_choice_lists(top.get("choice_lists"))
        sections_data = top.get("sections")
        if not isinstance(sections_data, list):
            self.report("问卷", "缺少 sections（部分列表）")
            sections_data = []
        sections = [
            section
            for index, item in enumerate(sections_data)
            if (section := self.section(item, index)) is not None
        ]
        return Questionnaire(
            id=self.text(top, "id", "问卷", required=True),
            title=self.text(top, "title", "问卷", required=True),
            sections=tuple(sections),
            description=self.text(top, "description", "问卷"),
            intro=self.text(top, "intro", "问卷"),
            version=self.text(top, "version", "问卷"),
        )

    def read_choice_lists(self, data: object) -> None:
        if data is None:
            return
        if not isinstance(data, dict):
            self.report("choice_lists", "应为“列表名: 选项列表”的映射")
            return
        for name, options in data.items():
            self.choice_lists[str(name)] = self.options(options, f"choice_lists 的 {name}")

    def section(self, data: object, index: int) -> Section | None:
        where = f"第 {index + 1} 部分"
        section = self.mapping(data, where, SECTION_KEYS)
        if section is None:
            return None
        section_id = self.text(section, "id", where, required=True)
        where = f"第 {index + 1} 部分（{section_id}）"
        questions_data = section.get("questions")
        if not isinstance(questions_data, list):
            self.report(where, "缺少 questions（题目列表）")
            questions_data = []
        questions = [
            question
            for q_index, item in enumerate(questions_data)
            if (question := self.question(item, f"第 {index + 1} 部分第 {q_index + 1} 题"))
            is not None
        ]
        return Section(
            id=section_id,
            title=self.text(section, "title", where),
            questions=tuple(questions),
            description=self.text(section, "description", where),
            relevant=self.text(section, "relevant", where),
        )

    def question(self, data: object, where: str) -> Question | None:
        question = self.mapping(data, where, QUESTION_KEYS)
        if question is None:
            return None
        name = self.text(question, "name", where, required=True)
        where = f"{where}（{name}）" if name else where
        type_text = self.text(question, "type", where, required=True)
        try:
            kind = QuestionType(type_text)
        except ValueError:
            if type_text:
                choices = "、".join(member.value for member in QuestionType)
                self.report(where, f"未知的题型“{type_text}”（可用：{choices}）")
            return None
        values: dict[str, Any] = {"name": name, "type": kind}
        for key, attribute in QUESTION_KEYS.items():
            if key in ("name", "type") or key not in question or question[key] is None:
                continue
            values[attribute] = self.question_value(question, key, f"{where}的 {key}")
        if "label" not in values:
            self.report(where, "缺少 label（题目文字）")
            values["label"] = ""
        return Question(**values)

    def question_value(self, question: Mapping[str, Any], key: str, where: str) -> Any:
        at = f"{where}的 {key}"
        value = question[key]
        if key == "options":
            if isinstance(value, str):
                if value not in self.choice_lists:
                    self.report(at, f"选项列表“{value}”不存在（请在 choice_lists 中定义）")
                return self.choice_lists.get(value, ())
            return self.options(value, at)
        if key == "rows":
            return self.rows(value, at)
        if key == "required":
            return self.required(value, at)
        if key in _BOOL_KEYS:
            return self.flag(value, at)
        if key in _INT_KEYS:
            number = self.number(value, at)
            if number is not None and not isinstance(number, int):
                self.report(at, "应为整数")
                return None
            return number
        if key in _NUMBER_KEYS:
            return self.number(value, at)
        return self.text(question, key, where)

    def required(self, value: object, where: str) -> bool | str:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            flag = parse_flag(value)
            return value.strip() if flag is None else flag
        self.report(where, "应为 true/false 或表达式")
        return False

    def flag(self, value: object, where: str) -> bool:
        if isinstance(value, bool):
            return value
        flag = parse_flag(value) if isinstance(value, str) else None
        if flag is None:
            self.report(where, "应为 true 或 false")
            return False
        return flag

    def number(self, value: object, where: str) -> int | float | None:
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                self.report(where, f"“{value}”不是数字")
                return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.report(where, "应为数字")
            return None
        return parse_number(value)

    def options(self, data: object, where: str) -> tuple[Option, ...]:
        if not isinstance(data, list):
            self.report(where, "应为选项列表（每项含 value 和 label）或选项列表名")
            return ()
        options: list[Option] = []
        for index, item in enumerate(data):
            at = f"{where} 第 {index + 1} 项"
            option = self.mapping(item, at, OPTION_KEYS)
            if option is None:
                continue
            attributes = option.get("attributes") or {}
            if not isinstance(attributes, dict):
                self.report(at, "attributes 应为“列名: 值”的映射")
                attributes = {}
            options.append(
                Option(
                    value=self.text(option, "value", at, required=True),
                    label=self.text(option, "label", at),
                    # sorted, so every format builds the same tuple
                    attributes=tuple(
                        sorted((str(key), self.text(attributes, key, at)) for key in attributes)
                    ),
                )
            )
        return tuple(options)

    def rows(self, data: object, where: str) -> tuple[MatrixRow, ...]:
        if not isinstance(data, list):
            self.report(where, "应为行列表（每行含 id 和 label）")
            return ()
        rows: list[MatrixRow] = []
        for index, item in enumerate(data):
            at = f"{where} 第 {index + 1} 行"
            row = self.mapping(item, at, ROW_KEYS)
            if row is not None:
                values = {
                    attr: self.text(row, key, at, required=key == "id")
                    for key, attr in ROW_KEYS.items()
                }
                rows.append(MatrixRow(**values))
        return tuple(rows)


def parse_number(value: int | float) -> int | float:
    """Integral numbers become ints so that equal definitions have equal canonical forms."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number_text(value: int | float) -> str:
    return str(parse_number(value))
