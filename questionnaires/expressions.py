"""Safe parser for XLSForm-style expressions (`relevant`, `constraint`, `required`,
`choice_filter`).

A hand-written tokenizer and recursive-descent parser build a small AST; the interpreter in
`questionnaires.evaluation` walks it. Nothing is ever handed to Python's `eval`/`exec`,
attribute access does not exist in the grammar, and hard limits bound the source length, token
count, nesting depth and evaluation work.

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

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from questionnaires.safe_regex import MAX_PATTERN_LENGTH, RegexError, compile_regex

MAX_SOURCE_LENGTH = 4000  # room for XLSForm calculations inlined into a condition
MAX_TOKENS = 1200
MAX_DEPTH = 40

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
