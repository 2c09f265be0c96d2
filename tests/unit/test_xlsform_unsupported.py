"""What pyxform accepts but has no meaning here, or cannot be computed here, imports with a
warning per row naming the cause instead of refusing the form; and the XLSForm features of
issue 16 one test each (functions, prefixed columns, piping, repeats, exports pyxform accepts)."""

from __future__ import annotations

import io
import warnings
from datetime import date

from pyxform.xls2xform import convert

from questionnaires.flow import visible_questions
from questionnaires.model import QuestionType
from questionnaires.xlsform import read_xlsform, read_xlsform_report, write_xlsform
from tests.unit.test_xlsform_interop import YES_NO, book, failure


def xform(data: bytes) -> str:
    """The XForm pyxform makes of a workbook (raises if pyxform refuses it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return convert(xlsform=io.BytesIO(data), file_type=".xlsx", warnings=[]).xform


def warnings_at(data: bytes, location: str) -> list[str]:
    return [w.message for w in read_xlsform_report(data).warnings if w.location.startswith(location)]


def test_a_form_of_only_metadata_and_calculations_imports_as_hidden_named_items() -> None:
    survey = [
        ["type", "name", "label", "calculation"],
        ["start", "start", "", ""],
        ["deviceid", "device", "", ""],
        ["audit", "", "", ""],
        ["calculate", "c", "", "1 + ${x}"],
    ]
    report = read_xlsform_report(book(survey))
    items = list(report.questionnaire.iter_questions())
    assert [(q.name, q.type, q.relevant) for q in items] == [
        ("start", QuestionType.NOTE, "false()"),
        ("device", QuestionType.NOTE, "false()"),
        ("audit", QuestionType.NOTE, "false()"),  # pyxform's name for an unnamed audit row
        ("c", QuestionType.NOTE, "false()"),
    ]
    assert items[1].label == "【元数据 deviceid（设备编号）：本平台不采集，填答时不显示】"
    assert items[3].hint == "公式：1 + 〔x〕"
    assert report.questionnaire.sections[0].relevant == "false()"  # no page to show
    messages = [str(w) for w in report.warnings]
    assert (
        "survey 工作表第 3 行 A 列（type）：元数据 deviceid 本平台不采集，已导入为填答时不显示的说明项 device"
        in (messages)
    )
    assert any(m.startswith("survey 工作表第 5 行") and "计算项（calculate）c" in m for m in messages)
    assert visible_questions(report.questionnaire, {}, today=date(2026, 1, 1)) == set()


def test_metadata_is_written_back_as_metadata_and_reads_back_equal() -> None:
    survey = [["type", "name", "label"], ["start", "start", ""], ["text", "q", "Q"], ["end", "end", ""]]
    questionnaire = read_xlsform(book(survey))
    exported = write_xlsform(questionnaire)
    assert read_xlsform(exported) == questionnaire
    form = xform(exported)
    assert '<bind nodeset="/data/part1/start" jr:preload="timestamp"' in form
    assert 'jr:preloadParams="end"' in form


def test_hidden_items_join_the_page_of_the_questions_around_them() -> None:
    survey = [
        ["type", "name", "label", "calculation"],
        ["start", "start", "", ""],
        ["begin group", "g", "组", ""],
        ["text", "a", "A", ""],
        ["calculate", "c", "", "${a}"],
        ["text", "b", "B", ""],
        ["end group", "", "", ""],
    ]
    sections = read_xlsform(book(survey)).sections
    assert [(s.id, [q.name for q in s.questions]) for s in sections] == [("g", ["start", "a", "c", "b"])]


def test_a_condition_using_pulldata_is_left_out_with_a_warning_naming_it() -> None:
    survey = [
        ["type", "name", "label", "relevant", "constraint"],
        ["integer", "age", "Age", "", ". > pulldata('people', 'age', 'id', '1')"],
        ["text", "why", "Why", "${age} > 3", ""],
    ]
    data = book(survey)
    questionnaire = read_xlsform(data)
    assert questionnaire.question("age").constraint == ""
    assert questionnaire.question("why").relevant == "${age} > 3"  # the rest of the logic stays
    assert warnings_at(data, "survey 工作表第 2 行 E 列（constraint）") == [
        "表达式“. > pulldata('people', 'age', 'id', '1')”用到函数 pulldata()，本平台无法计算，"
        "未导入该条件（不检查该约束）"
    ]


def test_a_calculation_this_platform_cannot_compute_drops_the_conditions_using_it() -> None:
    survey = [
        ["type", "name", "label", "calculation", "relevant", "required"],
        ["text", "a", "A", "", "", ""],
        ["calculate", "prev", "", "${last-saved#a}", "", ""],
        ["calculate", "fmt", "", "format-date(today(), '%Y')", "", ""],
        ["text", "b", "B", "", "${prev} != ''", "${fmt} = '2026'"],
    ]
    data = book(survey)
    b = read_xlsform(data).question("b")
    assert (b.relevant, b.required) == ("", False)
    found = warnings_at(data, "survey 工作表第 5 行")
    assert any("上次提交的答案" in w and "未导入该条件（总是显示）" in w for w in found)
    assert any("format-date()" in w and "未导入该条件（不设为必答）" in w for w in found)


def test_a_reference_to_an_unsupported_item_or_a_later_question_is_left_out() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["geopoint", "where", "Where", ""],
        ["text", "a", "A", "${where} != ''"],
        ["text", "b", "B", "${c} = 'yes'"],
        ["text", "c", "C", ""],
    ]
    data = book(survey)
    questionnaire = read_xlsform(data)
    assert questionnaire.question("a").relevant == questionnaire.question("b").relevant == ""
    assert "本平台不支持的项目" in warnings_at(data, "survey 工作表第 3 行 D 列")[0]
    assert "引用了后面的题目 ${c}" in warnings_at(data, "survey 工作表第 4 行 D 列")[0]


def test_a_choice_filter_on_a_column_the_list_lacks_shows_every_option() -> None:
    survey = [
        ["type", "name", "label", "choice_filter"],
        ["select_one yn", "a", "A", ""],
        ["select_one yn", "b", "B", "county = ${a}"],
    ]
    data = book(survey, YES_NO)
    assert read_xlsform(data).question("b").choice_filter == ""
    assert warnings_at(data, "survey 工作表第 3 行 D 列（choice_filter）") == [
        "表达式“county = ${a}”用到选项列表中没有的列“county”（ODK 从外部数据文件读取），"
        "本平台无法计算，未导入该条件（显示全部选项）"
    ]


def test_a_mistyped_function_is_still_a_located_problem() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["text", "a", "A", ""],
        ["text", "b", "B", "lenght(${a}) > 1"],
    ]
    assert [str(p) for p in failure(book(survey)).problems] == [
        "survey 工作表第 3 行 D 列（relevant）："
        "表达式“lenght(${a}) > 1”有误：第 1 个字符“lenght”处的函数不存在"
    ]


def test_calculations_with_the_common_xlsform_functions_are_evaluated() -> None:
    survey = [
        ["type", "name", "label", "calculation", "relevant"],
        ["text", "name", "Name", "", ""],
        ["select_multiple yn", "m", "M", "", ""],
        ["date", "d", "D", "", ""],
        ["calculate", "c1", "", "if(string-length(${name}) > 2, 'long', 'short')", ""],
        ["calculate", "c2", "", "concat(coalesce(${name}, 'x'), '-', count-selected(${m}))", ""],
        ["calculate", "c3", "", "round(number('2.46'), 1) + int(1.9)", ""],
        ["calculate", "c4", "", "${d} < today() and date('2020-01-01') < ${d}", ""],
        ["calculate", "c5", "", "regex(${name}, '^[a-z]+$') and selected(${m}, 'yes')", ""],
        ["note", "n1", "long", "", "${c1} = 'long'"],
        ["note", "n2", "joined", "", "${c2} = 'abc-2'"],
        ["note", "n3", "sum", "", "${c3} = 3.5"],
        ["note", "n4", "dated", "", "${c4}"],
        ["note", "n5", "matched", "", "${c5}"],
    ]
    questionnaire = read_xlsform(book(survey, YES_NO))
    answers = {"name": "abc", "m": ["yes", "no"], "d": "2025-06-01"}
    visible = visible_questions(questionnaire, answers, today=date(2026, 1, 1))
    assert {"n1", "n2", "n3", "n4", "n5"} <= visible
    assert not {"n1", "n5"} & visible_questions(questionnaire, {"name": "AB"}, today=date(2026, 1, 1))


def test_sum_over_a_repeat_adds_its_copies() -> None:
    survey = [
        ["type", "name", "label", "repeat_count", "relevant", "calculation"],
        ["begin repeat", "kid", "Kid", "3", "", ""],
        ["integer", "age", "Age", "", "", ""],
        ["end repeat", "", "", "", "", ""],
        ["calculate", "total", "", "", "", "sum(${age})"],
        ["note", "old", "Old", "", "${total} > 20", ""],
    ]
    questionnaire = read_xlsform(book(survey))
    assert [q.name for q in questionnaire.iter_questions()][:3] == ["age_1", "age_2", "age_3"]
    day = date(2026, 1, 1)
    assert "old" in visible_questions(questionnaire, {"age_1": 10, "age_2": 8, "age_3": 5}, today=day)
    assert "old" not in visible_questions(questionnaire, {"age_1": 10, "age_2": 8}, today=day)


def test_bind_and_body_prefixed_columns_are_read() -> None:
    survey = [
        [
            "type",
            "name",
            "label",
            "bind::required",
            "bind::jr:constraintMsg",
            "bind::constraint",
            "body::appearance",
        ],
        ["select_one yn", "a", "A", "yes", "", "", "minimal"],
        ["integer", "n", "N", "", "太大", ". < 10", ""],
    ]
    questionnaire = read_xlsform(book(survey, YES_NO))
    a, n = questionnaire.question("a"), questionnaire.question("n")
    assert (a.type, a.required) == (QuestionType.DROPDOWN, True)
    assert (n.constraint, n.constraint_message) == (". < 10", "太大")


def test_piping_in_labels_and_hints_survives_export() -> None:
    survey = [
        ["type", "name", "label", "hint"],
        ["text", "who", "Who?", ""],
        ["text", "q", "${who}，您好", "问 ${who}"],
    ]
    questionnaire = read_xlsform(book(survey))
    q = questionnaire.question("q")
    assert (q.label, q.hint) == ("${who}，您好", "问 ${who}")
    form = xform(write_xlsform(questionnaire))
    assert '<output value=" /data/part1/who "/>' in form


def test_export_keeps_the_logic_and_pyxform_accepts_it() -> None:
    survey = [
        ["type", "name", "label", "relevant", "constraint", "calculation", "choice_filter"],
        ["select_one yn", "go", "Go?", "", "", "", ""],
        ["integer", "n", "N", "${go} = 'yes'", ". > 0", "", ""],
        ["calculate", "double", "", "", "", "${n} * 2", ""],
        ["select_one yn", "pick", "Pick", "${double} > 4", "", "", "name != ${go}"],
    ]
    questionnaire = read_xlsform(book(survey, YES_NO))
    form = xform(write_xlsform(questionnaire))
    assert "relevant=\" /data/part1/go  = 'yes'\"" in form
    assert 'constraint=". &gt; 0"' in form
    assert 'relevant="( /data/part1/n  * 2) &gt; 4"' in form
    assert "name != " in form  # the choice filter, as an itemset predicate


def test_indexed_repeat_with_a_number_reads_that_copy() -> None:
    survey = [
        ["type", "name", "label", "repeat_count", "relevant", "calculation"],
        ["begin repeat", "kid", "Kid", "3", "", ""],
        ["integer", "age", "Age", "", "", ""],
        ["end repeat", "", "", "", "", ""],
        ["calculate", "second", "", "", "", "indexed-repeat(${age}, ${kid}, 2)"],
        ["note", "older", "Older", "", "${second} > ${age_1}", ""],
        ["note", "dynamic", "Dynamic", "", "indexed-repeat(${age}, ${kid}, ${age_1}) > 1", ""],
    ]
    data = book(survey)
    questionnaire = read_xlsform(data)
    assert questionnaire.question("older").relevant == "(${age_2}) > ${age_1}"
    assert questionnaire.question("dynamic").relevant == ""  # an index read from an answer
    assert any("indexed-repeat()" in w for w in warnings_at(data, "survey 工作表第 7 行 E 列"))


def test_a_loop_over_units_rates_each_unit_in_its_own_copy() -> None:
    survey = [
        ["type", "name", "label", "unit"],
        ["begin loop over units", "u", "%(label)s", ""],
        ["select_one satisfaction5", "sat", "对%(label)s满意吗？", "%(name)s"],
        ["end loop", "", "", ""],
    ]
    choices = [["list_name", "name", "label"], ["units", "U01", "税务局"], ["units", "U02", "公安局"]]
    questions = list(read_xlsform(book(survey, choices)).iter_questions())
    assert [(q.name, q.type, q.label, q.unit_code) for q in questions] == [
        ("sat_U01", QuestionType.RATING, "对税务局满意吗？", "U01"),
        ("sat_U02", QuestionType.RATING, "对公安局满意吗？", "U02"),
    ]


def test_names_xml_allows_but_this_platform_does_not_are_renamed_with_their_references() -> None:
    survey = [
        ["type", "name", "label", "relevant", "calculation"],
        ["select_one yn", "是否", "是否办理？", "", ""],
        ["calculate", "copy", "", "", "${是否}"],
        ["text", "原因", "您选了 ${copy}", "${copy} = 'yes'", ""],
    ]
    choices = [*YES_NO, ["yn", "maybe", "看 ${原因}"]]
    report = read_xlsform_report(book(survey, choices))
    first, reason = list(report.questionnaire.iter_questions())
    assert (first.name, reason.name) == ("row2", "row4")
    assert (reason.label, reason.relevant) == ("您选了 ${row2}", "(${row2}) = 'yes'")
    assert first.options[-1].label == "看 〔原因〕"  # options do not pipe answers
    messages = [str(w) for w in report.warnings]
    assert (
        "choices 工作表第 4 行 C 列（label）：选项文字中的 ${原因} 不能显示答案，已显示为〔原因〕" in messages
    )
    assert any(m.startswith("survey 工作表第 2 行 B 列（name）：题目名“是否”含本平台") for m in messages)


def test_a_regex_feature_the_safe_evaluator_does_not_run_leaves_the_constraint_out() -> None:
    survey = [
        ["type", "name", "label", "constraint"],
        ["text", "who", "Who", "regex(., '^[\\p{L} ]+$')"],
        ["text", "phone", "Phone", "regex(., '^1[3-9][0-9]{9}$')"],
    ]
    data = book(survey)
    questionnaire = read_xlsform(data)
    assert questionnaire.question("who").constraint == ""
    assert questionnaire.question("phone").constraint == "regex(., '^1[3-9][0-9]{9}$')"
    [warning] = warnings_at(data, "survey 工作表第 2 行 D 列（constraint）")
    assert "超出本平台表达式的能力" in warning and "\\p" in warning and warning.endswith("（不检查该约束）")


def test_headers_in_any_case_and_spacing_as_pyxform_reads_them() -> None:
    survey = [
        ["Type", "NAME", "Label", "Constraint  Message", "constraint"],
        ["integer", "n", "N", "太大", ". < 5"],
    ]
    question = read_xlsform(book(survey)).question("n")
    assert (question.constraint, question.constraint_message) == (". < 5", "太大")
