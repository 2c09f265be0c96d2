"""Safe parser and evaluator for XLSForm-style expressions (`relevant`, `constraint`, `required`,
`choice_filter`).

A hand-written tokenizer and recursive-descent parser build a small AST; an interpreter walks
it. Nothing is ever handed to Python's `eval`/`exec`, attribute access does not exist in the
grammar, and hard limits bound the source length, token count, nesting depth and evaluation work.

Values follow ODK/XPath 1.0: every answer is a string (unanswered = ""; a multiple choice is its
values separated by spaces), literals are strings or numbers, comparisons and functions give
booleans. `=`/`!=` compare as booleans if either side is one, else as numbers if either side is
one, else as strings; `< <= > >=` and arithmetic compare numbers (a non-number is NaN, and every
comparison with NaN is false). A `YYYY-MM-DD` string converts to days since 1970-01-01, so
`${d} <= today()` works.

Grammar (lowest precedence first):
    or_expr   := and_expr ("or" and_expr)*
    and_expr  := eq_expr ("and" eq_expr)*
    eq_expr   := rel_expr (("=" | "!=") rel_expr)*
    rel_expr  := add_expr (("<" | "<=" | ">" | ">=") add_expr)*
    add_expr  := mul_expr (("+" | "-") mul_expr)*
    mul_expr  := unary (("*" | "div" | "mod") unary)*
    unary     := "-" unary | primary
    primary   := NUMBER | STRING | "${" name "}" | "." | name "(" args ")" | "(" or_expr ")"
                 | name            (a choice-row column; only inside choice_filter)

survey.js evaluates the JSON form of the AST (`expression_to_json`) with the same semantics.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from questionnaires.safe_regex import MAX_PATTERN_LENGTH, RegexError, compile_regex

MAX_SOURCE_LENGTH = 4000  # room for XLSForm calculations inlined into a condition
MAX_TOKENS = 1200
MAX_DEPTH = 40
MAX_EVALUATION_STEPS = 100_000
MAX_REGEX_SUBJECT_LENGTH = 5000

Value = str | float | bool

# name -> (minimum arguments, maximum arguments)
FUNCTIONS: dict[str, tuple[int, int]] = {
    "selected": (2, 2),
    "count-selected": (1, 1),
    "string-length": (1, 1),
    "if": (3, 3),
    "regex": (2, 2),
    "number": (1, 1),
    "int": (1, 1),
    "today": (0, 0),
    "coalesce": (2, 2),
    "concat": (1, 20),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    # XLSForm functions for imported calculations (ODK semantics, see _call)
    "round": (1, 2),
    "date": (1, 1),
    "sum": (1, 1),
    "string": (1, 1),
    "boolean": (1, 1),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "ends-with": (2, 2),
    "substr": (2, 3),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "min": (1, 20),
    "max": (1, 20),
    "once": (1, 1),
}
MAX_ROUND_DIGITS = 10
# date(): the days of 0001-01-01 and 9999-12-31 counted from 1970-01-01
MIN_DAY, MAX_DAY = -719162, 2932896
KEYWORD_OPERATORS = frozenset({"and", "or", "div", "mod"})
BINARY_PRECEDENCE: tuple[frozenset[str], ...] = (
    frozenset({"or"}),
    frozenset({"and"}),
    frozenset({"=", "!="}),
    frozenset({"<", "<=", ">", ">="}),
    frozenset({"+", "-"}),
    frozenset({"*", "div", "mod"}),
)
MISTAKEN_OPERATORS = {
    "==": "请用“=”比较是否相等",
    "&&": "请用“and”表示并且",
    "||": "请用“or”表示或者",
    "<>": "请用“!=”表示不等于",
    "/": "请用“div”表示除法",
    "%": "请用“mod”表示取余",
    "!": "请用 not(…) 表示否定",
}


class ExpressionError(ValueError):
    """An expression is invalid or too costly; the message is Chinese and user-facing."""


# --- AST ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Ref:
    name: str  # a question name, or `matrix__row`


@dataclass(frozen=True)
class Current:
    """`.`: the value of the question being checked."""


@dataclass(frozen=True)
class Field:
    name: str  # a column of the choice row being filtered


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Num | Str | Ref | Current | Field | Neg | BinOp | Call


@dataclass(frozen=True)
class Expression:
    source: str
    root: Node
    references: frozenset[str]
    uses_current: bool
    fields: frozenset[str]


# --- tokenizer ---------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\n\r]+)
  | (?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<ref>\$\{[^}]*\})
  | (?P<mistake>==|&&|\|\||<>)
  | (?P<op><=|>=|!=|[-+*=<>(),.])
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    """,
    re.VERBOSE,
)
_REF_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,100}")


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, ref, op, name, end
    text: str
    position: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN_RE.match(source, position)
        if match is None:
            char = source[position]
            hint = MISTAKEN_OPERATORS.get(char, "")
            if char in "'\"":
                hint = "字符串缺少结束引号"
            elif char == "/" and (
                source[:position].endswith("..") or source[position + 1 : position + 2].isalpha()
            ):
                hint = "不支持 XPath 路径（如 ../题目名），请用 ${题目名} 引用题目"
            raise ExpressionError(f"第 {position + 1} 个字符“{char}”无法识别" + (f"，{hint}" if hint else ""))
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "mistake":
            raise ExpressionError(f"第 {position + 1} 个字符处的“{text}”不支持，{MISTAKEN_OPERATORS[text]}")
        if kind == "ref":
            name = text[2:-1].strip()
            if not _REF_NAME_RE.fullmatch(name):
                raise ExpressionError(f"第 {position + 1} 个字符处的引用“{text}”不是有效的题目名")
            text = name
        if kind != "space":
            tokens.append(_Token(kind, text, position))
            if len(tokens) > MAX_TOKENS:
                raise ExpressionError(f"表达式过于复杂（超过 {MAX_TOKENS} 个记号）")
        position = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


# --- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], *, allow_fields: bool) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.allow_fields = allow_fields

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message: str, token: _Token | None = None) -> ExpressionError:
        where = token or self.token
        if where.kind == "end":
            return ExpressionError(f"表达式意外结束，{message}")
        return ExpressionError(f"第 {where.position + 1} 个字符“{where.text}”处{message}")

    def expect(self, text: str) -> None:
        if self.token.kind != "op" or self.token.text != text:
            raise self.fail(f"缺少“{text}”")
        self.advance()

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise ExpressionError("表达式为空")
        node = self.binary(0)
        if self.token.kind != "end":
            raise self.fail("有多余的内容")
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"嵌套超过 {MAX_DEPTH} 层")

    def binary_operator(self, level: int) -> str | None:
        token = self.token
        text = token.text
        if token.kind in ("op", "name") and text in BINARY_PRECEDENCE[level]:
            return text
        return None

    def binary(self, level: int) -> Node:
        if level == len(BINARY_PRECEDENCE):
            return self.unary()
        node = self.binary(level + 1)
        while (op := self.binary_operator(level)) is not None:
            self.advance()
            node = BinOp(op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.token.kind == "op" and self.token.text == "-":
            self.advance()
            self.enter()
            node: Node = Neg(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            return Num(float(token.text))
        if token.kind == "string":
            return Str(token.text[1:-1])
        if token.kind == "ref":
            return Ref(token.text)
        if token.kind == "op" and token.text == ".":
            return Current()
        if token.kind == "op" and token.text == "(":
            self.enter()
            node = self.binary(0)
            self.expect(")")
            self.depth -= 1
            return node
        if token.kind == "name" and token.text not in KEYWORD_OPERATORS:
            if self.token.kind == "op" and self.token.text == "(":
                return self.call(token)
            if self.allow_fields:
                return Field(token.text)
            raise self.fail("的名称不能直接使用，引用题目请写成 ${题目名}", token)
        raise self.fail("缺少值（数字、'文字'、${题目名}、. 或函数）", token)

    def call(self, name_token: _Token) -> Node:
        name = name_token.text
        if name not in FUNCTIONS:
            raise self.fail("的函数不存在", name_token)
        self.advance()  # (
        self.enter()
        args: list[Node] = []
        if not (self.token.kind == "op" and self.token.text == ")"):
            args.append(self.binary(0))
            while self.token.kind == "op" and self.token.text == ",":
                self.advance()
                args.append(self.binary(0))
        self.expect(")")
        self.depth -= 1
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            count = str(low) if low == high else f"{low}–{high}"
            raise self.fail(f"的函数需要 {count} 个参数，实际为 {len(args)} 个", name_token)
        if name == "regex":
            _check_regex_pattern(args[1])
        return Call(name, tuple(args))


def _check_regex_pattern(pattern: Node) -> None:
    # The pattern must be a literal so that it is validated (and its cost bounded) when the
    # definition is saved, not when a respondent submits.
    if not isinstance(pattern, Str):
        raise ExpressionError("regex() 的第二个参数必须是用引号括起的正则表达式")
    if len(pattern.value) > MAX_PATTERN_LENGTH:
        raise ExpressionError(f"regex() 的正则表达式过长（最多 {MAX_PATTERN_LENGTH} 个字符）")
    try:
        compile_regex(pattern.value)
    except RegexError as error:
        raise ExpressionError(f"regex() 中{error}") from None


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def _walk(root: Node) -> list[tuple[Node, int]]:
    """Every node with its depth, without recursion (left-deep chains can be long)."""
    found: list[tuple[Node, int]] = []
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        found.append((node, depth))
        stack.extend((child, depth + 1) for child in _children(node))
    return found


@lru_cache(maxsize=4096)
def compile_expression(source: str, *, allow_fields: bool = False) -> Expression:
    """Parse an expression; ExpressionError (Chinese) if it is malformed or too big.

    `allow_fields` admits bare names, which a `choice_filter` uses for choice-row columns.
    """
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"表达式过长（{len(source)} 个字符，最多 {MAX_SOURCE_LENGTH} 个）")
    root = _Parser(_tokenize(source), allow_fields=allow_fields).parse()
    nodes = _walk(root)
    if max(depth for _, depth in nodes) > MAX_DEPTH:
        raise ExpressionError(f"表达式嵌套过深（最多 {MAX_DEPTH} 层），请拆分或加括号简化")
    return Expression(
        source=source,
        root=root,
        references=frozenset(node.name for node, _ in nodes if isinstance(node, Ref)),
        uses_current=any(isinstance(node, Current) for node, _ in nodes),
        fields=frozenset(node.name for node, _ in nodes if isinstance(node, Field)),
    )


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


# --- JSON form for the browser -----------------------------------------------------------------


def expression_to_json(expression: Expression | str) -> list[Any]:
    """The AST as nested JSON arrays, evaluated by survey.js:

    ["num", 3] ["str", "a"] ["ref", "q"] ["cur"] ["fld", "col"] ["neg", e]
    [op, left, right] for op in or and = != < <= > >= + - * div mod
    ["call", name, arg1, ...]
    """
    if isinstance(expression, str):
        expression = compile_expression(expression)
    return _node_to_json(expression.root)


def _node_to_json(node: Node) -> list[Any]:
    if isinstance(node, Num):
        number = node.value
        return ["num", int(number) if number == int(number) else number]
    if isinstance(node, Str):
        return ["str", node.value]
    if isinstance(node, Ref):
        return ["ref", node.name]
    if isinstance(node, Current):
        return ["cur"]
    if isinstance(node, Field):
        return ["fld", node.name]
    if isinstance(node, Neg):
        return ["neg", _node_to_json(node.operand)]
    if isinstance(node, BinOp):
        return [node.op, _node_to_json(node.left), _node_to_json(node.right)]
    return ["call", node.name, *(_node_to_json(arg) for arg in node.args)]
