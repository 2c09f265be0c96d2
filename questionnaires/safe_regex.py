"""A small regular-expression engine whose running time is linear in the subject.

Questionnaire authors may write `regex(., '^1[3-9][0-9]{9}$')` constraints; respondents supply
the subjects. Python's backtracking `re` can take exponential (`(a+)+$`) or high-polynomial
(`a*a*a*a*b`) time on hostile subjects, so we parse a JavaScript-compatible subset ourselves
and run it as a Thompson NFA: every step advances a set of at most `len(program)` states, so a
match costs O(len(subject) * len(program)) whatever the pattern.

Semantics follow ODK's `regex()`: true when the *whole* subject matches. The subset is chosen
to mean the same in a browser's `new RegExp('^(?:' + p + ')$', 'u')`, which survey.js uses:
literals, `.`, classes `[...]`/`[^...]` with ranges, `\\d \\w \\s` (ASCII digits/word chars,
JavaScript whitespace) and their negations, `\\uXXXX`, `\\xHH`, `\\n \\r \\t \\f \\v`, escaped
syntax characters, groups `(...)`/`(?:...)`, `|`, quantifiers `* + ? {n} {n,} {n,m}` (a
trailing `?` for laziness is accepted and irrelevant to matching), and `^`/`$`.
Back-references, look-around, named groups and flags are rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

MAX_PATTERN_LENGTH = 200
MAX_GROUP_DEPTH = 10
MAX_REPEAT = 100
MAX_PROGRAM_SIZE = 1000
MAX_CODE_POINT = 0x10FFFF

SYNTAX_CHARACTERS = frozenset("^$\\.*+?()[]{}|/")
SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v"}

Ranges = tuple[tuple[int, int], ...]

DIGIT: Ranges = ((0x30, 0x39),)
WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
# JavaScript's \s: ECMAScript WhiteSpace and LineTerminator characters.
SPACE: Ranges = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
)
LINE_TERMINATORS: Ranges = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))


class RegexError(ValueError):
    """The pattern is invalid, unsupported or too complex (Chinese message)."""


def _complement(ranges: Ranges) -> Ranges:
    result: list[tuple[int, int]] = []
    start = 0
    for low, high in sorted(ranges):
        if low > start:
            result.append((start, low - 1))
        start = max(start, high + 1)
    if start <= MAX_CODE_POINT:
        result.append((start, MAX_CODE_POINT))
    return tuple(result)


@dataclass(frozen=True)
class CharSet:
    ranges: Ranges
    negated: bool = False

    def matches(self, char: str) -> bool:
        code = ord(char)
        inside = any(low <= code <= high for low, high in self.ranges)
        return inside != self.negated


CLASS_ESCAPES: dict[str, CharSet] = {
    "d": CharSet(DIGIT),
    "D": CharSet(DIGIT, negated=True),
    "w": CharSet(WORD),
    "W": CharSet(WORD, negated=True),
    "s": CharSet(SPACE),
    "S": CharSet(SPACE, negated=True),
}
ANY_BUT_NEWLINE = CharSet(LINE_TERMINATORS, negated=True)


# --- pattern syntax tree ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Chars:
    charset: CharSet


@dataclass(frozen=True)
class _Concat:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alt:
    branches: tuple[_Node, ...]


@dataclass(frozen=True)
class _Repeat:
    item: _Node
    minimum: int
    maximum: int | None


@dataclass(frozen=True)
class _Assert:
    at_start: bool  # True for ^, False for $


_Node = _Chars | _Concat | _Alt | _Repeat | _Assert


class _PatternParser:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.depth = 0

    def fail(self, message: str) -> RegexError:
        return RegexError(f"正则表达式第 {self.pos + 1} 个字符处{message}")

    def peek(self) -> str:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise self.fail("意外结束")
        self.pos += 1
        return char

    def parse(self) -> _Node:
        node = self.alternation()
        if self.pos < len(self.pattern):
            raise self.fail("有多余的右括号“)”")
        return node

    def alternation(self) -> _Node:
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.concatenation())
        return branches[0] if len(branches) == 1 else _Alt(tuple(branches))

    def concatenation(self) -> _Node:
        items: list[_Node] = []
        while self.peek() and self.peek() not in "|)":
            items.append(self.quantified(self.atom()))
        return items[0] if len(items) == 1 else _Concat(tuple(items))

    def atom(self) -> _Node:
        char = self.take()
        if char == "(":
            return self.group()
        if char == "[":
            return _Chars(self.char_class())
        if char == ".":
            return _Chars(ANY_BUT_NEWLINE)
        if char in "^$":
            return _Assert(at_start=char == "^")
        if char == "\\":
            return _Chars(self.escape(in_class=False))
        if char in "*+?{":
            self.pos -= 1
            raise self.fail("的量词前面缺少可重复的内容")
        if char in "]}":
            self.pos -= 1
            raise self.fail(f"的“{char}”需要转义写成“\\{char}”")
        return _Chars(CharSet(((ord(char), ord(char)),)))

    def group(self) -> _Node:
        if self.pattern.startswith("?:", self.pos):
            self.pos += 2
        elif self.peek() == "?":
            raise self.fail("使用了不支持的 (?…) 语法（断言、命名分组或标志）")
        self.depth += 1
        if self.depth > MAX_GROUP_DEPTH:
            raise self.fail(f"括号嵌套超过 {MAX_GROUP_DEPTH} 层")
        node = self.alternation()
        if self.peek() != ")":
            raise self.fail("缺少右括号“)”")
        self.pos += 1
        self.depth -= 1
        return node

    def quantified(self, atom: _Node) -> _Node:
        char = self.peek()
        if char not in ("*", "+", "?", "{"):
            return atom
        if isinstance(atom, _Assert):
            raise self.fail("的量词不能用在 ^ 或 $ 上")
        self.pos += 1
        if char == "*":
            minimum, maximum = 0, None
        elif char == "+":
            minimum, maximum = 1, None
        elif char == "?":
            minimum, maximum = 0, 1
        else:
            minimum, maximum = self.braces()
        if self.peek() == "?":  # lazy: irrelevant when only asking "does it match?"
            self.pos += 1
        if self.peek() and self.peek() in "*+?{":
            raise self.fail("有连续的量词")
        return _Repeat(atom, minimum, maximum)

    def braces(self) -> tuple[int, int | None]:
        end = self.pattern.find("}", self.pos)
        body = self.pattern[self.pos : end] if end >= 0 else ""
        low_text, comma, high_text = body.partition(",")
        if not low_text.isdigit() or (high_text and not high_text.isdigit()):
            raise self.fail("的 {…} 量词格式不正确，应为 {n}、{n,} 或 {n,m}")
        self.pos = end + 1
        minimum = int(low_text)
        maximum: int | None = int(high_text) if high_text else (None if comma else minimum)
        if maximum is not None and maximum < minimum:
            raise self.fail("的 {n,m} 量词中 n 大于 m")
        if minimum > MAX_REPEAT or (maximum is not None and maximum > MAX_REPEAT):
            raise self.fail(f"的重复次数超过 {MAX_REPEAT}")
        return minimum, maximum

    def escape(self, *, in_class: bool) -> CharSet:
        char = self.take()
        if char in CLASS_ESCAPES:
            return CLASS_ESCAPES[char]
        if char in SIMPLE_ESCAPES:
            code = ord(SIMPLE_ESCAPES[char])
        elif char in ("u", "x"):
            width = 4 if char == "u" else 2
            digits = self.pattern[self.pos : self.pos + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.fail(f"的 \\{char} 后应跟 {width} 位十六进制数字")
            self.pos += width
            code = int(digits, 16)
        elif char in SYNTAX_CHARACTERS or (in_class and char == "-"):
            code = ord(char)
        elif char.isdigit():
            raise self.fail("使用了不支持的反向引用")
        else:
            raise self.fail(f"使用了不支持的转义“\\{char}”")
        return CharSet(((code, code),))

    def char_class(self) -> CharSet:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            char = self.take()
            if char == "]" and not first:
                break
            first = False
            low_is_set = char == "\\" and self.peek() in CLASS_ESCAPES
            low = self.class_member(char)
            if self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                high_char = self.take()
                high_is_set = high_char == "\\" and self.peek() in CLASS_ESCAPES
                high = self.class_member(high_char)
                if low_is_set or high_is_set:  # [\d-z] is an error in JavaScript's u mode
                    raise self.fail("的字符范围两端必须是单个字符")
                start, end = low.ranges[0][0], high.ranges[0][0]
                if start > end:
                    raise self.fail("的字符范围起点大于终点")
                ranges.append((start, end))
            else:
                ranges.extend(_complement(low.ranges) if low.negated else low.ranges)
        return CharSet(tuple(ranges), negated)

    def class_member(self, char: str) -> CharSet:
        if char == "\\":
            return self.escape(in_class=True)
        if char == "[":
            raise self.fail("的“[”在字符类中需要转义")
        return CharSet(((ord(char), ord(char)),))


# --- compiled program --------------------------------------------------------------------------

_CHAR, _SPLIT, _JUMP, _AT_START, _AT_END, _MATCH = range(6)
_Instruction = tuple[int, CharSet | None, int, int]  # (opcode, charset, target1, target2)


class _Compiler:
    def __init__(self) -> None:
        self.program: list[_Instruction] = []

    def emit(self, opcode: int, charset: CharSet | None = None, a: int = 0, b: int = 0) -> int:
        if len(self.program) >= MAX_PROGRAM_SIZE:
            raise RegexError("正则表达式过于复杂（重复次数或分支过多）")
        self.program.append((opcode, charset, a, b))
        return len(self.program) - 1

    def patch(self, index: int, a: int, b: int) -> None:
        opcode, charset, _, _ = self.program[index]
        self.program[index] = (opcode, charset, a, b)

    def compile(self, node: _Node) -> None:
        if isinstance(node, _Chars):
            self.emit(_CHAR, node.charset)
        elif isinstance(node, _Assert):
            self.emit(_AT_START if node.at_start else _AT_END)
        elif isinstance(node, _Concat):
            for item in node.items:
                self.compile(item)
        elif isinstance(node, _Alt):
            self.compile_alternation(node.branches)
        else:
            self.compile_repeat(node)

    def compile_alternation(self, branches: tuple[_Node, ...]) -> None:
        jumps: list[int] = []
        for branch in branches[:-1]:
            split = self.emit(_SPLIT)
            self.compile(branch)
            jumps.append(self.emit(_JUMP))
            self.patch(split, split + 1, len(self.program))
        self.compile(branches[-1])
        for jump in jumps:
            self.patch(jump, len(self.program), 0)

    def compile_repeat(self, node: _Repeat) -> None:
        for _ in range(node.minimum):
            self.compile(node.item)
        if node.maximum is None:
            split = self.emit(_SPLIT)
            self.compile(node.item)
            self.emit(_JUMP, None, split)
            self.patch(split, split + 1, len(self.program))
            return
        splits: list[int] = []
        for _ in range(node.maximum - node.minimum):
            splits.append(self.emit(_SPLIT))
            self.compile(node.item)
        for split in splits:
            self.patch(split, split + 1, len(self.program))


@dataclass(frozen=True)
class RegexProgram:
    pattern: str
    program: tuple[_Instruction, ...]

    def full_match(self, subject: str, charge: Callable[[int], None] | None = None) -> bool:
        """True when the whole subject matches. `charge(n)` is called with the work done per
        character so that callers can enforce an evaluation budget."""
        length = len(subject)
        current = self._closure([0], 0, length)
        for index, char in enumerate(subject):
            if not current:
                return False
            if charge is not None:
                charge(len(current))
            advanced = [
                pc + 1
                for pc in current
                if self.program[pc][0] == _CHAR and self._charset(pc).matches(char)
            ]
            current = self._closure(advanced, index + 1, length)
        return any(self.program[pc][0] == _MATCH for pc in current)

    def _charset(self, pc: int) -> CharSet:
        charset = self.program[pc][1]
        assert charset is not None  # only _CHAR instructions are asked
        return charset

    def _closure(self, starts: list[int], position: int, length: int) -> list[int]:
        """States reachable without consuming input: the consuming ones and MATCH."""
        seen: set[int] = set()
        states: list[int] = []
        stack = list(reversed(starts))
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            opcode, _, a, b = self.program[pc]
            if opcode == _JUMP:
                stack.append(a)
            elif opcode == _SPLIT:
                stack.extend((b, a))
            elif opcode == _AT_START:
                if position == 0:
                    stack.append(pc + 1)
            elif opcode == _AT_END:
                if position == length:
                    stack.append(pc + 1)
            else:
                states.append(pc)
        return states


@lru_cache(maxsize=512)
def compile_regex(pattern: str) -> RegexProgram:
    """Parse and compile a pattern; RegexError (Chinese message) if unsupported or too big."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"正则表达式过长（{len(pattern)} 个字符，最多 {MAX_PATTERN_LENGTH} 个）")
    tree = _PatternParser(pattern).parse()
    compiler = _Compiler()
    compiler.compile(tree)
    compiler.emit(_MATCH)
    return RegexProgram(pattern, tuple(compiler.program))
