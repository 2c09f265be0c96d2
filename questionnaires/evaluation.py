"""Evaluation of compiled expressions (`questionnaires.expressions`) with ODK/XPath 1.0 value
semantics: every answer is a string, `=`/`!=` compare as booleans, then numbers, then strings,
and a `YYYY-MM-DD` string is a day number. survey.js mirrors each rule; the tests run both."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from questionnaires.expressions import (
    BinOp,
    Call,
    Current,
    Expression,
    ExpressionError,
    Field,
    Neg,
    Node,
    Num,
    Ref,
    Str,
    Value,
)
from questionnaires.safe_regex import compile_regex

MAX_EVALUATION_STEPS = 100_000
MAX_REGEX_SUBJECT_LENGTH = 5000
MAX_ROUND_DIGITS = 10
# date(): the days of 0001-01-01 and 9999-12-31 counted from 1970-01-01
MIN_DAY, MAX_DAY = -719162, 2932896


# --- value conversions (XPath 1.0) -------------------------------------------------------------

# ASCII digits and whitespace only, exactly as survey.js reads numbers and dates.
_NUMBER_RE = re.compile(r"[ \t\n\r]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*")
_DATE_RE = re.compile(r"[ \t\n\r]*([0-9]{4})-([0-9]{2})-([0-9]{2})[ \t\n\r]*")
_EPOCH = date(1970, 1, 1)


def to_number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if _NUMBER_RE.fullmatch(value):
        return float(value)
    day = _DATE_RE.fullmatch(value)
    if day:
        try:
            return float((date(*(int(part) for part in day.groups())) - _EPOCH).days)
        except ValueError:
            return math.nan
    return math.nan


def to_string(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return format_number(value)


def format_number(value: float) -> str:
    """Like JavaScript's String(n) for the values that matter: 3.0 -> '3', 2.5 -> '2.5'."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def to_bool(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return value != ""


# --- evaluation --------------------------------------------------------------------------------


@dataclass
class EvaluationContext:
    """What an expression can see. `values` maps question names (and `matrix__row`) to their
    answer as a string; missing means unanswered."""

    values: Mapping[str, str]
    today: date
    current: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    steps: int = 0

    def charge(self, cost: int) -> None:
        self.steps += cost
        if self.steps > MAX_EVALUATION_STEPS:
            raise ExpressionError("表达式计算量超出限制")


def evaluate(expression: Expression, context: EvaluationContext) -> Value:
    return _evaluate(expression.root, context)


def evaluate_bool(expression: Expression, context: EvaluationContext) -> bool:
    return to_bool(evaluate(expression, context))


def _evaluate(node: Node, context: EvaluationContext) -> Value:
    context.charge(1)
    if isinstance(node, Num | Str):
        return node.value
    if isinstance(node, Ref):
        return context.values.get(node.name, "")
    if isinstance(node, Current):
        return context.current
    if isinstance(node, Field):
        return context.fields.get(node.name, "")
    if isinstance(node, Neg):
        return -to_number(_evaluate(node.operand, context))
    if isinstance(node, BinOp):
        return _binary(node, context)
    return _call(node, context)


def _binary(node: BinOp, context: EvaluationContext) -> Value:
    op = node.op
    left = _evaluate(node.left, context)
    if op == "and":
        return to_bool(left) and to_bool(_evaluate(node.right, context))
    if op == "or":
        return to_bool(left) or to_bool(_evaluate(node.right, context))
    right = _evaluate(node.right, context)
    if op in ("=", "!="):
        return _equal(left, right) == (op == "=")
    a, b = to_number(left), to_number(right)
    return _NUMERIC_OPERATORS[op](a, b)


def _equal(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return to_bool(left) == to_bool(right)
    if isinstance(left, float) or isinstance(right, float):
        return to_number(left) == to_number(right)
    return left == right


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _modulo(a: float, b: float) -> float:
    # XPath's mod keeps the sign of the dividend, like JavaScript's %.
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.fmod(a, b)


_NUMERIC_OPERATORS: dict[str, Callable[[float, float], Value]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "div": _divide,
    "mod": _modulo,
}


def _call(node: Call, context: EvaluationContext) -> Value:
    name = node.name
    if name == "if":
        condition = to_bool(_evaluate(node.args[0], context))
        return _evaluate(node.args[1] if condition else node.args[2], context)
    if name == "coalesce":
        first = _evaluate(node.args[0], context)
        return first if to_string(first) != "" else _evaluate(node.args[1], context)
    args = [_evaluate(arg, context) for arg in node.args]
    if name == "selected":
        return to_string(args[1]).strip() in to_string(args[0]).split()
    if name == "count-selected":
        return float(len(to_string(args[0]).split()))
    if name == "string-length":
        return float(len(to_string(args[0])))
    if name == "regex":
        return _regex(to_string(args[0]), to_string(args[1]), context)
    if name == "number":
        return to_number(args[0])
    if name == "int":
        number = to_number(args[0])
        return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))
    if name == "today":
        return context.today.isoformat()
    if name == "concat":
        return "".join(to_string(arg) for arg in args)
    if name == "not":
        return not to_bool(args[0])
    if name in ("true", "false"):
        return name == "true"
    return _xlsform_call(name, args)


def _xlsform_call(name: str, args: list[Value]) -> Value:
    """The functions added for imported XLSForms; survey.js mirrors each one."""
    if name == "round":
        return _round(to_number(args[0]), to_number(args[1]) if len(args) > 1 else 0.0)
    if name == "date":
        return _date(to_number(args[0]))
    if name == "sum":  # over one instance (repeats are answered once): the value, or 0
        return 0.0 if to_string(args[0]) == "" else to_number(args[0])
    if name == "string":
        return to_string(args[0])
    if name == "boolean":
        return to_bool(args[0])
    if name in ("contains", "starts-with", "ends-with"):
        text, part = to_string(args[0]), to_string(args[1])
        if name == "contains":
            return part in text
        return text.startswith(part) if name == "starts-with" else text.endswith(part)
    if name == "substr":
        return _substr(to_string(args[0]), [to_number(arg) for arg in args[1:]])
    if name in ("floor", "ceiling", "abs"):
        number = to_number(args[0])
        if math.isnan(number) or math.isinf(number):
            return number
        if name == "abs":
            return abs(number)
        return float(math.floor(number) if name == "floor" else math.ceil(number))
    if name in ("min", "max"):
        numbers = [to_number(arg) for arg in args]
        if any(math.isnan(number) for number in numbers):
            return math.nan
        return min(numbers) if name == "min" else max(numbers)
    return args[0]  # once(): the value (there is no earlier value to keep)


def _round(number: float, digits: float) -> float:
    """XPath rounding (halves up), to 0–10 decimal digits."""
    if math.isnan(digits):
        return math.nan
    scale = 10.0 ** int(min(float(MAX_ROUND_DIGITS), max(0.0, digits)))
    scaled = number * scale + 0.5
    if math.isnan(scaled) or math.isinf(scaled):
        return number
    return math.floor(scaled) / scale


def _date(number: float) -> str:
    """A day number (or a date) as YYYY-MM-DD; "" if it is not one of years 1–9999."""
    if math.isnan(number) or not MIN_DAY <= number < MAX_DAY + 1:
        return ""
    return date.fromordinal(_EPOCH.toordinal() + math.floor(number)).isoformat()


def _substr(text: str, bounds: list[float]) -> str:
    """ODK substr(text, start[, end]): 0-based, end excluded, both clamped to the text."""
    if any(math.isnan(bound) for bound in bounds):
        return ""
    length = len(text)

    def clamp(bound: float) -> int:
        return 0 if bound <= 0 else length if bound >= length else math.trunc(bound)

    start = clamp(bounds[0])
    end = clamp(bounds[1]) if len(bounds) > 1 else length
    return text[start:end] if start < end else ""


def _regex(subject: str, pattern: str, context: EvaluationContext) -> bool:
    if len(subject) > MAX_REGEX_SUBJECT_LENGTH:
        raise ExpressionError("regex() 检查的文字过长")
    return compile_regex(pattern).full_match(subject, context.charge)
