"""XLSForm import and export (the subset in research/survey_platforms.md §4.8).

Sheets: `survey` (required), `choices` (for selects), `settings` (optional). Column headers may
appear in any order, case-insensitively, with pyxform's aliases; translated columns such as
`label::zh`, `label::中文 (zh)` or `label::English (en)` are read with Chinese preferred (our
questionnaires hold one language; the other languages are ignored with a warning).

Mapping between XLSForm and our model (documented for authors):

| Ours              | XLSForm                                                                  |
|-------------------|--------------------------------------------------------------------------|
| section           | top-level `begin group` / `end group` (label = title, hint = description) |
| single_choice     | `select_one <list>`                                                      |
| dropdown          | `select_one <list>` with appearance `minimal`                            |
| multiple_choice   | `select_multiple <list>`                                                 |
| rating            | `select_one satisfaction5` (or `satisfaction5_dk`, which adds 不了解),     |
|                   | appearance `likert`                                                      |
| matrix_rating     | `begin group <name>` with appearance `table-list`, one                   |
|                   | `select_one satisfaction5[_dk]` row per matrix row named                 |
|                   | `<name>__<row id>` (so `${units__U03}` works in ODK too), `end group`    |
| scale10           | `range` with parameters `start=0 end=10 step=1` (the defaults)           |
| number            | `integer`, or `decimal` (allow_decimal)                                  |
| date / note       | `date` / `note`                                                          |
| text / textarea   | `text` / `text` with appearance `multiline`                              |

Our extension columns on the survey sheet: `unit` (unit code rated or commented on; on a matrix
group row it is the rows' default), `dimension`, `allow_unknown`, `min`, `max`, `max_length`,
`max_choices`, `opinion`. Settings extensions: `description`, `intro`. Extra columns of the
choices sheet become option attributes usable in `choice_filter`.

Questions outside any group form their own untitled section. Metadata (`start`, `end` …) and
unsupported types (`calculate`, geo, media, `rank` …) are skipped with a warning; repeats,
`or_other` and nested non-matrix groups are errors.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from questionnaires.checks import Locator, Place, check_questionnaire
from questionnaires.definition import parse_flag, parse_number
from questionnaires.model import (
    CHOICE_TYPES,
    ROW_SEPARATOR,
    SATISFACTION_SCALE,
    UNKNOWN_OPTION,
    DefinitionError,
    MatrixRow,
    Option,
    Problem,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)

MAX_XLSFORM_BYTES = 5_000_000
MAX_UNCOMPRESSED_BYTES = 50_000_000
MAX_SHEET_ROWS = 2000
MAX_SHEET_COLUMNS = 60
MAX_CELL_CHARS = 5000
BLANK_RUN_LIMIT = 20  # XLSForm: nothing after 20 adjacent blank rows is processed

RATING_LIST = "satisfaction5"
RATING_LIST_WITH_UNKNOWN = "satisfaction5_dk"
RATING_LISTS = {
    RATING_LIST: SATISFACTION_SCALE,
    RATING_LIST_WITH_UNKNOWN: (*SATISFACTION_SCALE, UNKNOWN_OPTION),
}
EXPORT_LANGUAGE = "中文 (zh)"
DEFAULT_FORM_ID = "xlsform"  # XLSForm defaults form_id to the file name, which we do not get
DEFAULT_TITLE = "导入的问卷"

# pyxform header aliases -> our column keys
HEADER_ALIASES = {
    "relevance": "relevant",
    "constraining_message": "constraint_message",
    "constraint message": "constraint_message",
    "requiredmsg": "required_message",
    "required message": "required_message",
    "caption": "label",
    "list name": "list_name",
    "choice_filter": "choice_filter",
    "choice filter": "choice_filter",
    "readonly": "read_only",
    "calculate": "calculation",
}
TRANSLATABLE = ("label", "hint", "required_message", "constraint_message")
SURVEY_COLUMNS = frozenset(
    {
        "type",
        "name",
        *TRANSLATABLE,
        "required",
        "relevant",
        "constraint",
        "choice_filter",
        "appearance",
        "parameters",
        "unit",
        "dimension",
        "allow_unknown",
        "min",
        "max",
        "max_length",
        "max_choices",
        "opinion",
    }
)
CHOICE_COLUMNS = frozenset({"list_name", "name", "label", "image", "audio", "video"})
IGNORED_SURVEY_COLUMNS = frozenset(
    {"calculation", "default", "read_only", "trigger", "guidance_hint", "image", "audio", "video"}
)
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
    }
)
UNSUPPORTED_TYPES = frozenset(
    {
        "calculate",
        "hidden",
        "acknowledge",
        "rank",
        "time",
        "datetime",
        "geopoint",
        "geotrace",
        "geoshape",
        "image",
        "audio",
        "background-audio",
        "video",
        "file",
        "barcode",
        "select_one_from_file",
        "select_multiple_from_file",
        "xml-external",
        "csv-external",
    }
)
TYPE_ALIASES = {
    "select one": "select_one",
    "select1": "select_one",
    "select all that apply": "select_multiple",
    "select multiple": "select_multiple",
    "begin group": "begin group",
    "end group": "end group",
    "begin repeat": "begin repeat",
    "end repeat": "end repeat",
    "begin_group": "begin group",
    "end_group": "end group",
    "begin_repeat": "begin repeat",
    "end_repeat": "end repeat",
}
LANGUAGE_ALIASES = {
    "中文": "zh",
    "汉语": "zh",
    "简体中文": "zh",
    "chinese": "zh",
    "english": "en",
    "英文": "en",
    "英语": "en",
}


@dataclass(frozen=True)
class XlsformImport:
    questionnaire: Questionnaire
    warnings: tuple[Problem, ...]  # what was skipped or ignored


def read_xlsform(data: bytes) -> Questionnaire:
    """Import an XLSForm workbook; DefinitionError lists every problem by sheet, row, column."""
    return read_xlsform_report(data).questionnaire


def read_xlsform_report(data: bytes) -> XlsformImport:
    """Like read_xlsform, also returning the warnings about skipped types and columns."""
    workbook = _open_workbook(data)
    try:
        return _Reader(workbook).read()
    except DefinitionError:
        raise
    except Exception:  # read-only sheets are parsed lazily: a corrupt sheet fails only here
        raise _error("", "工作簿中有损坏的工作表，请用 Excel 或 WPS 另存为 .xlsx 后再上传") from None
    finally:
        workbook.close()


# --- reading the workbook ----------------------------------------------------------------------


def _open_workbook(data: bytes) -> Any:
    if len(data) > MAX_XLSFORM_BYTES:
        raise _error("", f"文件过大（超过 {MAX_XLSFORM_BYTES // 1_000_000} MB）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # A small file can inflate enormously ("zip bomb"); openpyxl would hold it in memory.
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                raise _error("", "文件解压后过大，请删除无关的工作表或内容")
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DefinitionError:
        raise
    except Exception:  # openpyxl raises many kinds for corrupt files; all mean the same here
        raise _error("", "文件不是有效的 XLSX 工作簿（请用 Excel 或 WPS 另存为 .xlsx）") from None


def _error(location: str, message: str) -> DefinitionError:
    return DefinitionError([Problem(location, message)])


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(parse_number(value))
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return str(value).strip()


def _language_code(text: str) -> str:
    found = re.search(r"\(([^()]+)\)\s*$", text)
    code = (found.group(1) if found else text).strip().lower().replace("_", "-")
    code = LANGUAGE_ALIASES.get(code, code)
    return code.split("-")[0] if code.startswith(("zh", "en")) else code


@dataclass
class _Sheet:
    name: str
    headers: dict[int, tuple[str, str, str]]  # column index -> (key, language, raw header)
    rows: list[tuple[int, dict[int, str]]]  # (row number, column index -> text)
    chosen: dict[str, int] = field(default_factory=dict)  # key -> column index picked

    def letter(self, key: str) -> str:
        index = self.chosen.get(key)
        return get_column_letter(index + 1) if index is not None else ""

    def where(self, row: int, key: str = "") -> str:
        text = f"{self.name} 工作表第 {row} 行"
        letter = self.letter(key)
        return f"{text} {letter} 列（{self.headers[self.chosen[key]][2]}）" if letter else text


def _load_sheet(worksheet: Any, name: str, problems: list[Problem]) -> _Sheet:
    rows_iter: Iterator[tuple[Any, ...]] = worksheet.iter_rows(values_only=True)
    header_cells = next(rows_iter, ())
    headers: dict[int, tuple[str, str, str]] = {}
    for index, value in enumerate(header_cells):
        raw = _cell_text(value)
        if not raw:
            continue
        if index >= MAX_SHEET_COLUMNS:
            problems.append(Problem(f"{name} 工作表第 1 行", f"列数超过上限 {MAX_SHEET_COLUMNS}"))
            break
        base, _, language = raw.partition("::")
        key = base.strip().lower()
        key = HEADER_ALIASES.get(key, key)
        headers[index] = (key, _language_code(language) if language else "", raw)
    rows: list[tuple[int, dict[int, str]]] = []
    blank_run = 0
    for number, cells in enumerate(rows_iter, start=2):
        values = {
            index: text
            for index, value in enumerate(cells[:MAX_SHEET_COLUMNS])
            if index in headers and (text := _cell_text(value))
        }
        if not values:
            blank_run += 1
            if blank_run >= BLANK_RUN_LIMIT:
                break
            continue
        blank_run = 0
        if number > MAX_SHEET_ROWS:
            problems.append(
                Problem(f"{name} 工作表第 {number} 行", f"行数超过上限 {MAX_SHEET_ROWS}")
            )
            break
        for index, text in values.items():
            if len(text) > MAX_CELL_CHARS:
                where = f"{name} 工作表第 {number} 行 {get_column_letter(index + 1)} 列"
                problems.append(Problem(where, f"单元格内容超过 {MAX_CELL_CHARS} 个字符"))
        rows.append((number, values))
    return _Sheet(name, headers, rows)


def _choose_columns(sheet: _Sheet, default_language: str, warnings: list[Problem]) -> None:
    """Pick one column per key; for translated keys prefer Chinese, then the untranslated
    column, then the default language, then any."""
    by_key: dict[str, list[tuple[str, int]]] = {}
    for index, (key, language, _) in sheet.headers.items():
        by_key.setdefault(key, []).append((language, index))
    for key, candidates in by_key.items():
        languages = dict(candidates)
        for preferred in ("zh", "", default_language):
            if preferred in languages:
                sheet.chosen[key] = languages[preferred]
                break
        else:
            sheet.chosen[key] = candidates[0][1]
        if len(candidates) > 1:
            ignored = [sheet.headers[i][2] for _, i in candidates if i != sheet.chosen[key]]
            warnings.append(
                Problem(
                    f"{sheet.name} 工作表",
                    f"已使用“{sheet.headers[sheet.chosen[key]][2]}”，忽略{'、'.join(ignored)}",
                )
            )


@dataclass
class _Source:
    """Where a question came from, for error locations."""

    sheet: _Sheet
    row: int
    list_name: str = ""
    row_rows: list[int] = field(default_factory=list)  # survey rows of matrix rows


@dataclass
class _SectionDraft:
    id: str
    title: str
    description: str
    relevant: str
    row: int  # begin group row, or the first loose question's row
    grouped: bool
    questions: list[tuple[Question, _Source]] = field(default_factory=list)


@dataclass
class _MatrixDraft:
    row: int
    cells: dict[str, str]
    rows: list[tuple[int, dict[str, str], str]] = field(default_factory=list)  # (row, cells, list)


class _Reader:
    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.choice_lists: dict[str, list[tuple[Option, int]]] = {}
        self.sections: list[_SectionDraft] = []
        self.settings: dict[str, str] = {}
        self.settings_sheet: _Sheet | None = None
        self.choices_sheet: _Sheet | None = None

    # -- entry point --

    def read(self) -> XlsformImport:
        names = list(self.workbook.sheetnames)
        if "survey" not in names:
            similar = [name for name in names if name.strip().lower() == "survey"]
            hint = f"（发现“{similar[0]}”，工作表名称须为小写 survey）" if similar else ""
            raise _error("", f"缺少 survey 工作表{hint}")
        self.read_settings(names)
        default_language = _language_code(self.settings.get("default_language", ""))
        if "choices" in names:
            self.choices_sheet = self.sheet("choices", default_language)
            self.read_choices(self.choices_sheet)
        survey = self.sheet("survey", default_language)
        self.read_survey(survey)
        if self.problems:
            raise DefinitionError(self.problems)
        questionnaire = Questionnaire(
            id=self.settings.get("form_id") or DEFAULT_FORM_ID,
            title=self.settings.get("form_title") or self.settings.get("form_id") or DEFAULT_TITLE,
            sections=tuple(
                Section(
                    id=draft.id,
                    title=draft.title,
                    questions=tuple(question for question, _ in draft.questions),
                    description=draft.description,
                    relevant=draft.relevant,
                )
                for draft in self.sections
            ),
            description=self.settings.get("description", ""),
            intro=self.settings.get("intro", ""),
            version=self.settings.get("version", ""),
        )
        problems = check_questionnaire(questionnaire, self.locator(survey))
        if problems:
            raise DefinitionError(problems)
        return XlsformImport(questionnaire, tuple(self.warnings))

    def sheet(self, name: str, default_language: str) -> _Sheet:
        sheet = _load_sheet(self.workbook[name], name, self.problems)
        _choose_columns(sheet, default_language, self.warnings)
        return sheet

    # -- settings and choices --

    def read_settings(self, names: list[str]) -> None:
        if "settings" not in names:
            return
        sheet = self.sheet("settings", "")
        self.settings_sheet = sheet
        if sheet.rows:
            _, cells = sheet.rows[0]
            self.settings = {key: cells.get(index, "") for key, index in sheet.chosen.items()}

    def read_choices(self, sheet: _Sheet) -> None:
        for required in ("list_name", "name"):
            if required not in sheet.chosen:
                self.problems.append(Problem("choices 工作表第 1 行", f"缺少 {required} 列"))
                return
        attribute_keys = sorted(
            key for key in sheet.chosen if key not in CHOICE_COLUMNS and not key.startswith("media")
        )
        for number, cells in sheet.rows:
            row = {key: cells.get(index, "") for key, index in sheet.chosen.items()}
            list_name, value = row.get("list_name", ""), row.get("name", "")
            if not list_name:
                self.problems.append(Problem(sheet.where(number, "list_name"), "缺少列表名"))
                continue
            if not value:
                self.problems.append(Problem(sheet.where(number, "name"), "缺少选项值（name）"))
                continue
            attributes = tuple((key, row[key]) for key in attribute_keys if row.get(key))
            option = Option(value, row.get("label", ""), attributes)
            self.choice_lists.setdefault(list_name, []).append((option, number))
        for list_name, scale in RATING_LISTS.items():
            found = self.choice_lists.get(list_name)
            if found and sorted(o.value for o, _ in found) != sorted(o.value for o in scale):
                values = "/".join(option.value for option in scale)
                self.problems.append(
                    Problem(
                        f"choices 工作表第 {found[0][1]} 行",
                        f"保留列表 {list_name} 的选项值必须是 {values}",
                    )
                )

    # -- survey --

    def read_survey(self, sheet: _Sheet) -> None:
        for required in ("type", "name"):
            if required not in sheet.chosen:
                self.problems.append(Problem("survey 工作表第 1 行", f"缺少 {required} 列"))
                return
        if "label" not in sheet.chosen:
            self.problems.append(Problem("survey 工作表第 1 行", "缺少 label 列"))
            return
        for key, index in sheet.chosen.items():
            if key in IGNORED_SURVEY_COLUMNS:
                self.warnings.append(
                    Problem(f"survey 工作表 {sheet.letter(key)} 列", f"不支持 {key} 列，已忽略")
                )
            elif key not in SURVEY_COLUMNS and not key.startswith(("bind", "body", "instance")):
                self.warnings.append(
                    Problem(
                        f"survey 工作表 {get_column_letter(index + 1)} 列",
                        f"未识别的列“{sheet.headers[index][2]}”，已忽略",
                    )
                )
        section: _SectionDraft | None = None
        matrix: _MatrixDraft | None = None
        for number, values in sheet.rows:
            cells = {key: values.get(index, "") for key, index in sheet.chosen.items()}
            kind, argument = _split_type(cells.get("type", ""))
            where = sheet.where(number, "type")
            if kind == "begin group":
                if matrix is not None:
                    self.problems.append(
                        Problem(where, "矩阵评价题（table-list 分组）中不能再嵌套分组")
                    )
                elif "table-list" in cells.get("appearance", "").split():
                    matrix = _MatrixDraft(number, cells)
                elif section is not None and section.grouped:
                    self.problems.append(
                        Problem(
                            where,
                            "不支持嵌套分组（只有 appearance 为 table-list 的矩阵题可以嵌套）",
                        )
                    )
                else:
                    section = self.start_section(number, cells, grouped=True)
            elif kind == "end group":
                if matrix is not None:
                    source = _Source(sheet, matrix.row, row_rows=[row for row, _, _ in matrix.rows])
                    section = self.add_question(
                        section, self.matrix_question(sheet, matrix), source
                    )
                    matrix = None
                elif section is not None and section.grouped:
                    section = None
                else:
                    self.problems.append(
                        Problem(where, "多余的 end group（没有对应的 begin group）")
                    )
            elif kind in ("begin repeat", "end repeat"):
                self.problems.append(Problem(where, "暂不支持重复组（repeat）"))
            elif matrix is not None:
                matrix.rows.append((number, cells, argument))
            else:
                question = self.question(sheet, number, cells, kind, argument)
                source = _Source(sheet, number, list_name=argument)
                section = self.add_question(section, question, source)
        if matrix is not None or (section is not None and section.grouped):
            self.problems.append(Problem("survey 工作表", "有 begin group 没有对应的 end group"))

    def start_section(self, number: int, cells: dict[str, str], *, grouped: bool) -> _SectionDraft:
        draft = _SectionDraft(
            id=cells.get("name", "") if grouped else f"part{len(self.sections) + 1}",
            title=cells.get("label", "") if grouped else "",
            description=cells.get("hint", "") if grouped else "",
            relevant=cells.get("relevant", "") if grouped else "",
            row=number,
            grouped=grouped,
        )
        self.sections.append(draft)
        return draft

    def add_question(
        self, section: _SectionDraft | None, question: Question | None, source: _Source
    ) -> _SectionDraft | None:
        """Append to the open section, opening an untitled one for ungrouped questions."""
        if question is None:
            return section
        if section is None:
            section = self.start_section(source.row, {}, grouped=False)
        section.questions.append((question, source))
        return section

    def question(
        self, sheet: _Sheet, number: int, cells: dict[str, str], kind: str, argument: str
    ) -> Question | None:
        where = sheet.where(number, "type")
        if not kind:
            self.problems.append(Problem(where, "缺少题型（type）"))
            return None
        if kind in METADATA_TYPES:
            self.warnings.append(Problem(where, f"元数据 {kind} 由系统自动记录，已跳过"))
            return None
        if kind in UNSUPPORTED_TYPES:
            self.warnings.append(Problem(where, f"不支持的题型 {kind}，已跳过"))
            return None
        if argument.endswith(" or_other") or argument == "or_other":
            self.problems.append(
                Problem(
                    where, "不支持 or_other：请在选项中加入“其他”，再用 relevant 显示补充说明题"
                )
            )
            return None
        resolved = self.question_type(sheet, number, cells, kind, argument)
        if resolved is None:
            return None
        question_type, extra = resolved
        values: dict[str, Any] = {
            "name": cells.get("name", ""),
            "type": question_type,
            **self.common_fields(sheet, number, cells),
            **extra,
        }
        return Question(**values)

    def question_type(
        self, sheet: _Sheet, number: int, cells: dict[str, str], kind: str, argument: str
    ) -> tuple[QuestionType, dict[str, Any]] | None:
        where = sheet.where(number, "type")
        appearance = cells.get("appearance", "").split()
        if kind in ("select_one", "select_multiple"):
            if not argument:
                self.problems.append(Problem(where, f"{kind} 后缺少选项列表名"))
                return None
            if argument in RATING_LISTS and kind == "select_one":
                allow_unknown = argument == RATING_LIST_WITH_UNKNOWN or self.flag(
                    sheet, number, cells, "allow_unknown"
                )
                return QuestionType.RATING, {"allow_unknown": allow_unknown}
            if argument not in self.choice_lists:
                self.problems.append(Problem(where, f"choices 工作表中没有选项列表“{argument}”"))
                return None
            options = tuple(option for option, _ in self.choice_lists[argument])
            if kind == "select_multiple":
                return QuestionType.MULTIPLE_CHOICE, {"options": options}
            dropdown = "minimal" in appearance
            kind_out = QuestionType.DROPDOWN if dropdown else QuestionType.SINGLE_CHOICE
            return kind_out, {"options": options}
        if kind == "text":
            multiline = "multiline" in appearance
            return (QuestionType.TEXTAREA if multiline else QuestionType.TEXT), {}
        if kind in ("integer", "decimal"):
            return QuestionType.NUMBER, {"allow_decimal": kind == "decimal"}
        if kind == "range":
            parameters = _parameters(cells.get("parameters", ""))
            if parameters != {"start": "0", "end": "10", "step": "1"}:
                self.problems.append(
                    Problem(
                        sheet.where(number, "parameters"),
                        "range 题只支持 0–10 分（start=0 end=10 step=1），"
                        "其他范围请用 integer 加 min/max",
                    )
                )
                return None
            return QuestionType.SCALE10, {}
        if kind == "date":
            return QuestionType.DATE, {}
        if kind == "note":
            return QuestionType.NOTE, {}
        self.problems.append(Problem(where, f"未知的题型“{kind}”"))
        return None

    def common_fields(self, sheet: _Sheet, number: int, cells: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "label": cells.get("label", ""),
            "hint": cells.get("hint", ""),
            "required": self.required(cells.get("required", "")),
            "required_message": cells.get("required_message", ""),
            "relevant": cells.get("relevant", ""),
            "constraint": cells.get("constraint", ""),
            "constraint_message": cells.get("constraint_message", ""),
            "choice_filter": cells.get("choice_filter", ""),
            "unit_code": cells.get("unit", ""),
            "dimension": cells.get("dimension", ""),
            "opinion": self.flag(sheet, number, cells, "opinion"),
        }
        for key, attribute in (("min", "min_value"), ("max", "max_value")):
            values[attribute] = self.number(sheet, number, cells, key, integer=False)
        for key in ("max_length", "max_choices"):
            values[key] = self.number(sheet, number, cells, key, integer=True)
        return values

    @staticmethod
    def required(text: str) -> bool | str:
        flag = parse_flag(text)
        return text if flag is None else flag

    def flag(self, sheet: _Sheet, number: int, cells: dict[str, str], key: str) -> bool:
        flag = parse_flag(cells.get(key, ""))
        if flag is None:
            self.problems.append(Problem(sheet.where(number, key), "应填 yes 或 no"))
            return False
        return flag

    def number(
        self, sheet: _Sheet, number: int, cells: dict[str, str], key: str, *, integer: bool
    ) -> int | float | None:
        text = cells.get(key, "")
        if not text:
            return None
        try:
            value = parse_number(float(text))
        except ValueError:
            value = None
        if value is None or (integer and not isinstance(value, int)):
            kind = "整数" if integer else "数字"
            self.problems.append(Problem(sheet.where(number, key), f"“{text}”不是{kind}"))
            return None
        return value

    def matrix_question(self, sheet: _Sheet, draft: _MatrixDraft) -> Question | None:
        cells = draft.cells
        name = cells.get("name", "")
        where = sheet.where(draft.row, "type")
        lists = {list_name for _, _, list_name in draft.rows}
        if not draft.rows:
            self.problems.append(Problem(where, "矩阵评价题（table-list 分组）没有任何行"))
            return None
        rows: list[MatrixRow] = []
        for number, row_cells, list_name in draft.rows:
            kind, _ = _split_type(row_cells.get("type", ""))
            row_name = row_cells.get("name", "")
            prefix = f"{name}{ROW_SEPARATOR}"
            if kind != "select_one" or list_name not in RATING_LISTS:
                self.problems.append(
                    Problem(
                        sheet.where(number, "type"),
                        f"矩阵评价题的行必须是 select_one {RATING_LIST}"
                        f" 或 select_one {RATING_LIST_WITH_UNKNOWN}",
                    )
                )
            elif not row_name.startswith(prefix):
                self.problems.append(
                    Problem(sheet.where(number, "name"), f"矩阵行的 name 必须写成 {prefix}行编号")
                )
            else:
                rows.append(
                    MatrixRow(
                        id=row_name[len(prefix) :],
                        label=row_cells.get("label", ""),
                        unit_code=row_cells.get("unit", ""),
                        dimension=row_cells.get("dimension", ""),
                    )
                )
        if len(lists) > 1:
            self.problems.append(Problem(where, "矩阵评价题各行必须使用同一个选项列表"))
        required = self.matrix_required(sheet, draft)
        common = self.common_fields(sheet, draft.row, cells)
        common.update(
            required=required,
            required_message=common["required_message"]
            or next((c.get("required_message", "") for _, c, _ in draft.rows), ""),
        )
        allow_unknown = RATING_LIST_WITH_UNKNOWN in lists or self.flag(
            sheet, draft.row, cells, "allow_unknown"
        )
        return Question(
            name=name,
            type=QuestionType.MATRIX_RATING,
            rows=tuple(rows),
            allow_unknown=allow_unknown,
            **common,
        )

    def matrix_required(self, sheet: _Sheet, draft: _MatrixDraft) -> bool | str:
        if draft.cells.get("required"):
            return self.required(draft.cells["required"])
        values = {self.required(cells.get("required", "")) for _, cells, _ in draft.rows}
        if len(values) > 1:
            self.problems.append(
                Problem(sheet.where(draft.row, "required"), "矩阵评价题各行的 required 必须一致")
            )
            return False
        return values.pop() if values else False

    # -- locations for semantic problems --

    def locator(self, survey: _Sheet) -> Locator:
        def locate(place: Place) -> str:
            if place.section is None:
                settings_key = SETTINGS_KEYS.get(place.field, place.field)
                return "settings 工作表" + (f"的 {settings_key}" if settings_key else "")
            draft = self.sections[place.section]
            if place.question is None:
                if not draft.grouped:
                    return f"survey 工作表第 {draft.row} 行起未分组的题目"
                return _where(survey, draft.row, SURVEY_KEYS.get(place.field, place.field))
            _, source = draft.questions[place.question]
            return self.question_location(survey, source, place)

        return locate

    def question_location(self, survey: _Sheet, source: _Source, place: Place) -> str:
        if place.field == "options" and source.list_name in self.choice_lists:
            options = self.choice_lists[source.list_name]
            if place.item is not None and place.item < len(options):
                return f"choices 工作表第 {options[place.item][1]} 行（列表 {source.list_name}）"
            return f"choices 工作表的列表 {source.list_name}"
        if place.field == "rows" and place.item is not None and place.item < len(source.row_rows):
            return _where(survey, source.row_rows[place.item], "name")
        return _where(survey, source.row, SURVEY_KEYS.get(place.field, place.field))


# Check-field names that live in a differently named place of the workbook.
SURVEY_KEYS = {"id": "name", "title": "label", "options": "type", "allow_decimal": "type"}
SETTINGS_KEYS = {"id": "form_id", "title": "form_title", "sections": ""}


def _where(sheet: _Sheet, row: int, key: str) -> str:
    return sheet.where(row, key if key in sheet.chosen else "")


def _split_type(text: str) -> tuple[str, str]:
    """'select_one yes_no' -> ('select_one', 'yes_no'); handles the legacy spellings."""
    normal = " ".join(text.split())
    lowered = normal.lower()
    for alias, kind in TYPE_ALIASES.items():
        if lowered == alias or lowered.startswith(alias + " "):
            return kind, normal[len(alias) :].strip()
    kind, _, argument = normal.partition(" ")
    return kind.lower(), argument.strip()


def _parameters(text: str) -> dict[str, str]:
    found = dict(re.findall(r"([A-Za-z_-]+)\s*=\s*(\S+)", text))
    return {"start": "0", "end": "10", "step": "1", **{k.lower(): v for k, v in found.items()}}


# --- writing -----------------------------------------------------------------------------------

SURVEY_HEADERS = (
    "type",
    "name",
    f"label::{EXPORT_LANGUAGE}",
    f"hint::{EXPORT_LANGUAGE}",
    "required",
    f"required_message::{EXPORT_LANGUAGE}",
    "relevant",
    "constraint",
    f"constraint_message::{EXPORT_LANGUAGE}",
    "choice_filter",
    "appearance",
    "parameters",
    "unit",
    "dimension",
    "allow_unknown",
    "min",
    "max",
    "max_length",
    "max_choices",
    "opinion",
)
SETTINGS_HEADERS = (
    "form_title",
    "form_id",
    "version",
    "default_language",
    "style",
    "description",
    "intro",
)


def write_xlsform(questionnaire: Questionnaire) -> bytes:
    """Export as an XLSForm workbook that read_xlsform reads back to an equal questionnaire."""
    lists = _choice_list_names(questionnaire)
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    _append(survey, SURVEY_HEADERS)
    for section in questionnaire.sections:
        _append_row(
            survey,
            type="begin group",
            name=section.id,
            label=section.title,
            hint=section.description,
            relevant=section.relevant,
            appearance="field-list",
        )
        for question in section.questions:
            for row in _question_rows(question, lists):
                _append_row(survey, **row)
        _append_row(survey, type="end group", name=section.id)
    choices = workbook.create_sheet("choices")
    attribute_keys = sorted(
        {key for options in lists for option in options for key, _ in option.attributes}
    )
    _append(choices, ("list_name", "name", f"label::{EXPORT_LANGUAGE}", *attribute_keys))
    for list_name, options in _rating_lists_used(questionnaire).items():
        for option in options:
            _append(choices, (list_name, option.value, option.label))
    for options, list_name in lists.items():
        for option in options:
            attributes = dict(option.attributes)
            extra = (attributes.get(key, "") for key in attribute_keys)
            _append(choices, (list_name, option.value, option.label, *extra))
    settings = workbook.create_sheet("settings")
    _append(settings, SETTINGS_HEADERS)
    _append(
        settings,
        (
            questionnaire.title,
            questionnaire.id,
            questionnaire.version,
            EXPORT_LANGUAGE,
            "pages",
            questionnaire.description,
            questionnaire.intro,
        ),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _choice_list_names(questionnaire: Questionnaire) -> dict[tuple[Option, ...], str]:
    """One list per distinct option set, named after the first question using it."""
    names: dict[tuple[Option, ...], str] = {}
    taken = set(RATING_LISTS)
    for question in questionnaire.iter_questions():
        if question.type in CHOICE_TYPES and question.options not in names:
            name = question.name
            while name in taken:
                name += "_list"
            taken.add(name)
            names[question.options] = name
    return names


def _rating_lists_used(questionnaire: Questionnaire) -> dict[str, tuple[Option, ...]]:
    used = {
        _rating_list(question)
        for question in questionnaire.iter_questions()
        if question.type in (QuestionType.RATING, QuestionType.MATRIX_RATING)
    }
    return {name: options for name, options in RATING_LISTS.items() if name in used}


def _rating_list(question: Question) -> str:
    return RATING_LIST_WITH_UNKNOWN if question.allow_unknown else RATING_LIST


def _question_rows(
    question: Question, lists: dict[tuple[Option, ...], str]
) -> list[dict[str, object]]:
    common: dict[str, object] = {
        "name": question.name,
        "label": question.label,
        "hint": question.hint,
        "relevant": question.relevant,
        "unit": question.unit_code,
        "dimension": question.dimension,
    }
    kind = question.type
    if kind == QuestionType.MATRIX_RATING:
        rows: list[dict[str, object]] = [
            {
                **common,
                "type": "begin group",
                "appearance": "table-list",
                "allow_unknown": _yes(question.allow_unknown),
            }
        ]
        for matrix_row in question.rows:
            rows.append(
                {
                    "type": f"select_one {_rating_list(question)}",
                    "name": question.row_field(matrix_row),
                    "label": matrix_row.label,
                    "required": _required_cell(question.required),
                    "required_message": question.required_message,
                    "unit": matrix_row.unit_code,
                    "dimension": matrix_row.dimension,
                    "appearance": "likert",
                }
            )
        rows.append({"type": "end group", "name": question.name})
        return rows
    row: dict[str, object] = {
        **common,
        "required": _required_cell(question.required),
        "required_message": question.required_message,
        "constraint": question.constraint,
        "constraint_message": question.constraint_message,
        "choice_filter": question.choice_filter,
        "min": question.min_value,
        "max": question.max_value,
        "max_length": question.max_length,
        "max_choices": question.max_choices,
        "opinion": _yes(question.opinion),
    }
    if kind in CHOICE_TYPES:
        select = "select_multiple" if kind == QuestionType.MULTIPLE_CHOICE else "select_one"
        row["type"] = f"{select} {lists[question.options]}"
        row["appearance"] = "minimal" if kind == QuestionType.DROPDOWN else ""
    elif kind == QuestionType.RATING:
        row["type"] = f"select_one {_rating_list(question)}"
        row["appearance"] = "likert"
        row["allow_unknown"] = _yes(question.allow_unknown)
    else:
        row["type"] = _SIMPLE_EXPORT_TYPES[kind]
        if kind == QuestionType.NUMBER and question.allow_decimal:
            row["type"] = "decimal"
        if kind == QuestionType.TEXTAREA:
            row["appearance"] = "multiline"
        if kind == QuestionType.SCALE10:
            row["parameters"] = "start=0 end=10 step=1"
    return [row]


_SIMPLE_EXPORT_TYPES = {
    QuestionType.SCALE10: "range",
    QuestionType.NUMBER: "integer",
    QuestionType.DATE: "date",
    QuestionType.TEXT: "text",
    QuestionType.TEXTAREA: "text",
    QuestionType.NOTE: "note",
}


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _required_cell(required: bool | str) -> str:
    if isinstance(required, bool):
        return _yes(required)
    return required


def _append_row(sheet: Any, **values: object) -> None:
    by_key = {header.split("::")[0]: index for index, header in enumerate(SURVEY_HEADERS)}
    cells: list[object] = [""] * len(SURVEY_HEADERS)
    for key, value in values.items():
        cells[by_key[key]] = value
    _append(sheet, cells)


def _append(sheet: Any, values: Any) -> None:
    row = [None if value in ("", None) else value for value in values]
    sheet.append(row)
    # Text is stored as text: openpyxl would otherwise turn a label starting with "=" into a
    # formula, which is both wrong and a formula-injection hazard for whoever opens the file.
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
