"""Semantic checks of a built questionnaire, shared by every definition format.

Each problem names a `Place` (section / question / field / item index); a `Locator` supplied by
the format turns it into words the author can act on ("第 2 部分第 3 题（tax）的 relevant" for
YAML/JSON, "survey 工作表第 12 行 F 列（relevant）" for XLSForm).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from questionnaires.expressions import Expression, ExpressionError, compile_expression
from questionnaires.model import (
    CHOICE_TYPES,
    NAME_PATTERN,
    ROW_ID_PATTERN,
    ROW_SEPARATOR,
    SATISFACTION_TYPES,
    TEXT_TYPES,
    UNIT_CODE_PATTERN,
    Problem,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)

MAX_SECTIONS = 200
MAX_QUESTIONS = 1000
MAX_OPTIONS = 3000
MAX_ROWS = 100
MAX_LABEL_LENGTH = 2000
MAX_DIMENSION_LENGTH = 20
MAX_OPTION_VALUE_LENGTH = 64
MAX_TEXT_LIMIT = 20000
QUESTIONNAIRE_ID_PATTERN = NAME_PATTERN


@dataclass(frozen=True)
class Place:
    section: int | None = None  # index into Questionnaire.sections
    question: int | None = None  # index into Section.questions
    field: str = ""  # definition key: label, relevant, options, rows, unit …
    item: int | None = None  # index of an option or matrix row


Locator = Callable[[Place], str]


def structure_locator(questionnaire: Questionnaire) -> Locator:
    """Locations by position and name, for YAML/JSON definitions."""

    def locate(place: Place) -> str:
        if place.section is None:
            where = "问卷"
        else:
            section = questionnaire.sections[place.section]
            if place.question is None:
                where = f"第 {place.section + 1} 部分（{section.id}）"
            else:
                question = section.questions[place.question]
                where = f"第 {place.section + 1} 部分第 {place.question + 1} 题（{question.name}）"
        if place.field:
            where += f"的 {place.field}"
        if place.item is not None:
            where += f" 第 {place.item + 1} 项"
        return where

    return locate


def check_questionnaire(
    questionnaire: Questionnaire, locate: Locator | None = None
) -> list[Problem]:
    """Every semantic problem of the definition (empty list = valid)."""
    return _Checker(questionnaire, locate or structure_locator(questionnaire)).run()


class _Checker:
    def __init__(self, questionnaire: Questionnaire, locate: Locator) -> None:
        self.questionnaire = questionnaire
        self.locate = locate
        self.problems: list[Problem] = []
        self.earlier: dict[str, Question] = {}  # questions before the one being checked
        self.all_questions = {q.name: q for q in questionnaire.iter_questions()}

    def report(self, place: Place, message: str) -> None:
        self.problems.append(Problem(self.locate(place), message))

    def run(self) -> list[Problem]:
        self.check_header()
        self.check_names()
        for s_index, section in enumerate(self.questionnaire.sections):
            self.check_section(s_index, section)
            for q_index, question in enumerate(section.questions):
                self.check_question(Place(s_index, q_index), question)
                self.earlier[question.name] = question
        return self.problems

    def check_header(self) -> None:
        q = self.questionnaire
        if not QUESTIONNAIRE_ID_PATTERN.fullmatch(q.id):
            self.report(
                Place(field="id"),
                f"问卷编号“{q.id}”无效：须以字母或下划线开头，"
                "只含字母、数字、_ . -，最长 64 个字符",
            )
        if not q.title.strip():
            self.report(Place(field="title"), "缺少问卷标题")
        if not q.sections:
            self.report(Place(field="sections"), "问卷至少需要一个部分")
        if len(q.sections) > MAX_SECTIONS:
            self.report(Place(field="sections"), f"部分数量超过上限 {MAX_SECTIONS}")
        count = sum(len(section.questions) for section in q.sections)
        if count > MAX_QUESTIONS:
            self.report(Place(field="sections"), f"题目数量 {count} 超过上限 {MAX_QUESTIONS}")

    def check_names(self) -> None:
        seen: dict[str, str] = {}
        for s_index, section in enumerate(self.questionnaire.sections):
            self.check_name(Place(s_index, field="id"), section.id, "部分编号", seen)
            for q_index, question in enumerate(section.questions):
                self.check_name(Place(s_index, q_index, "name"), question.name, "题目名", seen)

    def check_name(self, place: Place, name: str, kind: str, seen: dict[str, str]) -> None:
        if not NAME_PATTERN.fullmatch(name):
            self.report(
                place,
                f"{kind}“{name}”无效：须以字母或下划线开头，只含字母、数字、_ . -，最长 64 个字符",
            )
        elif ROW_SEPARATOR in name:
            self.report(place, f"{kind}“{name}”不能包含连续两个下划线“__”（保留给矩阵题的行）")
        if name in seen:
            self.report(place, f"{kind}“{name}”与{seen[name]}重名")
        else:
            seen[name] = f"{kind}“{name}”"

    def check_section(self, s_index: int, section: Section) -> None:
        if not section.questions:
            self.report(Place(s_index), "该部分没有题目")
        if len(section.title) > MAX_LABEL_LENGTH:
            self.report(Place(s_index, field="title"), f"标题超过 {MAX_LABEL_LENGTH} 个字")
        if section.relevant:
            self.check_expression(Place(s_index, field="relevant"), section.relevant, None)

    def check_question(self, place: Place, question: Question) -> None:
        self.check_texts(place, question)
        self.check_expressions(place, question)
        self.check_options(place, question)
        self.check_rows(place, question)
        self.check_unit_and_dimension(place, question)
        self.check_type_specific_fields(place, question)

    def check_texts(self, place: Place, question: Question) -> None:
        at = Place(place.section, place.question, "label")
        if not question.label.strip():
            self.report(at, "缺少题目文字（label）")
        for key, text in (
            ("label", question.label),
            ("hint", question.hint),
            ("required_message", question.required_message),
            ("constraint_message", question.constraint_message),
        ):
            if len(text) > MAX_LABEL_LENGTH:
                self.report(
                    Place(place.section, place.question, key), f"超过 {MAX_LABEL_LENGTH} 个字"
                )

    def check_expressions(self, place: Place, question: Question) -> None:
        def at(key: str) -> Place:
            return Place(place.section, place.question, key)

        if question.relevant:
            self.check_expression(at("relevant"), question.relevant, question)
        if isinstance(question.required, str) and question.required:
            self.check_expression(at("required"), question.required, question)
        if question.constraint:
            if question.type in (QuestionType.NOTE, QuestionType.MATRIX_RATING):
                self.report(at("constraint"), "说明文字和矩阵评价题不能设置 constraint")
            else:
                self.check_expression(
                    at("constraint"), question.constraint, question, allow_current=True
                )
        if question.choice_filter:
            if question.type not in CHOICE_TYPES:
                self.report(at("choice_filter"), "只有选择题可以设置 choice_filter")
            else:
                self.check_choice_filter(at("choice_filter"), question)
        if question.type == QuestionType.NOTE and question.required is not False:
            self.report(at("required"), "说明文字不能设为必答")

    def check_choice_filter(self, place: Place, question: Question) -> None:
        expression = self.check_expression(place, question.choice_filter, question, fields=True)
        if expression is None:
            return
        columns = {key for option in question.options for key in option.attribute_map()}
        for name in sorted(expression.fields - columns):
            self.report(
                place,
                f"choice_filter 中的“{name}”不是选项的列（可用：{'、'.join(sorted(columns))}）",
            )

    def check_expression(
        self,
        place: Place,
        source: str,
        owner: Question | None,
        *,
        allow_current: bool = False,
        fields: bool = False,
    ) -> Expression | None:
        try:
            expression = compile_expression(source, allow_fields=fields)
        except ExpressionError as error:
            self.report(place, f"表达式“{source}”有误：{error}")
            return None
        if expression.uses_current and not allow_current:
            self.report(place, "只有 constraint 可以用“.”表示本题的答案")
        for name in sorted(expression.references):
            message = self.reference_problem(name, owner, allow_self=allow_current)
            if message:
                self.report(place, message)
        return expression

    def reference_problem(self, name: str, owner: Question | None, *, allow_self: bool) -> str:
        question_name, _, row_id = name.partition(ROW_SEPARATOR)
        if owner is not None and question_name == owner.name:
            return "" if allow_self and not row_id else f"不能引用本题自身 ${{{name}}}"
        target = self.earlier.get(question_name)
        if target is None:
            if question_name in self.all_questions:
                return f"引用了后面的题目 ${{{name}}}，只能引用前面的题目"
            return f"引用了不存在的题目 ${{{name}}}"
        if target.type == QuestionType.NOTE:
            return f"${{{name}}} 是说明文字，没有答案可引用"
        if target.type == QuestionType.MATRIX_RATING:
            if not row_id:
                example = (
                    f"${{{target.name}{ROW_SEPARATOR}{target.rows[0].id}}}" if target.rows else ""
                )
                return f"矩阵题不能整体引用，请引用具体的行，如 {example}"
            if row_id not in {row.id for row in target.rows}:
                return f"矩阵题 {target.name} 没有编号为 {row_id} 的行"
        elif row_id:
            return f"引用了不存在的题目 ${{{name}}}"
        return ""

    def check_options(self, place: Place, question: Question) -> None:
        at = Place(place.section, place.question, "options")
        if question.type not in CHOICE_TYPES:
            if question.options:
                self.report(at, "只有单选、多选和下拉题可以设置 options")
            return
        if not question.options:
            self.report(at, "选择题至少需要一个选项")
        if len(question.options) > MAX_OPTIONS:
            self.report(at, f"选项数量超过上限 {MAX_OPTIONS}")
        seen: set[str] = set()
        labels: dict[str, int] = {}  # two options reading alike cannot be told apart
        for index, option in enumerate(question.options):
            item = Place(place.section, place.question, "options", index)
            label = " ".join(option.label.split())
            if label and label in labels:
                self.report(item, f"选项“{label}”与第 {labels[label] + 1} 项重复，请删除其中一项")
            labels.setdefault(label, index)
            value = option.value
            if not value or len(value) > MAX_OPTION_VALUE_LENGTH or any(c.isspace() for c in value):
                self.report(
                    item,
                    f"选项值“{value}”无效：不能为空、不能含空格，"
                    f"最长 {MAX_OPTION_VALUE_LENGTH} 个字符",
                )
            if value in seen:
                self.report(item, f"选项值“{value}”重复")
            seen.add(value)
            if not option.label.strip():
                self.report(item, f"选项“{value}”缺少文字（label）")

    def check_rows(self, place: Place, question: Question) -> None:
        at = Place(place.section, place.question, "rows")
        if question.type != QuestionType.MATRIX_RATING:
            if question.rows:
                self.report(at, "只有矩阵评价题可以设置 rows")
            return
        if not question.rows:
            self.report(at, "矩阵评价题至少需要一行")
        if len(question.rows) > MAX_ROWS:
            self.report(at, f"矩阵行数超过上限 {MAX_ROWS}")
        seen: set[str] = set()
        for index, row in enumerate(question.rows):
            item = Place(place.section, place.question, "rows", index)
            if not ROW_ID_PATTERN.fullmatch(row.id) or ROW_SEPARATOR in row.id:
                self.report(
                    item,
                    f"行编号“{row.id}”无效：须以字母或数字开头，"
                    "只含字母、数字、_ -，最长 32 个字符，且不含“__”",
                )
            if row.id in seen:
                self.report(item, f"行编号“{row.id}”重复")
            seen.add(row.id)
            if not row.label.strip():
                self.report(item, f"第 {index + 1} 行缺少文字（label）")
            if not question.row_unit_code(row):
                self.report(
                    item, f"第 {index + 1} 行（{row.label or row.id}）没有指定被评价单位（unit）"
                )
            elif row.unit_code and not UNIT_CODE_PATTERN.fullmatch(row.unit_code):
                self.report(item, f"单位编码“{row.unit_code}”无效")
            if len(row.dimension) > MAX_DIMENSION_LENGTH:
                self.report(item, f"评价维度超过 {MAX_DIMENSION_LENGTH} 个字")

    def check_unit_and_dimension(self, place: Place, question: Question) -> None:
        def at(key: str) -> Place:
            return Place(place.section, place.question, key)

        kind = question.type
        if question.unit_code:
            if kind not in SATISFACTION_TYPES and kind not in TEXT_TYPES:
                self.report(at("unit"), "只有评价题和文本题可以指定单位（unit）")
            elif not UNIT_CODE_PATTERN.fullmatch(question.unit_code):
                self.report(
                    at("unit"),
                    f"单位编码“{question.unit_code}”无效：只含字母、数字、_ -，最长 32 个字符",
                )
        elif kind == QuestionType.RATING:
            self.report(at("unit"), "满意度评价题必须指定被评价单位（unit）")
        if question.dimension and kind not in SATISFACTION_TYPES:
            self.report(at("dimension"), "只有评价题可以设置评价维度（dimension）")
        if len(question.dimension) > MAX_DIMENSION_LENGTH:
            self.report(at("dimension"), f"评价维度超过 {MAX_DIMENSION_LENGTH} 个字")
        if question.allow_unknown and kind not in SATISFACTION_TYPES:
            self.report(at("allow_unknown"), "只有评价题可以设置“不了解”选项（allow_unknown）")

    def check_type_specific_fields(self, place: Place, question: Question) -> None:
        def at(key: str) -> Place:
            return Place(place.section, place.question, key)

        kind = question.type
        low, high = question.min_value, question.max_value
        if (low is not None or high is not None) and kind != QuestionType.NUMBER:
            self.report(at("min"), "只有数字题可以设置 min/max")
        if low is not None and high is not None and low > high:
            self.report(at("min"), f"最小值 {low} 大于最大值 {high}")
        if kind == QuestionType.NUMBER and not question.allow_decimal:
            for key, bound in (("min", low), ("max", high)):
                if bound is not None and bound != int(bound):
                    self.report(at(key), f"整数题的 {key} 必须是整数（或设置 allow_decimal）")
        if question.allow_decimal and kind != QuestionType.NUMBER:
            self.report(at("allow_decimal"), "只有数字题可以设置 allow_decimal")
        if question.max_length is not None:
            if kind not in TEXT_TYPES:
                self.report(at("max_length"), "只有文本题可以设置 max_length")
            elif not 1 <= question.max_length <= MAX_TEXT_LIMIT:
                self.report(at("max_length"), f"max_length 应在 1–{MAX_TEXT_LIMIT} 之间")
        if question.max_choices is not None:
            if kind != QuestionType.MULTIPLE_CHOICE:
                self.report(at("max_choices"), "只有多选题可以设置 max_choices")
            elif not 1 <= question.max_choices <= max(1, len(question.options)):
                self.report(at("max_choices"), "max_choices 应在 1 与选项数之间")
        if question.opinion and kind not in TEXT_TYPES:
            self.report(at("opinion"), "只有文本题可以标记为意见建议（opinion）")
