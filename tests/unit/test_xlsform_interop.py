"""XLSForms as ODK, KoBoToolbox and pyxform write them: legacy spellings, aliases, nesting,
calculations, unsupported types, and problems reported with their warnings."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from questionnaires.model import Option, QuestionType
from questionnaires.xlsform import XlsformError, read_xlsform, read_xlsform_report, write_xlsform

CORPUS = Path(__file__).resolve().parents[1] / "data" / "xlsforms"
YES_NO = [["list_name", "name", "label"], ["yn", "yes", "是"], ["yn", "no", "否"]]


def book(survey: list[list[object]], choices: list[list[object]] | None = None, **sheets: object) -> bytes:
    workbook = Workbook()
    workbook.active.title = "survey"
    for row in survey:
        workbook.active.append(row)
    all_sheets = {"choices": choices, **sheets}
    for title, rows in all_sheets.items():
        if rows is not None:
            sheet = workbook.create_sheet(title)
            for row in rows:  # type: ignore[attr-defined]
                sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def warnings_of(data: bytes) -> list[str]:
    return [str(w) for w in read_xlsform_report(data).warnings]


def failure(data: bytes) -> XlsformError:
    with pytest.raises(XlsformError) as caught:
        read_xlsform(data)
    return caught.value


def test_legacy_spellings() -> None:
    survey = [
        ["type", "name", "label:English", "hint:English"],
        ["select one from yn", "a", "A?", "pick"],
        ["select all that apply from yn", "b", "B?", ""],
        ["select1 yn", "c", "C?", ""],
        ["add text prompt", "d", "D?", ""],
    ]
    questionnaire = read_xlsform(book(survey, YES_NO))
    kinds = [(q.name, q.type, q.label) for q in questionnaire.iter_questions()]
    assert kinds == [
        ("a", QuestionType.SINGLE_CHOICE, "A?"),
        ("b", QuestionType.MULTIPLE_CHOICE, "B?"),
        ("c", QuestionType.SINGLE_CHOICE, "C?"),
        ("d", QuestionType.TEXT, "D?"),
    ]
    assert questionnaire.question("a").hint == "pick"


def test_begin_loop_over_is_unrolled_per_choice() -> None:
    survey = [
        ["type", "name", "label"],
        ["begin loop over yn", "loop", "关于 %(label)s"],
        ["integer", "count", "%(label)s 的数量"],
        ["end loop", "", ""],
    ]
    questionnaire = read_xlsform(book(survey, YES_NO))
    assert [s.title for s in questionnaire.sections] == ["关于 是", "关于 否"]
    assert [(q.name, q.label) for q in questionnaire.iter_questions()] == [
        ("count_yes", "是 的数量"),
        ("count_no", "否 的数量"),
    ]


def test_legacy_xls_workbook_imports() -> None:
    questionnaire = read_xlsform((CORPUS / "pyxform_files" / "yes_or_no_question.xls").read_bytes())
    question = next(questionnaire.iter_questions())
    assert question.type == QuestionType.SINGLE_CHOICE
    assert [o.value for o in question.options] == ["yes", "no"]


def test_pyxform_type_aliases_and_unsupported_types() -> None:
    survey = [
        ["type", "name", "label"],
        ["string", "s", "S"],
        ["int", "i", "I"],
        ["q decimal", "d", "D"],
        ["photo", "p", "拍照"],
        ["gps", "g", "位置"],
        ["imei", "device", ""],
        ["barcode", "bc", "扫码"],
    ]
    report = read_xlsform_report(book(survey))
    questions = {q.name: q for q in report.questionnaire.iter_questions()}
    assert questions["s"].type == QuestionType.TEXT
    assert questions["i"].type == QuestionType.NUMBER and not questions["i"].allow_decimal
    assert questions["d"].allow_decimal
    assert questions["p"].type == QuestionType.NOTE
    assert questions["p"].label == "【不支持的题型：照片（image）】拍照"
    assert questions["g"].label.startswith("【不支持的题型：地理位置（geopoint）】")
    # Metadata: an item the respondent never sees, named after the metadata.
    assert (questions["device"].type, questions["device"].relevant) == (QuestionType.NOTE, "false()")
    assert questions["device"].label.startswith("【元数据 imei（设备编号）")
    warnings = [str(w) for w in report.warnings]
    assert (
        "survey 工作表第 5 行 A 列（type）：不支持的题型 image（照片），已导入为说明文字，不收集答案"
        in warnings
    )
    assert any(w.startswith("survey 工作表第 7 行") and "imei" in w for w in warnings)
    assert any(w.startswith("survey 工作表第 8 行") and "barcode" in w for w in warnings)


def test_or_other_adds_the_option_and_a_follow_up_question() -> None:
    survey = [["type", "name", "label"], ["select_one yn or_other", "q", "Q"]]
    questionnaire = read_xlsform(book(survey, YES_NO))
    assert questionnaire.question("q").options[-1] == Option("other", "其他")
    other = questionnaire.question("q_other")
    assert (other.type, other.relevant) == (QuestionType.TEXT, "selected(${q}, 'other')")


def test_empty_group_is_dropped_with_its_cause() -> None:
    survey = [
        ["type", "name", "label"],
        ["begin group", "meta", "元数据"],
        ["start", "start", ""],
        ["end group", "", ""],
        ["text", "q", "Q"],
    ]
    report = read_xlsform_report(book(survey))
    assert [s.id for s in report.questionnaire.sections] == ["part1"]
    warnings = [str(w) for w in report.warnings]
    assert any("第 3 行" in w and "start" in w for w in warnings)
    assert any("第 2 行" in w and "分组 meta 中没有可导入的题目，已省略" in w for w in warnings)


def test_names_are_unique_per_group_only() -> None:
    survey = [
        ["type", "name", "label"],
        ["begin group", "a", "A"],
        ["text", "name", "甲的名字"],
        ["end group", "", ""],
        ["begin group", "b", "B"],
        ["text", "name", "乙的名字"],
        ["end group", "", ""],
    ]
    report = read_xlsform_report(book(survey))
    assert [q.name for q in report.questionnaire.iter_questions()] == ["name", "name_2"]
    assert "survey 工作表第 6 行 B 列（name）：题目名“name”重名，已改为“name_2”" in [
        str(w) for w in report.warnings
    ]
    same_group = [["type", "name", "label"], ["text", "x", "1"], ["text", "x", "2"]]
    assert any("重名" in str(p) for p in failure(book(same_group)).problems)


def test_nested_groups_become_sections_with_joined_titles_and_conditions() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["select_one yn", "go", "继续？", ""],
        ["begin group", "outer", "外层", "${go} = 'yes'"],
        ["text", "a", "A", ""],
        ["begin group", "inner", "内层", "${a} != ''"],
        ["text", "b", "B", ""],
        ["end group", "", "", ""],
        ["text", "c", "C", ""],
        ["end group", "", "", ""],
    ]
    sections = read_xlsform(book(survey, YES_NO)).sections
    assert [(s.title, [q.name for q in s.questions]) for s in sections] == [
        ("", ["go"]),
        ("外层", ["a"]),
        ("外层 / 内层", ["b"]),
        ("外层", ["c"]),
    ]
    assert sections[2].relevant == "(${go} = 'yes') and (${a} != '')"
    assert sections[3].relevant == "${go} = 'yes'"


def test_groups_without_title_or_condition_do_not_split_the_page() -> None:
    survey = [
        ["type", "name", "label"],
        ["begin group", "outer", "外层"],
        ["text", "a", "A"],
        ["begin group", "plain", ""],
        ["text", "b", "B"],
        ["end group", "", ""],
        ["begin group", "skipped", "只有元数据"],
        ["deviceid", "d", ""],
        ["end group", "", ""],
        ["text", "c", "C"],
        ["end group", "", ""],
    ]
    sections = read_xlsform(book(survey)).sections
    assert [(s.title, [q.name for q in s.questions]) for s in sections] == [("外层", ["a", "b", "d", "c"])]
    assert sections[0].questions[2].relevant == "false()"  # the metadata row: never shown


def test_typographic_quotes_and_xpath_paths_are_normalised() -> None:
    survey = [
        ["type", "name", "label", "bind::relevant", "constraint"],
        ["select_one yn", "q", "Q", "", ""],
        ["integer", "n", "N", "${q} = ‘yes’", ". <= ../total + 1"],
    ]
    survey.insert(1, ["integer", "total", "T", "", ""])
    question = read_xlsform(book(survey, YES_NO)).question("n")
    assert question.relevant == "${q} = 'yes'"
    assert question.constraint == ". <= ${total} + 1"


def test_select_one_external_reads_external_choices() -> None:
    survey = [
        ["type", "name", "label", "choice_filter"],
        ["select_one yn", "area", "片区", ""],
        ["select_one_external street", "street", "街道", "area = ${area}"],
    ]
    external = [
        ["list_name", "name", "label", "area"],
        ["street", "s1", "一街", "yes"],
        ["street", "s2", "二街", "no"],
    ]
    question = read_xlsform(book(survey, YES_NO, external_choices=external)).question("street")
    assert question.type == QuestionType.DROPDOWN
    assert question.options == (
        Option("s1", "一街", (("area", "yes"),)),
        Option("s2", "二街", (("area", "no"),)),
    )
    assert question.choice_filter == "area = ${area}"


def test_calculations_are_inlined_into_the_conditions_that_use_them() -> None:
    survey = [
        ["type", "name", "label", "calculation", "relevant"],
        ["integer", "a", "A", "", ""],
        ["integer", "b", "B", "", ""],
        ["calculate", "total", "", "${a} + ${b}", ""],
        ["calculate", "big", "", "if(${total} > 10, 'yes', 'no')", ""],
        ["calculate", "unused", "", "1", ""],
        ["text", "why", "合计 ${total}，为什么？", "", "${big} = 'yes'"],
    ]
    report = read_xlsform_report(book(survey))
    why = report.questionnaire.question("why")
    assert why.relevant == "(if((${a} + ${b}) > 10, 'yes', 'no')) = 'yes'"
    assert why.label == "合计 〔total〕，为什么？"
    warnings = [str(w) for w in report.warnings]
    assert any(w.startswith("survey 工作表第 6 行") and "unused 未被任何条件引用" in w for w in warnings)
    assert any(w.startswith("survey 工作表第 7 行 C 列") and "${total}" in w for w in warnings)


def test_a_calculation_that_cannot_be_converted_is_named_where_it_is_used() -> None:
    survey = [
        ["type", "name", "label", "calculation", "relevant"],
        ["calculate", "pos", "", "1 +", ""],
        ["text", "q", "Q", "", "${pos} = 1"],
    ]
    problems = [str(p) for p in failure(book(survey)).problems]
    assert len(problems) == 1
    assert problems[0].startswith(
        "survey 工作表第 3 行 E 列（relevant）：引用的计算项 ${pos}（survey 工作表第 2 行）"
    )


def test_piping_keeps_references_to_answered_questions() -> None:
    survey = [
        ["type", "name", "label", "hint"],
        ["text", "who", "姓名", ""],
        ["text", "q", "${who}，您好", "${who}"],
    ]
    questionnaire = read_xlsform(book(survey))
    assert (questionnaire.question("q").label, questionnaire.question("q").hint) == ("${who}，您好", "${who}")


def test_repeat_with_a_fixed_count_becomes_that_many_copies() -> None:
    survey = [
        ["type", "name", "label", "repeat_count", "relevant", "calculation"],
        ["begin repeat", "member", "家庭成员", "3", "", ""],
        ["text", "member_name", "姓名", "", "", ""],
        ["calculate", "pos", "", "", "", "position(..)"],
        ["integer", "age", "${member_name} 的年龄", "", "${pos} > 1 and ${member_name} != ''", ""],
        ["end repeat", "", "", "", "", ""],
        ["note", "done", "合计年龄", "", "sum(${age}) > 0", ""],
    ]
    report = read_xlsform_report(book(survey))
    questionnaire = report.questionnaire
    assert [s.title for s in questionnaire.sections][:3] == [
        "家庭成员（第 1 项）",
        "家庭成员（第 2 项）",
        "家庭成员（第 3 项）",
    ]
    assert [q.name for q in questionnaire.sections[1].questions] == ["member_name_2", "age_2"]
    age_2 = questionnaire.question("age_2")
    assert age_2.label == "${member_name_2} 的年龄"
    assert age_2.relevant == "(2) > 1 and ${member_name_2} != ''"
    assert questionnaire.question("done").relevant == "(sum(${age_1}) + sum(${age_2}) + sum(${age_3})) > 0"
    assert any("重复组 member 展开为 3 份" in str(w) for w in report.warnings)


def test_repeat_counted_by_an_answer_shows_as_many_copies_as_answered() -> None:
    survey = [
        ["type", "name", "label", "repeat_count"],
        ["integer", "n", "几位成员？", ""],
        ["begin repeat", "member", "成员", "${n}"],
        ["text", "who", "姓名", ""],
        ["end repeat", "", "", ""],
    ]
    sections = read_xlsform(book(survey)).sections
    assert [s.relevant for s in sections[1:]] == [f"(${{n}}) >= {k}" for k in range(1, 6)]


def test_nested_repeats_name_each_copy_and_keep_references_inside_it() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["begin repeat", "house", "住户", ""],
        ["text", "head", "户主", ""],
        ["begin repeat", "person", "成员", ""],
        ["text", "pname", "姓名", "${head} != ''"],
        ["end repeat", "", "", ""],
        ["end repeat", "", "", ""],
    ]
    questionnaire = read_xlsform(book(survey))
    names = [q.name for q in questionnaire.iter_questions()]
    assert names[:6] == ["house_count", "head_1", "person_1_count", "pname_1_1", "pname_1_2", "pname_1_3"]
    assert questionnaire.question("pname_2_3").relevant == "${head_2} != ''"
    assert len(names) == 1 + 3 * (2 + 3)  # 3 houses: each with 3 persons, 15 pages in all


def test_open_repeat_asks_how_many_entries() -> None:
    survey = [
        ["type", "name", "label"],
        ["begin repeat", "visit", "走访"],
        ["text", "place", "地点"],
        ["end repeat", "", ""],
    ]
    questionnaire = read_xlsform(book(survey))
    counter = questionnaire.question("visit_count")
    assert (counter.type, counter.min_value, counter.max_value) == (QuestionType.NUMBER, 0, 5)
    assert questionnaire.sections[-1].relevant == "(${visit_count}) >= 5"
    assert read_xlsform(write_xlsform(questionnaire)) == questionnaire


def test_range_other_than_zero_to_ten_is_a_bounded_number() -> None:
    survey = [["type", "name", "label", "parameters"], ["range", "r", "打分", "start=1 end=5 step=1"]]
    question = read_xlsform(book(survey)).question("r")
    assert (question.type, question.min_value, question.max_value) == (QuestionType.NUMBER, 1, 5)


def test_long_open_repeat_gets_fewer_copies_and_a_required_note_is_a_note() -> None:
    body = [["text", f"q{n}", f"问题 {n}", ""] for n in range(60)]
    survey = [
        ["type", "name", "label", "required"],
        ["note", "intro", "说明", "yes"],
        ["begin repeat", "r", "R", ""],
        *body,
        ["end repeat", "", "", ""],
    ]
    report = read_xlsform_report(book(survey))
    assert report.questionnaire.question("r_count").max_value == 2  # 150 // 60
    assert report.questionnaire.question("intro").required is False
    assert "survey 工作表第 2 行 D 列（required）：说明文字（note）不能必答，已忽略 required" in [
        str(w) for w in report.warnings
    ]


def test_range_parameters_may_be_separated_by_semicolons_or_commas() -> None:
    for parameters in ("start=1;end=4;step=1", "start=1,end=4,step=1"):
        survey = [["type", "name", "label", "parameters"], ["range", "r", "打分", parameters]]
        assert read_xlsform(book(survey)).question("r").max_value == 4


def test_a_problem_repeated_in_every_copy_of_a_repeat_is_said_once() -> None:
    survey = [
        ["type", "name", "label", "relevant", "repeat_count"],
        ["begin repeat", "r", "R", "", "4"],
        ["integer", "n", "N", "${n} > nosuch('a', 'b', 'c', 'd')", ""],
        ["end repeat", "", "", "", ""],
    ]
    problems = [str(p) for p in failure(book(survey)).problems]
    assert len(problems) == 1
    assert problems[0].startswith("survey 工作表第 3 行 D 列（relevant）：表达式“${n_1} > nosuch(")
    assert problems[0].endswith("（另有 3 份重复组副本有同样的问题）")


def test_every_problem_at_once_with_the_warnings_that_explain_them() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["begin group", "g", "组", ""],
        ["geopoint", "where", "位置", ""],
        ["select_one nolist", "s", "S", ""],
        ["text", "t", "T", "${x} = 1"],
        ["end group", "", "", ""],
    ]
    error = failure(book(survey))
    problems = [str(p) for p in error.problems]
    assert "survey 工作表第 4 行 A 列（type）：choices 工作表中没有选项列表“nolist”" in problems
    assert "survey 工作表第 5 行 D 列（relevant）：引用了不存在的题目 ${x}" in problems
    assert any(str(w).startswith("survey 工作表第 3 行") and "geopoint" in str(w) for w in error.warnings)


def test_export_of_an_imported_form_reads_back_equal() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["select_one yn or_other", "q", "Q", ""],
        ["begin group", "g", "组", "${q} = 'yes'"],
        ["begin group", "h", "子组", ""],
        ["integer", "n", "N", ""],
        ["end group", "", "", ""],
        ["end group", "", "", ""],
    ]
    questionnaire = read_xlsform(book(survey, YES_NO))
    assert read_xlsform(write_xlsform(questionnaire)) == questionnaire
