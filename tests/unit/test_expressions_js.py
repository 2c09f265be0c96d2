"""survey.js evaluates expression_to_json ASTs exactly as the server does (run under Node), and
never runs strings as code."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from questionnaires.evaluation import EvaluationContext, evaluate, to_string
from questionnaires.expressions import ExpressionError, compile_expression, expression_to_json

SCRIPT = Path(__file__).resolve().parents[2] / "survey_app" / "static" / "js" / "survey.js"
TODAY = date(2026, 3, 15)
HARNESS = """
const api = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map((c) => {
  try {
    const v = api.evaluate(c.ast, {values: c.values, current: c.current, fields: c.fields,
                                   today: c.today});
    return [typeof v, String(v)];
  } catch (e) { return ['error', String(e)]; }
});
process.stdout.write(JSON.stringify(out));
"""

VALUES = [
    {},
    {"a": "5", "b": "2", "s": "abc", "m": "x y z", "d": "2026-03-14", "r": "unknown"},
    {"a": "-3.5", "b": "0", "s": "", "m": "", "d": "2025-12-31", "r": "1"},
    {"a": "12", "b": "12.0", "s": "营商 环境", "m": "y", "d": "2026-02-30", "r": "4"},
]
EXPRESSIONS = [
    "${a} + ${b}",
    "${a} - ${b} * 2",
    "${a} div ${b}",
    "${a} mod ${b}",
    "-${a}",
    "${a} = ${b}",
    "${a} != ${b}",
    "${a} < ${b}",
    "${a} >= 5",
    "${a} = '5'",
    "${s} = 'abc'",
    "${s} = ''",
    "${missing} = 0",
    "${r} <= 2",
    "${r} = 'unknown'",
    "selected(${m}, 'y')",
    "selected(${m}, '')",
    "count-selected(${m})",
    "string-length(${s})",
    "concat(${a}, '-', ${s}, 1 = 1)",
    "number(${a}) + 1",
    "int(${a})",
    "int(-2.5)",
    "coalesce(${s}, 'none')",
    "if(${a} > 3, 'big', 'small')",
    "not(${s})",
    "true() and not(false())",
    "${d} < today()",
    "today() - ${d}",
    "regex(${s}, '[a-c]+')",
    "regex(${a}, '-?[0-9]+(\\.[0-9]+)?')",
    "regex(${s}, '[\\u4e00-\\u9fa5]+\\s[\\u4e00-\\u9fa5]+')",
    "(${a} > 1 or ${b} > 1) and ${s} != 'x'",
    "1 div 0",
    "0 div 0",
    "(1 = 1) = 'x'",
    ". > 3",
    "string-length(.) <= 4",
    # XLSForm functions added for imported calculations
    "round(${a})",
    "round(2.5)",
    "round(-2.5)",
    "round(${a} div 3, 2)",
    "round(1.005, 2)",
    "round(${s}, 1)",
    "round(1 div 0, 3)",
    "round(-1 div 0)",
    "round(99999999999999999999 * 99999999999999999999, 3)",
    "round(123.456, -1)",
    "round(123.456, 99)",
    "date(${d})",
    "date(${d} + 1)",
    "date(0)",
    "date(-1.5)",
    "date(${s})",
    "date(2932896)",
    "date(2932897)",
    "date(-719162)",
    "date(-719163)",
    "sum(${a})",
    "sum(${missing})",
    "sum(${s})",
    "string(${a} + 1)",
    "string(1 = 1)",
    "boolean(${s})",
    "boolean(${b})",
    "contains(${s}, 'b')",
    "contains(${m}, 'y z')",
    "starts-with(${s}, 'ab')",
    "ends-with(${s}, '')",
    "substr(${s}, 1)",
    "substr(${s}, 1, 2)",
    "substr(${s}, -5, 99)",
    "substr(${s}, 2.9, 1)",
    "substr(${s}, ${missing})",
    "substr('营商环境', 1, 3)",
    "floor(${a})",
    "ceiling(${a})",
    "abs(${a})",
    "floor(${s})",
    "min(${a}, ${b}, 3)",
    "max(${a}, ${b}, 3)",
    "max(${a}, ${s})",
    "once(${s})",
]


def _python_result(source: str, values: dict[str, str], current: str) -> list[str]:
    expression = compile_expression(source)
    try:
        value = evaluate(expression, EvaluationContext(values, TODAY, current=current))
    except ExpressionError as error:
        return ["error", str(error)]
    kind = (
        "boolean" if isinstance(value, bool) else "number" if isinstance(value, float) else "string"
    )
    return [kind, to_string(value)]


def _run_node(cases: Sequence[object]) -> list[list[str]]:
    node = shutil.which("node")
    assert node, "Node.js is needed to test survey.js"
    completed = subprocess.run(
        [node, "-e", HARNESS, str(SCRIPT)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout)


RANDOM_FUNCTIONS = (
    *("number", "int", "not", "string-length", "count-selected", "round", "date", "sum"),
    *("string", "boolean", "floor", "ceiling", "abs", "once"),
)


def _random_expressions(count: int) -> list[str]:
    # Seeded, so the corpus is the same on every run.
    rng = random.Random(20260315)
    leaves = ["${a}", "${b}", "${s}", "${missing}", "3", "0.5", "'5'", "'abc'", "''", "."]
    operators = ["+", "-", "*", "div", "mod", "=", "!=", "<", "<=", ">", ">=", "and", "or"]

    def build(depth: int) -> str:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(leaves)
        choice = rng.random()
        if choice < 0.6:
            return f"({build(depth - 1)} {rng.choice(operators)} {build(depth - 1)})"
        if choice < 0.7:
            return f"-{build(depth - 1)}"
        function = rng.choice(RANDOM_FUNCTIONS)
        return f"{function}({build(depth - 1)})"

    return [build(4) for _ in range(count)]


def test_browser_and_server_agree() -> None:
    sources = EXPRESSIONS + _random_expressions(300)
    cases, expected = [], []
    for source in sources:
        for index, values in enumerate(VALUES):
            current = values.get("a", "")
            cases.append(
                {
                    "ast": expression_to_json(source),
                    "values": values,
                    "current": current,
                    "fields": {},
                    "today": TODAY.isoformat(),
                }
            )
            expected.append([source, index, *_python_result(source, values, current)])
    actual = _run_node(cases)
    mismatches = [
        (source, index, kind, text, got)
        for (source, index, kind, text), got in zip(expected, actual, strict=True)
        if [kind, text] != got
    ]
    assert mismatches == []


def test_choice_filter_fields_in_browser() -> None:
    ast = expression_to_json(compile_expression("street = ${street}", allow_fields=True))
    cases = [
        {"ast": ast, "values": {"street": "U18"}, "current": "", "fields": {"street": "U18"}},
        {"ast": ast, "values": {"street": "U18"}, "current": "", "fields": {"street": "U19"}},
    ]
    assert _run_node(cases) == [["boolean", "true"], ["boolean", "false"]]


def test_prototype_names_are_not_reachable_from_expressions() -> None:
    cases = [
        {"ast": ["ref", name], "values": {}, "current": "", "fields": {}}
        for name in ("constructor", "__proto__", "toString", "hasOwnProperty")
    ]
    assert _run_node(cases) == [["string", ""]] * 4


def test_unknown_node_kinds_are_refused() -> None:
    cases = [
        {"ast": ["call", "eval", ["str", "1"]], "values": {}, "current": "", "fields": {}},
        {"ast": ["constructor", ["num", 1], ["num", 2]], "values": {}, "current": "", "fields": {}},
    ]
    assert [kind for kind, _ in _run_node(cases)] == ["error", "error"]


def test_script_never_runs_strings_as_code() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
    for forbidden in (
        "eval(",
        "new Function",
        "Function(",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "setTimeout('",
        'setTimeout("',
    ):
        assert forbidden not in code, forbidden
