"""Our YAML/JSON definition format: parsing, canonical form, and precise Chinese errors."""

from __future__ import annotations

import json
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.canonical import dump_yaml, to_canonical_dict
from questionnaires.definition import from_canonical_dict, parse_definition
from questionnaires.model import (
    DefinitionError,
    MatrixRow,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)

SAMPLE = textwrap.dedent(
    """
    id: sample
    title: 示例问卷
    intro: |
      第一段
      第二段
    choice_lists:
      yes_no:
        - {value: "yes", label: 是}
        - {value: "no", label: 否}
    sections:
      - id: s1
        title: 第一部分
        questions:
          - name: used
            type: single_choice
            label: 是否办理过业务？
            options: yes_no
            required: true
          - name: rating
            type: rating
            label: 您对区税务局是否满意？
            unit: U03
            dimension: 服务态度
            allow_unknown: true
            relevant: ${used} = 'yes'
          - name: units
            type: matrix_rating
            label: 请评价以下单位
            dimension: 综合评价
            required: "${used} = 'yes'"
            rows:
              - {id: U01, label: 区发展和改革局, unit: U01}
              - {id: U02, label: 区市场监督管理局, unit: U02, dimension: 规范执法}
          - name: staff
            type: number
            label: 员工人数
            min: 1
            max: 100000.0
          - name: opinion
            type: textarea
            label: 意见建议
            unit: U03
            opinion: true
            max_length: 500
    """
)


def problems_of(text: str, fmt: str = "yaml") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, fmt)  # type: ignore[arg-type]
    return [str(problem) for problem in caught.value.problems]


def test_parse_builds_the_model() -> None:
    questionnaire = parse_definition(SAMPLE, "yaml")
    assert questionnaire.id == "sample"
    assert questionnaire.intro == "第一段\n第二段"
    used, rating, units, staff, opinion = questionnaire.sections[0].questions
    assert used.options == (Option("yes", "是"), Option("no", "否"))
    assert used.required is True
    assert rating == Question(
        name="rating",
        type=QuestionType.RATING,
        label="您对区税务局是否满意？",
        unit_code="U03",
        dimension="服务态度",
        allow_unknown=True,
        relevant="${used} = 'yes'",
    )
    assert units.required == "${used} = 'yes'"
    assert units.rows[1] == MatrixRow("U02", "区市场监督管理局", "U02", "规范执法")
    assert units.row_dimension(units.rows[0]) == "综合评价"
    assert staff.max_value == 100000 and isinstance(staff.max_value, int)
    assert opinion.opinion is True and opinion.effective_max_length == 500
    assert questionnaire.referenced_unit_codes() == {"U01", "U02", "U03"}


def test_json_has_the_same_structure() -> None:
    from_yaml = parse_definition(SAMPLE, "yaml")
    text = json.dumps(to_canonical_dict(from_yaml), ensure_ascii=False)
    assert parse_definition(text, "json") == from_yaml


def test_canonical_dict_is_deterministic_and_omits_defaults() -> None:
    questionnaire = parse_definition(SAMPLE, "yaml")
    first = json.dumps(to_canonical_dict(questionnaire), sort_keys=True)
    second = json.dumps(to_canonical_dict(parse_definition(SAMPLE, "yaml")), sort_keys=True)
    assert first == second
    rating = to_canonical_dict(questionnaire)["sections"][0]["questions"][1]
    assert rating == {
        "name": "rating",
        "type": "rating",
        "label": "您对区税务局是否满意？",
        "relevant": "${used} = 'yes'",
        "unit": "U03",
        "dimension": "服务态度",
        "allow_unknown": True,
    }
    assert "choice_lists" not in to_canonical_dict(questionnaire)


def test_dump_yaml_reads_back_and_keeps_multiline_text_readable() -> None:
    questionnaire = parse_definition(SAMPLE, "yaml")
    dumped = dump_yaml(questionnaire)
    assert "intro: |" in dumped
    assert "'yes'" in dumped  # quoted, or YAML would read a boolean
    assert "区发展和改革局" in dumped  # not \u escapes
    assert parse_definition(dumped, "yaml") == questionnaire


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("name: rating", "name: used", "题目名“used”与题目名“used”重名"),
        ("options: yes_no", "options: yes_nope", "选项列表“yes_nope”不存在"),
        ("relevant: ${used} = 'yes'", "relevant: ${nosuch} = 'yes'", "不存在的题目 ${nosuch}"),
        (
            "relevant: ${used} = 'yes'",
            "relevant: ${staff} > 3",
            "第 1 部分第 2 题（rating）的 relevant：引用了后面的题目 ${staff}",
        ),
        ("relevant: ${used} = 'yes'", "relevant: ${used} == 'yes'", "请用“=”比较是否相等"),
        ("relevant: ${used} = 'yes'", "relevant: ${rating} = 5", "不能引用本题自身"),
        ("relevant: ${used} = 'yes'", "relevant: . = 5", "只有 constraint 可以用“.”"),
        ("        unit: U03\n        dimension", "        dimension", "必须指定被评价单位"),
        ("label: 您对区税务局是否满意？", "label: ''", "缺少题目文字（label）"),
        ("type: rating", "type: stars", "未知的题型“stars”"),
        (
            "- {id: U01, label: 区发展和改革局, unit: U01}",
            "- {id: U01, label: 区发展和改革局}",
            "第 1 行（区发展和改革局）没有指定被评价单位",
        ),
        ("max_length: 500", "max_length: 0", "max_length 应在"),
        ("min: 1", "min: 200000", "最小值 200000 大于最大值 100000"),
        ("min: 1", "min: 1.5", "整数题的 min 必须是整数"),
        ("opinion: true", "opinion: maybe", "应为 true 或 false"),
        ("name: staff", "name: staff__count", "不能包含连续两个下划线"),
        ("name: staff", "name: 2staff", "须以字母或下划线开头"),
        (
            '- {value: "yes", label: 是}',
            "- {value: yes, label: 是}",
            "yes/no/true/false/on/off 须加引号",
        ),
        ("label: 员工人数", "label: 员工人数\n        colour: red", "未知的字段“colour”"),
        ("id: sample", "id: ''", "缺少 id"),
    ],
)
def test_problems_are_located_and_explained(replace: str, by: str, expected: str) -> None:
    assert replace in SAMPLE
    problems = problems_of(SAMPLE.replace(replace, by, 1))
    assert any(expected in problem for problem in problems), problems


def test_references_to_notes_and_whole_matrices_are_rejected() -> None:
    text = SAMPLE + "\n".join(
        [
            "  - id: s2",
            "    title: 第二部分",
            "    questions:",
            "      - {name: info, type: note, label: 说明}",
            "      - {name: a, type: text, label: A, relevant: \"${info} = ''\"}",
            '      - {name: b, type: text, label: B, relevant: "${units} = 5"}',
            '      - {name: c, type: text, label: C, relevant: "${units__U09} = 5"}',
            '      - {name: d, type: text, label: D, relevant: "${units__U01} = 5"}',
        ]
    )
    problems = problems_of(text)
    assert any("${info} 是说明文字" in p for p in problems)
    assert any("矩阵题不能整体引用" in p and "${units__U01}" in p for p in problems)
    assert any("矩阵题 units 没有编号为 U09 的行" in p for p in problems)
    assert not any("（d）" in p for p in problems)  # a row reference is fine


def test_choice_filter_columns_are_checked() -> None:
    text = textwrap.dedent(
        """
        id: cf
        title: 筛选
        sections:
          - id: s
            title: 部分
            questions:
              - name: area
                type: single_choice
                label: 片区
                options: [{value: east, label: 东片}, {value: west, label: 西片}]
              - name: street
                type: dropdown
                label: 街道
                choice_filter: zone = ${area}
                options:
                  - {value: U18, label: 城关街道, attributes: {area: east}}
                  - {value: U20, label: 西山街道, attributes: {area: west}}
        """
    )
    problems = problems_of(text)
    assert any("“zone”不是选项的列" in p for p in problems)
    fixed = parse_definition(text.replace("zone = ", "area = "), "yaml")
    assert fixed.question("street").options[0].attributes == (("area", "east"),)


def test_syntax_errors_give_line_and_column() -> None:
    problems = problems_of("id: x\ntitle: [unclosed\n")
    assert problems[0].startswith("第 ")
    assert "YAML 格式错误" in problems[0]
    problems = problems_of('{"id": "x",}', "json")
    assert problems == [problems[0]] and "第 1 行第 12 列" in problems[0]


def test_yaml_aliases_are_refused_to_prevent_billion_laughs() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    problems = problems_of(bomb)
    assert "别名" in problems[0] and problems[0].startswith("第 2 行")


def test_deep_nesting_is_refused() -> None:
    assert "嵌套层数" in problems_of("[" * 5000 + "]" * 5000)[0]
    assert problems_of("[" * 100_000 + "]" * 100_000, "json")[0]


def test_huge_definition_is_refused() -> None:
    assert "过大" in problems_of("#" * 2_000_001)[0]


def test_yaml_tags_cannot_build_python_objects() -> None:
    problems = problems_of("!!python/object/apply:os.system ['echo pwned']\n")
    assert "YAML 格式错误" in problems[0]


def test_non_mapping_document() -> None:
    assert problems_of("- 1\n- 2\n") == ["问卷：应为键值对（映射）"]


# --- property: the canonical form round-trips -----------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda n: "__" not in n)
labels = (
    st.text(alphabet="满意度调查服务企业ABC 123", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def questionnaires(draw: st.DrawFn) -> Questionnaire:
    used = draw(st.lists(names, min_size=2, max_size=8, unique=True))
    questions = []
    for name in used[1:]:
        kind = draw(st.sampled_from(list(QuestionType)))
        extra: dict[str, object] = {}
        if kind in (
            QuestionType.SINGLE_CHOICE,
            QuestionType.MULTIPLE_CHOICE,
            QuestionType.DROPDOWN,
        ):
            values = draw(st.lists(names, min_size=1, max_size=4, unique=True))
            # Options must read differently (a respondent tells them apart by their text).
            texts = draw(st.lists(labels, min_size=len(values), max_size=len(values),
                                  unique_by=lambda text: " ".join(text.split())))
            extra["options"] = tuple(Option(v, text) for v, text in zip(values, texts, strict=True))
        if kind == QuestionType.RATING:
            extra["unit_code"] = "U01"
            extra["allow_unknown"] = draw(st.booleans())
        if kind == QuestionType.MATRIX_RATING:
            rows = draw(st.lists(st.sampled_from(["U01", "U02", "U03"]), min_size=1, unique=True))
            extra["rows"] = tuple(MatrixRow(row, draw(labels), row) for row in rows)
        if kind == QuestionType.NUMBER:
            extra["min_value"] = draw(st.integers(-5, 5))
            extra["max_value"] = draw(st.integers(6, 100))
        if kind != QuestionType.NOTE:
            extra["required"] = draw(st.booleans())
        questions.append(Question(name=name, type=kind, label=draw(labels), **extra))  # type: ignore[arg-type]
    return Questionnaire(
        id="generated",
        title=draw(labels),
        sections=(Section(id=used[0], title=draw(labels), questions=tuple(questions)),),
    )


@settings(max_examples=60, deadline=None)
@given(questionnaire=questionnaires())
def test_canonical_round_trip(questionnaire: Questionnaire) -> None:
    data = to_canonical_dict(questionnaire)
    assert from_canonical_dict(json.loads(json.dumps(data))) == questionnaire
    assert parse_definition(dump_yaml(questionnaire), "yaml") == questionnaire
