"""One survey row (or one rating `table-list` group) -> the fields of one of our questions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from questionnaires.definition import parse_flag, parse_number
from questionnaires.model import ROW_SEPARATOR, MatrixRow, Option, Problem, QuestionType
from questionnaires.xlsform.structure import Group, Row
from questionnaires.xlsform.vocabulary import (
    BOUNDED_INTEGERS,
    OTHER_LABEL,
    OTHER_VALUE,
    RATING_LIST,
    RATING_LIST_WITH_UNKNOWN,
    RATING_LISTS,
    UNSUPPORTED_TYPES,
    parameters,
)
from questionnaires.xlsform.workbook import Sheet

GENERATED = "__generated_name"  # cell key set on rows whose name the import made up
SELECT_KINDS = ("select_one", "select_multiple", "select_one_external")


@dataclass
class Draft:
    """A question before names are made unique and calculations inlined."""

    values: dict[str, Any]
    row: int
    list_name: str = ""
    row_rows: list[int] = field(default_factory=list)  # survey rows of matrix rows
    scope: int = 0  # begin row of the enclosing group: XLSForm names are unique per group
    placeholder: bool = False  # a note standing for what has no meaning here (no answer to use)

    @property
    def name(self) -> str:
        return str(self.values["name"])


class RowReader:
    def __init__(
        self,
        sheet: Sheet,
        choice_lists: dict[str, list[tuple[Option, int]]],
        external: dict[str, list[tuple[Option, int]]],
        problems: list[Problem],
        warnings: list[Problem],
    ) -> None:
        self.sheet = sheet
        self.choice_lists = choice_lists
        self.external = external
        self.problems = problems
        self.warnings = warnings

    def where(self, number: int, key: str = "type") -> str:
        return self.sheet.where(number, key if key in self.sheet.chosen else "")

    # -- plain rows --

    def question(self, row: Row) -> list[Draft]:
        """The question(s) of a row: none if it failed (a problem) or was skipped (a warning)."""
        cells, kind = row.cells, row.kind
        argument = row.argument
        or_other = False
        for suffix in (" or_other", " or specify other"):
            if argument.lower().endswith(suffix):
                argument, or_other = argument[: -len(suffix)].strip(), True
        if kind in SELECT_KINDS and argument.startswith("${"):
            row = Row(row.number, cells, "select_from_answers", argument)
            kind = row.kind
        if kind in UNSUPPORTED_TYPES:
            return [self.unsupported(row)]
        resolved = self.question_type(row, kind, argument)
        if resolved is None:
            return []
        question_type, extra = resolved
        values: dict[str, Any] = {
            "name": cells.get("name", ""),
            "type": question_type,
            **self.common_fields(row.number, cells),
            **extra,
        }
        if question_type == QuestionType.NOTE and values["required"] is not False:
            values["required"] = False  # ODK ignores it: a note has no answer
            self.warnings.append(
                Problem(self.where(row.number, "required"), "说明文字（note）不能必答，已忽略 required")
            )
        drafts = [Draft(values, row.number, list_name=argument)]
        if or_other and question_type in (
            QuestionType.SINGLE_CHOICE,
            QuestionType.DROPDOWN,
            QuestionType.MULTIPLE_CHOICE,
        ):
            values["options"] = (*values["options"], Option(OTHER_VALUE, OTHER_LABEL))
            name = values["name"]
            other = {
                "name": f"{name}_other",
                "type": QuestionType.TEXT,
                "label": f"请注明{OTHER_LABEL}",
                "relevant": f"selected(${{{name}}}, '{OTHER_VALUE}')",
            }
            drafts.append(Draft(other, row.number))
            self.warnings.append(
                Problem(
                    self.where(row.number),
                    f"or_other 已转换为选项“{OTHER_LABEL}”（{OTHER_VALUE}）和补充说明题 {name}_other",
                )
            )
        return drafts

    def unsupported(self, row: Row) -> Draft:
        kind = row.kind
        label = row.cells.get("label", "") or row.cells.get("hint", "") or row.cells.get("name", "")
        title = f"【不支持的题型：{UNSUPPORTED_TYPES[kind]}（{kind}）】"
        self.warnings.append(
            Problem(
                self.where(row.number),
                f"不支持的题型 {kind}（{UNSUPPORTED_TYPES[kind]}），已导入为说明文字，不收集答案",
            )
        )
        values = {
            "name": row.cells.get("name", ""),
            "type": QuestionType.NOTE,
            "label": title + label,
            "relevant": row.cells.get("relevant", ""),
        }
        return Draft(values, row.number, placeholder=True)

    def question_type(self, row: Row, kind: str, argument: str) -> tuple[QuestionType, dict[str, Any]] | None:
        number, cells = row.number, row.cells
        where = self.where(number)
        appearance = cells.get("appearance", "").split()
        if kind in SELECT_KINDS:
            return self.select(row, kind, argument, appearance)
        if kind == "text":
            multiline = "multiline" in appearance
            return (QuestionType.TEXTAREA if multiline else QuestionType.TEXT), {}
        if kind in ("integer", "decimal"):
            return QuestionType.NUMBER, {"allow_decimal": kind == "decimal"}
        if kind in BOUNDED_INTEGERS:
            low, high = BOUNDED_INTEGERS[kind]
            return QuestionType.NUMBER, {"min_value": low, "max_value": high}
        if kind == "range":
            return self.range(row)
        if kind == "date":
            return QuestionType.DATE, {}
        if kind == "note":
            return QuestionType.NOTE, {}
        if not kind:
            self.problems.append(Problem(where, "缺少题型（type）"))
        else:
            self.problems.append(Problem(where, f"未知的题型“{cells.get('type', kind)}”"))
        return None

    def select(
        self, row: Row, kind: str, argument: str, appearance: list[str]
    ) -> tuple[QuestionType, dict[str, Any]] | None:
        number, cells = row.number, row.cells
        where = self.where(number)
        if not argument:
            self.problems.append(Problem(where, f"{kind} 后缺少选项列表名"))
            return None
        if argument in RATING_LISTS and kind == "select_one":
            allow_unknown = argument == RATING_LIST_WITH_UNKNOWN or self.flag(number, cells, "allow_unknown")
            return QuestionType.RATING, {"allow_unknown": allow_unknown}
        lists = self.choice_lists
        if kind == "select_one_external":
            lists = self.external
        if argument not in lists:
            sheet = "external_choices" if kind == "select_one_external" else "choices"
            self.problems.append(Problem(where, f"{sheet} 工作表中没有选项列表“{argument}”"))
            return None
        options = tuple(option for option, _ in lists[argument])
        if kind == "select_multiple":
            return QuestionType.MULTIPLE_CHOICE, {"options": options}
        dropdown = "minimal" in appearance or "autocomplete" in appearance or kind == "select_one_external"
        kind_out = QuestionType.DROPDOWN if dropdown else QuestionType.SINGLE_CHOICE
        return kind_out, {"options": options}

    def range(self, row: Row) -> tuple[QuestionType, dict[str, Any]] | None:
        found = parameters(row.cells.get("parameters", ""))
        if found == {"start": "0", "end": "10", "step": "1"}:
            return QuestionType.SCALE10, {}
        numbers = {key: _number(found.get(key, "")) for key in ("start", "end", "step")}
        start, end, step = numbers["start"], numbers["end"], numbers["step"]
        if start is None or end is None or step is None:
            self.problems.append(
                Problem(self.where(row.number, "parameters"), "range 的 start/end/step 必须是数字")
            )
            return None
        low, high = min(start, end), max(start, end)
        decimal = any(not isinstance(value, int) for value in (start, end, step))
        self.warnings.append(
            Problem(
                self.where(row.number),
                f"range（{start}–{end}，步长 {step}）已导入为数字题（最小 {low}，最大 {high}）",
            )
        )
        return QuestionType.NUMBER, {"min_value": low, "max_value": high, "allow_decimal": decimal}

    def common_fields(self, number: int, cells: dict[str, str]) -> dict[str, Any]:
        label, hint = cells.get("label", ""), cells.get("hint", "")
        if not label.strip() and hint.strip():
            label, hint = hint, ""  # pyxform accepts a hint alone
        elif not label.strip() and cells.get("name") and not cells.get(GENERATED):
            label = cells["name"]
            self.warnings.append(
                Problem(self.where(number, "label"), f"缺少题目文字，已用题目名“{label}”代替")
            )
        values: dict[str, Any] = {
            "label": label,
            "hint": hint,
            "required": self.required(cells.get("required", "")),
            "required_message": cells.get("required_message", ""),
            "relevant": cells.get("relevant", ""),
            "constraint": cells.get("constraint", ""),
            "constraint_message": cells.get("constraint_message", ""),
            "choice_filter": cells.get("choice_filter", ""),
            "unit_code": cells.get("unit", ""),
            "dimension": cells.get("dimension", ""),
            "opinion": self.flag(number, cells, "opinion"),
        }
        for key, attribute in (("min", "min_value"), ("max", "max_value")):
            values[attribute] = self.number(number, cells, key, integer=False)
        for key in ("max_length", "max_choices"):
            values[key] = self.number(number, cells, key, integer=True)
        return values

    @staticmethod
    def required(text: str) -> bool | str:
        flag = parse_flag(text)
        return text if flag is None else flag

    def flag(self, number: int, cells: dict[str, str], key: str) -> bool:
        flag = parse_flag(cells.get(key, ""))
        if flag is None:
            self.problems.append(Problem(self.where(number, key), "应填 yes 或 no"))
            return False
        return flag

    def number(self, number: int, cells: dict[str, str], key: str, *, integer: bool) -> int | float | None:
        text = cells.get(key, "")
        if not text:
            return None
        value = _number(text)
        if value is None or (integer and not isinstance(value, int)):
            kind = "整数" if integer else "数字"
            self.problems.append(Problem(self.where(number, key), f"“{text}”不是{kind}"))
            return None
        return value

    # -- rating matrices --

    @staticmethod
    def is_matrix(group: Group) -> bool:
        """A `table-list` group whose rows are all `select_one satisfaction5[_dk]` rows named
        `<group>__<row id>` is one of our matrix ratings; any other group is a plain group."""
        if group.kind != "group" or "table-list" not in group.row.cells.get("appearance", "").split():
            return False
        prefix = f"{group.name}{ROW_SEPARATOR}"
        rows = group.children
        return bool(rows) and all(
            isinstance(row, Row)
            and row.kind == "select_one"
            and row.argument in RATING_LISTS
            and row.cells.get("name", "").startswith(prefix)
            for row in rows
        )

    def matrix(self, group: Group) -> Draft:
        cells = group.row.cells
        name = group.name
        rows = [row for row in group.children if isinstance(row, Row)]
        lists = {row.argument for row in rows}
        prefix = f"{name}{ROW_SEPARATOR}"
        matrix_rows = tuple(
            MatrixRow(
                id=row.cells.get("name", "")[len(prefix) :],
                label=row.cells.get("label", ""),
                unit_code=row.cells.get("unit", ""),
                dimension=row.cells.get("dimension", ""),
            )
            for row in rows
        )
        if len(lists) > 1:
            self.problems.append(
                Problem(self.where(group.row.number), "矩阵评价题各行必须使用同一个选项列表")
            )
        common = self.common_fields(group.row.number, cells)
        common.update(
            required=self.matrix_required(group.row.number, cells, rows),
            required_message=common["required_message"]
            or next((row.cells.get("required_message", "") for row in rows), ""),
        )
        allow_unknown = RATING_LIST_WITH_UNKNOWN in lists or self.flag(
            group.row.number, cells, "allow_unknown"
        )
        values = {
            "name": name,
            "type": QuestionType.MATRIX_RATING,
            "rows": matrix_rows,
            "allow_unknown": allow_unknown,
            **common,
        }
        return Draft(values, group.row.number, row_rows=[row.number for row in rows])

    def matrix_required(self, number: int, cells: dict[str, str], rows: list[Row]) -> bool | str:
        if cells.get("required"):
            return self.required(cells["required"])
        values = {self.required(row.cells.get("required", "")) for row in rows}
        if len(values) > 1:
            self.problems.append(
                Problem(self.where(number, "required"), "矩阵评价题各行的 required 必须一致")
            )
            return False
        return values.pop() if values else False


def _number(text: str) -> int | float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return parse_number(value) if math.isfinite(value) else None


__all__ = ["RATING_LIST", "Draft", "RowReader"]
