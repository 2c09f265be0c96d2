"""The safe expression language: parsing, XPath-style evaluation, and hostile input."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.evaluation import EvaluationContext, evaluate, evaluate_bool, to_number
from questionnaires.expressions import (
    MAX_DEPTH,
    MAX_SOURCE_LENGTH,
    MAX_TOKENS,
    BinOp,
    Call,
    ExpressionError,
    Num,
    Ref,
    compile_expression,
    expression_to_json,
)

TODAY = date(2026, 3, 15)


def run(source: str, values: dict[str, str] | None = None, current: str = "") -> object:
    context = EvaluationContext(values or {}, TODAY, current=current)
    return evaluate(compile_expression(source), context)


def holds(source: str, values: dict[str, str] | None = None, current: str = "") -> bool:
    context = EvaluationContext(values or {}, TODAY, current=current)
    return evaluate_bool(compile_expression(source), context)


class TestParsing:
    def test_precedence_follows_xpath(self) -> None:
        # and binds tighter than or; * tighter than +
        assert run("1 + 2 * 3") == 7.0
        assert run("(1 + 2) * 3") == 9.0
        assert holds("1 = 1 or 1 = 2 and 1 = 2") is True
        assert holds("(1 = 1 or 1 = 2) and 1 = 2") is False

    def test_ast_shape(self) -> None:
        expression = compile_expression("${a} + 2 div ${b}")
        assert expression.root == BinOp("+", Ref("a"), BinOp("div", Num(2.0), Ref("b")))
        assert expression.references == frozenset({"a", "b"})
        assert expression.uses_current is False

    def test_current_and_matrix_row_references(self) -> None:
        expression = compile_expression(". > ${units__U03}")
        assert expression.uses_current is True
        assert expression.references == frozenset({"units__U03"})

    def test_function_names_with_hyphens(self) -> None:
        expression = compile_expression("count-selected(${m}) > 1 and string-length(.) < 5")
        assert {node.name for node in _calls(expression.root)} == {
            "count-selected",
            "string-length",
        }

    def test_json_form(self) -> None:
        assert expression_to_json("selected(${m}, 'a') and -${n} <= 2.5") == [
            "and",
            ["call", "selected", ["ref", "m"], ["str", "a"]],
            ["<=", ["neg", ["ref", "n"]], ["num", 2.5]],
        ]
        assert expression_to_json(". = 3") == ["=", ["cur"], ["num", 3]]

    @pytest.mark.parametrize(
        ("source", "fragment"),
        [
            ("", "为空"),
            ("${a} == 1", "“=”"),
            ("${a} && ${b}", "and"),
            ("${a} || ${b}", "or"),
            ("${a} <> 1", "!="),
            ("4 / 2", "div"),
            ("5 % 2", "mod"),
            ("!${a}", "not"),
            ("'open", "引号"),
            ("foo(1)", "函数不存在"),
            ("eval('1')", "函数不存在"),
            ("__import__('os')", "函数不存在"),
            ("selected(${a})", "需要 2 个参数"),
            ("today(1)", "需要 0 个参数"),
            ("concat()", "需要 1–20 个参数"),
            ("(1 + 2", "缺少“)”"),
            ("1 + 2)", "多余"),
            ("1 +", "意外结束"),
            ("age > 3", "${题目名}"),
            ("${}", "题目名"),
            ("${a b}", "题目名"),
            ("regex(., ${pattern})", "引号"),
            ("regex(., '(a')", "regex()"),
            ("regex(., '\\1')", "反向引用"),
        ],
    )
    def test_errors_are_precise_and_chinese(self, source: str, fragment: str) -> None:
        with pytest.raises(ExpressionError) as caught:
            compile_expression(source)
        assert fragment in str(caught.value)

    def test_choice_filter_fields_only_when_allowed(self) -> None:
        with pytest.raises(ExpressionError):
            compile_expression("street = ${street}")
        expression = compile_expression("street = ${street}", allow_fields=True)
        assert expression.fields == frozenset({"street"})
        context = EvaluationContext({"street": "U18"}, TODAY, fields={"street": "U18"})
        assert evaluate_bool(expression, context) is True


class TestHostileInput:
    def test_too_long(self) -> None:
        with pytest.raises(ExpressionError, match="过长"):
            compile_expression("1" * (MAX_SOURCE_LENGTH + 1))

    def test_too_many_tokens(self) -> None:
        with pytest.raises(ExpressionError, match="记号"):
            compile_expression("+".join(["1"] * (MAX_TOKENS // 2 + 2)))

    def test_deep_parentheses(self) -> None:
        with pytest.raises(ExpressionError, match="嵌套"):
            compile_expression("(" * 60 + "1" + ")" * 60)

    def test_deep_unary_minus(self) -> None:
        with pytest.raises(ExpressionError, match="嵌套"):
            compile_expression("-" * 200 + "1")

    def test_deep_function_nesting(self) -> None:
        with pytest.raises(ExpressionError, match="嵌套"):
            compile_expression("not(" * 60 + "1" + ")" * 60)

    def test_long_left_deep_chain_is_rejected_before_evaluation(self) -> None:
        # 1+1+…: no parenthesis, but the AST is MAX_DEPTH+ deep; evaluation must never recurse
        # that far, so compilation refuses it.
        with pytest.raises(ExpressionError, match="嵌套过深"):
            compile_expression("+".join(["1"] * (MAX_DEPTH + 5)))

    def test_chain_within_limit_evaluates(self) -> None:
        assert run("+".join(["1"] * (MAX_DEPTH - 2))) == float(MAX_DEPTH - 2)

    @pytest.mark.parametrize(
        "source",
        [
            "${a}.__class__",
            "().__class__.__bases__",
            "${a}[0]",
            "lambda: 1",
            "__builtins__",
            "${a}; 1",
            "`id`",
            "{1}",
            "open('/etc/passwd')",
        ],
    )
    def test_attribute_access_and_code_are_not_in_the_grammar(self, source: str) -> None:
        with pytest.raises(ExpressionError):
            compile_expression(source)

    def test_reference_named_like_python_internals_is_just_a_missing_answer(self) -> None:
        assert run("${__class__}") == ""
        assert run("concat(${constructor}, 'x')") == "x"

    def test_catastrophic_regex_on_long_answer_terminates_with_false(self) -> None:
        # (a+)+$ backtracks exponentially in Python's re; our engine is linear.
        assert holds("regex(., '(a+)+b')", current="a" * 2000 + "!") is False
        assert holds("regex(., '(a|a)*c')", current="a" * 2000) is False
        assert holds("regex(., 'a*a*a*a*a*a*b')", current="a" * 2000) is False

    def test_evaluation_budget_stops_runaway_work(self) -> None:
        # 60 live loops over a 4000-character answer is 240 000 state steps: linear, but more
        # than one evaluation may spend, so it becomes an error rather than a busy worker.
        pattern = "a*" * 60 + "b"
        with pytest.raises(ExpressionError, match="计算量"):
            run(f"regex(., '{pattern}')", current="a" * 4000)


class TestSemantics:
    def test_unanswered_is_empty_string_not_zero(self) -> None:
        assert run("${missing}") == ""
        assert holds("${missing} = 0") is False
        assert holds("${missing} = ''") is True
        assert holds("${missing} > -1") is False  # NaN compares false

    def test_equality_rules(self) -> None:
        values = {"r": "5", "s": "abc"}
        assert holds("${r} = 5", values) is True  # number beats string
        assert holds("${r} = '5'", values) is True
        assert holds("${r} = '05'", values) is False  # both strings: compared as text
        assert holds("${r} = 5.0", values) is True
        assert holds("${s} != 'abc'", values) is False
        assert holds("(1 = 1) = 'x'") is True  # boolean beats the rest: 'x' is truthy

    def test_relational_operators_compare_numbers(self) -> None:
        assert holds("'10' > '9'") is True
        assert holds("'abc' < 1") is False
        assert holds("'unknown' <= 2") is False  # 不了解 is never "dissatisfied"

    def test_arithmetic_and_division_edge_cases(self) -> None:
        assert run("7 div 2") == 3.5
        assert run("-7 mod 3") == -1.0  # sign of the dividend, as in JavaScript
        assert run("1 div 0") == math.inf
        assert run("-1 div 0") == -math.inf
        assert math.isnan(run("0 div 0"))  # type: ignore[arg-type]
        assert math.isnan(run("5 mod 0"))  # type: ignore[arg-type]

    def test_dates_compare_as_days(self) -> None:
        values = {"d": "2026-03-14"}
        assert holds("${d} < today()", values) is True
        assert holds("${d} >= today()", values) is False
        assert run("today() - ${d}", values) == 1.0
        assert run("today()") == "2026-03-15"
        assert math.isnan(to_number("2026-02-30"))

    def test_select_functions(self) -> None:
        values = {"m": "a b c"}
        assert holds("selected(${m}, 'b')", values) is True
        assert holds("selected(${m}, ' b ')", values) is True
        assert holds("selected(${m}, 'd')", values) is False
        assert holds("selected(${none}, '')") is False
        assert run("count-selected(${m})", values) == 3.0
        assert run("count-selected(${none})") == 0.0

    def test_string_and_number_functions(self) -> None:
        assert run("string-length('营商环境')") == 4.0
        assert run("concat('a', 1, 2.5, 1 = 1)") == "a12.5true"
        assert run("number('12')") == 12.0
        assert math.isnan(run("number('12a')"))  # type: ignore[arg-type]
        assert run("int(-3.7)") == -3.0
        assert run("int('9.9')") == 9.0
        assert run("coalesce(${x}, 'default')") == "default"
        assert run("coalesce(${x}, 'default')", {"x": "set"}) == "set"
        assert run("if(${x} = 'y', 'yes', 'no')", {"x": "y"}) == "yes"
        assert holds("not(${x})") is True
        assert holds("true()") is True
        assert holds("false()") is False

    def test_if_and_coalesce_are_lazy(self) -> None:
        # The untaken branch would blow the regex subject limit; laziness means it never runs.
        huge = "a" * 10_000
        assert run("if(1 = 1, 'ok', regex(., 'a'))", current=huge) == "ok"

    def test_regex_is_a_full_match(self) -> None:
        assert holds("regex(., '[0-9]{6}')", current="123456") is True
        assert holds("regex(., '[0-9]{6}')", current="1234567") is False
        assert holds("regex(., '^1[3-9][0-9]{9}$')", current="13912345678") is True
        assert holds("regex(., '[\\u4e00-\\u9fa5]{2,4}')", current="张三") is True

    def test_regex_subject_limit(self) -> None:
        with pytest.raises(ExpressionError, match="过长"):
            run("regex(., 'a*')", current="a" * 6000)


def _calls(root: object) -> list[Call]:
    found: list[Call] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Call):
            found.append(node)
            stack.extend(node.args)
        elif isinstance(node, BinOp):
            stack.extend((node.left, node.right))
    return found


# --- properties ---------------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 3))


@given(a=finite, b=finite)
def test_comparisons_agree_with_python_numbers(a: float, b: float) -> None:
    values = {"a": repr(a), "b": repr(b)}
    assert holds("${a} < ${b}", values) is (a < b)
    assert holds("number(${a}) = number(${b})", values) is (a == b)
    assert holds("${a} = ${b}", values) is (repr(a) == repr(b))  # two strings: compared as text
    assert holds("${a} >= ${b}", values) is (a >= b)


@given(text=st.text(max_size=200))
def test_any_text_either_compiles_or_raises_expression_error(text: str) -> None:
    try:
        compile_expression(text)
    except ExpressionError as error:
        assert str(error)


@given(value=st.text(max_size=50))
def test_evaluation_never_fails_on_arbitrary_answers(value: str) -> None:
    source = (
        "if(string-length(.) > 3, concat(., 'x'), number(.)) != '' "
        "and count-selected(.) >= 0 or regex(., '[a-z]+')"
    )
    assert isinstance(holds(source, {"q": value}, current=value), bool)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("round(2.5)", 3.0),
        ("round(-2.5)", -2.0),
        ("round(2.345, 2)", 2.35),
        ("round(7, -3)", 7.0),
        ("date(0)", "1970-01-01"),
        ("date('2026-03-14') = '2026-03-14'", True),
        ("date('2026-02-30')", ""),
        ("date(2932897)", ""),
        ("sum('')", 0.0),
        ("sum('4')", 4.0),
        ("string(3 div 2)", "1.5"),
        ("boolean('')", False),
        ("contains('营商环境', '商环')", True),
        ("starts-with('abc', 'b')", False),
        ("ends-with('abc', 'bc')", True),
        ("substr('营商环境', 1, 3)", "商环"),
        ("substr('abc', -1)", "abc"),
        ("substr('abc', 2, 1)", ""),
        ("floor(-1.5)", -2.0),
        ("ceiling(1.2)", 2.0),
        ("abs(-3)", 3.0),
        ("min(3, 1, 2)", 1.0),
        ("max(3, 'x')", "nan"),
        ("once('a')", "a"),
    ],
)
def test_xlsform_functions(source: str, expected: object) -> None:
    value = evaluate(compile_expression(source), EvaluationContext({}, date(2026, 3, 15)))
    if expected == "nan":
        assert isinstance(value, float) and math.isnan(value)
    else:
        assert value == expected


def test_xpath_paths_are_explained() -> None:
    for source in (". <= ../total", "/data/total > 1"):
        with pytest.raises(ExpressionError, match=r"不支持 XPath 路径"):
            compile_expression(source, allow_fields=False)
    with pytest.raises(ExpressionError, match="请用“div”表示除法"):
        compile_expression("${a} / 2")
