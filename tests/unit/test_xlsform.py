"""XLSForm import/export: the documented mapping, round trips, guards, and located errors."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell

from questionnaires.checks import MAX_QUESTIONS
from questionnaires.model import DefinitionError, MatrixRow, Option, QuestionType
from questionnaires.shipped import shipped_questionnaires
from questionnaires.xlsform import (
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    read_xlsform,
    read_xlsform_report,
    write_xlsform,
)

Rows = Sequence[Sequence[object]]

SURVEY_HEADER = [
    "type",
    "name",
    "label::English (en)",
    "label::中文 (zh)",
    "hint",
    "required",
    "relevance",
    "constraint",
    "constraint message",
    "choice_filter",
    "appearance",
    "parameters",
    "unit",
    "dimension",
    "opinion",
]
SURVEY: Rows = [
    ["start", "start"],
    ["text", "company", "Company", "企业名称", "选填"],
    ["begin group", "basic", "Basics", "基本情况"],
    ["select_one yes_no", "used", "Used?", "是否办理过业务？", "", "yes"],
    [
        "select_one satisfaction5",
        "tax",
        "Tax",
        "对区税务局是否满意？",
        "",
        "yes",
        "${used} = 'yes'",
        "",
        "",
        "",
        "likert",
        "",
        "U03",
        "服务态度",
    ],
    [
        "text",
        "why",
        "Why",
        "不满意的原因",
        "",
        "",
        "${tax} <= 2",
        "",
        "",
        "",
        "multiline",
        "",
        "U03",
        "",
        "yes",
    ],
    ["select_one area", "area", "Area", "片区", "", "", "", "", "", "", "minimal"],
    ["select_one street", "street", "Street", "街道", "", "", "", "", "", "side = ${area}"],
    ["end group", "basic"],
    [
        "begin group",
        "grid",
        "Grid",
        "请评价以下单位",
        "",
        "",
        "",
        "",
        "",
        "",
        "table-list",
        "",
        "",
        "综合评价",
    ],
    [
        "select_one satisfaction5_dk",
        "grid__U01",
        "NDRC",
        "区发展和改革局",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "",
        "",
        "U01",
    ],
    [
        "select_one satisfaction5_dk",
        "grid__U02",
        "SAMR",
        "区市场监督管理局",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "",
        "",
        "U02",
        "规范执法",
    ],
    ["end group", "grid"],
    ["integer", "staff", "Staff", "员工人数", "", "", "", ". > 0", "须大于 0"],
    ["decimal", "share", "Share", "占比"],
    ["range", "score", "Score", "总体打分"],
    ["date", "founded", "Founded", "成立日期"],
    ["note", "bye", "Bye", "谢谢"],
    ["calculate", "double", "", ""],
]
CHOICES: Rows = [
    ["list name", "name", "label::English (en)", "label::中文 (zh)", "side"],
    ["yes_no", "yes", "Yes", "是"],
    ["yes_no", "no", "No", "否"],
    ["area", "east", "East", "东片"],
    ["area", "west", "West", "西片"],
    ["street", "U18", "Chengguan", "城关街道", "east"],
    ["street", "U20", "Xishan", "西山街道", "west"],
]
SETTINGS: Rows = [
    ["form_title", "form_id", "version", "default_language"],
    ["测试表单", "xls_test", 2026010101, "中文 (zh)"],
]


def make_workbook(
    survey: Rows = (),
    choices: Rows | None = None,
    settings: Rows | None = None,
    *,
    survey_header: Sequence[str] = SURVEY_HEADER,
    survey_title: str = "survey",
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = survey_title
    _fill(sheet, [list(survey_header), *survey])
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows is not None:
            _fill(workbook.create_sheet(title), rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Any, rows: Rows) -> None:
    for row in rows:
        cells: list[object] = []
        for value in row:
            if isinstance(value, str):
                cell = Cell(sheet, value=value)
                cell.data_type = "s"  # as typed in Excel: text, even if it starts with "="
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)


def problems(data: bytes) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        read_xlsform(data)
    return [str(problem) for problem in caught.value.problems]


def test_import_maps_every_supported_type() -> None:
    report = read_xlsform_report(make_workbook(SURVEY, CHOICES, SETTINGS))
    questionnaire = report.questionnaire
    assert (questionnaire.id, questionnaire.title, questionnaire.version) == (
        "xls_test",
        "测试表单",
        "2026010101",
    )
    assert [s.id for s in questionnaire.sections] == ["part1", "basic", "part3"]
    assert questionnaire.sections[1].title == "基本情况"  # Chinese preferred over English
    company = questionnaire.question("company")
    assert (company.type, company.label, company.hint) == (QuestionType.TEXT, "企业名称", "选填")
    tax = questionnaire.question("tax")
    assert (tax.type, tax.unit_code, tax.dimension, tax.allow_unknown, tax.required) == (
        QuestionType.RATING,
        "U03",
        "服务态度",
        False,
        True,
    )
    assert tax.relevant == "${used} = 'yes'"  # "relevance" alias
    why = questionnaire.question("why")
    assert (why.type, why.opinion, why.unit_code) == (QuestionType.TEXTAREA, True, "U03")
    assert questionnaire.question("area").type == QuestionType.DROPDOWN
    street = questionnaire.question("street")
    assert street.choice_filter == "side = ${area}"
    assert street.options[0] == Option("U18", "城关街道", (("side", "east"),))
    grid = questionnaire.question("grid")
    assert grid.type == QuestionType.MATRIX_RATING
    assert (grid.allow_unknown, grid.required, grid.dimension) == (True, True, "综合评价")
    assert grid.rows == (
        MatrixRow("U01", "区发展和改革局", "U01", ""),
        MatrixRow("U02", "区市场监督管理局", "U02", "规范执法"),
    )
    staff = questionnaire.question("staff")
    assert (staff.type, staff.allow_decimal, staff.constraint_message) == (
        QuestionType.NUMBER,
        False,
        "须大于 0",
    )
    assert questionnaire.question("share").allow_decimal is True
    assert questionnaire.question("score").type == QuestionType.SCALE10
    assert questionnaire.question("founded").type == QuestionType.DATE
    assert questionnaire.question("bye").type == QuestionType.NOTE
    # An unused calculation and a metadata row are items the respondent never sees.
    double, start = questionnaire.question("double"), questionnaire.question("start")
    assert (double.type, double.relevant) == (QuestionType.NOTE, "false()")
    assert "计算项 double" in double.label
    assert (start.type, start.relevant) == (QuestionType.NOTE, "false()")
    assert "元数据 start" in start.label
    warnings = " ".join(str(w) for w in report.warnings)
    assert "元数据 start" in warnings and "calculate" in warnings
    assert "忽略label::English (en)" in warnings


def test_round_trip_import_export_import() -> None:
    first = read_xlsform(make_workbook(SURVEY, CHOICES, SETTINGS))
    second = read_xlsform(write_xlsform(first))
    assert second == first
    assert read_xlsform(write_xlsform(second)) == second


@pytest.mark.parametrize("questionnaire_id", sorted(shipped_questionnaires()))
def test_round_trip_of_shipped_questionnaires(questionnaire_id: str) -> None:
    questionnaire = shipped_questionnaires()[questionnaire_id]
    assert read_xlsform(write_xlsform(questionnaire)) == questionnaire


def test_export_follows_the_documented_mapping() -> None:
    questionnaire = read_xlsform(make_workbook(SURVEY, CHOICES, SETTINGS))
    workbook = load_workbook(io.BytesIO(write_xlsform(questionnaire)))
    survey = [row for row in workbook["survey"].iter_rows(values_only=True)]
    header = survey[0]
    assert header[:3] == ("type", "name", "label::中文 (zh)")
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in survey[1:] if row[0] != "end group"}
    assert by_name["tax"]["type"] == "select_one satisfaction5"
    assert by_name["tax"]["appearance"] == "likert"
    assert by_name["grid"]["type"] == "begin group"
    assert by_name["grid"]["appearance"] == "table-list"
    assert by_name["grid__U02"]["type"] == "select_one satisfaction5_dk"
    assert by_name["score"]["parameters"] == "start=0 end=10 step=1"
    assert by_name["area"]["appearance"] == "minimal"
    choices = [row for row in workbook["choices"].iter_rows(values_only=True)]
    assert ("satisfaction5_dk", "unknown", "不了解") in [row[:3] for row in choices]
    settings = list(workbook["settings"].iter_rows(values_only=True))
    assert settings[1][:4] == ("测试表单", "xls_test", "2026010101", "中文 (zh)")


def test_text_that_looks_like_a_formula_stays_text() -> None:
    survey = [["text", "q", "", '=HYPERLINK("http://evil")']]
    questionnaire = read_xlsform(make_workbook(survey, None, None))
    exported = load_workbook(io.BytesIO(write_xlsform(questionnaire)))
    cells = [cell for row in exported["survey"].iter_rows() for cell in row if cell.value]
    formula_cell = next(cell for cell in cells if str(cell.value).startswith("="))
    assert formula_cell.data_type == "s"
    assert read_xlsform(write_xlsform(questionnaire)).question("q").label.startswith("=HYPERLINK")


def test_single_language_and_plain_label_columns() -> None:
    header = ["type", "name", "label::en"]
    only_english = read_xlsform(make_workbook([["text", "q", "Name"]], survey_header=header))
    assert only_english.question("q").label == "Name"
    plain = read_xlsform(make_workbook([["text", "q", "名称"]], survey_header=["Type", "NAME", "Label"]))
    assert plain.question("q").label == "名称"


@pytest.mark.parametrize(
    ("survey", "expected"),
    [
        (
            [["select_one nosuch", "q", "", "题"]],
            "survey 工作表第 2 行 A 列（type）：choices 工作表中没有选项列表“nosuch”",
        ),
        (
            [["text", "q", "", "一"], ["text", "q", "", "二"]],
            "survey 工作表第 3 行 B 列（name）：题目名“q”与题目名“q”重名",
        ),
        (
            [["text", "a", "", "一", "", "", "${c} = 'x'"], ["text", "b", "", "二"]],
            "survey 工作表第 2 行 G 列（relevance）：引用了不存在的题目 ${c}",
        ),
        (
            [["text", "a", "", "一", "", "", "${a} = = 1"]],
            "survey 工作表第 2 行 G 列（relevance）：表达式“${a} = = 1”有误",
        ),
        (
            [["select_one satisfaction5", "r", "", "满意吗"]],
            "survey 工作表第 2 行 M 列（unit）：满意度评价题必须指定被评价单位（unit）",
        ),
        ([["note", "", "", ""]], "survey 工作表第 2 行 D 列（label::中文 (zh)）：缺少题目文字"),
        ([["begin repeat", "rep", "", "重复"]], "第 2 行 A 列（type）：begin repeat 没有对应的 end repeat"),
        ([["begin group", "g", "", "组"]], "第 2 行 A 列（type）：begin group 没有对应的 end group"),
        ([["end group", "g"]], "多余的 end group"),
        ([["geopoint2", "g", "", "位置"]], "未知的题型“geopoint2”"),
        ([["integer", "n", "", "数", "", "maybe?"]], "survey 工作表第 2 行 F 列（required）"),
    ],
)
def test_errors_name_sheet_row_and_column(survey: Rows, expected: str) -> None:
    found = problems(make_workbook(survey, CHOICES, None))
    assert any(expected in problem for problem in found), found


def test_choice_problems_point_to_the_choices_sheet() -> None:
    choices = [*CHOICES, ["yes_no", "x" * 70, "Long", "长"]]
    found = problems(make_workbook([["select_one yes_no", "q", "", "题"]], choices, None))
    assert any(p.startswith("choices 工作表第 8 行（列表 yes_no）") and "无效" in p for p in found)


def test_missing_choice_label_falls_back_to_another_language_then_the_name() -> None:
    choices = [*CHOICES, ["yes_no", "maybe", "Maybe", ""], ["yes_no", "dk", "", ""]]
    report = read_xlsform_report(make_workbook([["select_one yes_no", "q", "", "题"]], choices, None))
    assert [o.label for o in report.questionnaire.question("q").options] == ["是", "否", "Maybe", "dk"]
    warnings = [str(w) for w in report.warnings]
    assert any(w.startswith("choices 工作表第 9 行 D 列") and "缺少文字" in w for w in warnings)


def test_repeated_choice_keeps_its_first_row_with_a_warning() -> None:
    choices = [*CHOICES, ["yes_no", "yes", "Again", "又是"]]
    report = read_xlsform_report(make_workbook([["select_one yes_no", "q", "", "题"]], choices, None))
    assert [o.label for o in report.questionnaire.question("q").options] == ["是", "否"]
    assert any(str(w).startswith("choices 工作表第 8 行 B 列") and "重复" in str(w) for w in report.warnings)


def test_reserved_rating_list_must_hold_the_scale() -> None:
    choices = [["list_name", "name", "label"], ["satisfaction5", "good", "好"]]
    found = problems(make_workbook([["text", "q", "", "题"]], choices, None))
    assert any("保留列表 satisfaction5 的选项值必须是 5/4/3/2/1" in p for p in found)


def test_missing_or_misnamed_survey_sheet() -> None:
    assert problems(make_workbook([], [], survey_title="Sheet1")) == [
        "缺少 survey 工作表（工作簿中的工作表：“sheet1”、“choices”）"
    ]
    # pyxform reads a workbook's only sheet as its survey, whatever its name
    report = read_xlsform_report(make_workbook([["text", "q", "", "题"]], survey_title="Sheet1"))
    assert report.questionnaire.question("q").label == "题"
    assert "sheet1 工作表：工作簿只有这一个工作表，按 survey 工作表读取" in [str(w) for w in report.warnings]
    # pyxform reads sheet names case-insensitively, and so do we
    assert read_xlsform(make_workbook([["text", "q", "", "题"]], survey_title="Survey ")).question("q")


def test_missing_required_columns() -> None:
    found = problems(make_workbook([["text", "q"]], survey_header=["type", "label"]))
    assert found == ["survey 工作表第 1 行：缺少 name 列"]


def test_missing_label_column_uses_the_names_with_warnings() -> None:
    report = read_xlsform_report(make_workbook([["text", "q"]], survey_header=["type", "name"]))
    assert report.questionnaire.question("q").label == "q"
    assert "survey 工作表第 1 行：缺少 label 列，题目文字用题目名代替" in [str(w) for w in report.warnings]


def test_not_a_workbook() -> None:
    assert "不是有效的 Excel 工作簿" in problems(b"PK\x03\x04 definitely not a workbook")[0]
    assert "不是有效的 Excel 工作簿" in problems(b"<html>")[0]
    assert "不是有效的 .xls 工作簿" in problems(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)[0]


def test_file_size_guard() -> None:
    assert "文件过大" in problems(b"0" * 5_000_001)[0]


def test_zip_bomb_guard() -> None:
    data = make_workbook([["text", "q", "", "题"]])
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/padding.bin", b"\0" * 60_000_000)
    assert len(buffer.getvalue()) < 1_000_000
    assert "解压后过大" in problems(buffer.getvalue())[0]


def test_row_limit() -> None:
    survey = [["text", f"q{n}", "", "题"] for n in range(MAX_SHEET_ROWS + 5)]
    found = problems(make_workbook(survey))
    # every problem at once: the limit, and what the rows read so far break
    assert found == [
        f"survey 工作表第 {MAX_SHEET_ROWS + 1} 行：行数超过上限 {MAX_SHEET_ROWS}",
        f"settings 工作表：题目数量 {MAX_SHEET_ROWS - 1} 超过上限 {MAX_QUESTIONS}",
    ]


def test_column_limit() -> None:
    header = ["type", "name", "label", *[f"extra{n}" for n in range(MAX_SHEET_COLUMNS)]]
    found = problems(make_workbook([["text", "q", "题"]], survey_header=header))
    assert found == [f"survey 工作表第 1 行：列数超过上限 {MAX_SHEET_COLUMNS}"]


def test_huge_cell() -> None:
    found = problems(make_workbook([["text", "q", "", "题" * 5001]]))
    assert found == [
        "survey 工作表第 2 行 D 列：单元格内容超过 5000 个字符",
        "survey 工作表第 2 行 D 列（label::中文 (zh)）：超过 2000 个字",
    ]


def test_rows_after_twenty_blank_rows_are_ignored() -> None:
    survey = [["text", "a", "", "一"], *[[] for _ in range(20)], ["text", "b", "", "二"]]
    questionnaire = read_xlsform(make_workbook(survey))
    assert [q.name for q in questionnaire.iter_questions()] == ["a"]
