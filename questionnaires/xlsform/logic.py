"""Expressions of an imported XLSForm: typographic quotes, renamed questions, and `calculate`
rows, which are inlined into the expressions that use them (our model stores answers, not
computed values), and `${…}` references in labels and hints."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from questionnaires.expressions import FUNCTIONS, ExpressionError, compile_expression

REFERENCE = re.compile(r"\$\{\s*([^}\s]*)\s*\}")
_COPY = re.compile(r"\s*(?:\(\s*)*\$\{([^}\s]+)\}(?:\s*\))*\s*")  # a calculation that copies an answer
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "＇": "'", "＂": '"'})


_STRINGS = re.compile(r"""('[^']*'|"[^"]*")""")
_RELATIVE = re.compile(r"(?<![\w.)\]])(?:\.\./)+([A-Za-z_][A-Za-z0-9_.-]*)(?![\w/(])")
_ABSOLUTE = re.compile(
    r"(?<![\w.)\]])/[A-Za-z_][A-Za-z0-9_.-]*(?:/[A-Za-z_][A-Za-z0-9_.-]*)*/([A-Za-z_][A-Za-z0-9_.-]*)(?![\w/(])"
)


# Functions of ODK XForms (and pyxform's `pulldata`) that the safe evaluator does not compute:
# they read external data, other records, the device or a repeat's node set.
ODK_FUNCTIONS = frozenset(
    {
        "pulldata", "instance", "indexed-repeat", "jr:choice-name", "jr:itext", "position", "last",
        "current", "count", "count-non-empty", "uuid", "now", "format-date", "format-date-time",
        "decimal-date-time", "decimal-time", "date-time", "random", "randomize", "area",
        "distance", "digest", "base64-decode", "extract-signed", "version", "property", "join",
        "selected-at", "boolean-from-string", "translate", "normalize-space", "substring-before",
        "substring-after", "checklist", "weighted-checklist", "pow", "log", "log10", "exp",
        "exp10", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "pi", "id",
        "local-name", "name", "lang", "sum-over", "geofence",
    }
)  # fmt: skip
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.:-]*)\s*\(")
LAST_SAVED = "${last-saved#"


def unsupported_reason(source: str) -> str:
    """Why an expression needs what this platform cannot compute (Chinese), or ""."""
    if LAST_SAVED in source.replace(" ", ""):
        return "引用了上次提交的答案（${last-saved#…}）"
    for part in _STRINGS.split(source)[::2]:  # outside string literals
        for match in _CALL.finditer(part):
            name = match.group(1)
            if name in ODK_FUNCTIONS and name not in FUNCTIONS:
                return f"用到函数 {name}()"
    return ""


def normalise_quotes(source: str) -> str:
    """Typographic quotes (as word processors type them) become the ASCII quotes of XPath, and
    XPath paths to a question (`../total`, `/data/group/total`) become `${total}`."""
    text = source.translate(_QUOTES)
    if "/" not in text:
        return text
    parts = _STRINGS.split(text)  # odd indexes are string literals, left alone
    for index in range(0, len(parts), 2):
        part = _RELATIVE.sub(lambda m: "${" + m.group(1) + "}", parts[index])
        parts[index] = _ABSOLUTE.sub(lambda m: "${" + m.group(1) + "}", part)
    return "".join(parts)


def rename(source: str, names: dict[str, str]) -> str:
    if not names:
        return source
    return REFERENCE.sub(lambda m: "${" + names.get(m.group(1), m.group(1)) + "}", source)


@dataclass
class Calculation:
    name: str
    source: str
    row: int
    resolved: str | None = None  # the expression with every calculation inside inlined
    failure: str = ""  # why it cannot be used, Chinese
    unsupported: bool = False  # failure: it needs what this platform cannot compute


class Calculations:
    def __init__(self, where: Callable[[int], str]) -> None:
        self.by_name: dict[str, Calculation] = {}
        self.used: set[str] = set()
        self.where = where  # survey row -> its location text

    def add(self, name: str, source: str, row: int) -> None:
        self.by_name[name] = Calculation(name, normalise_quotes(source), row)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def resolve(self, name: str, visiting: tuple[str, ...] = ()) -> Calculation:
        calculation = self.by_name[name]
        if calculation.resolved is not None or calculation.failure:
            return calculation
        if name in visiting:
            calculation.failure = "计算项相互引用（循环）"
            return calculation
        if not calculation.source.strip():
            calculation.failure = "缺少计算公式（calculation）"
            return calculation
        reason = unsupported_reason(calculation.source)
        if reason:
            calculation.failure, calculation.unsupported = reason, True
            return calculation
        text, failure, unsupported = self._inline(calculation.source, (*visiting, name))
        if failure:
            calculation.failure, calculation.unsupported = failure, unsupported
            return calculation
        try:
            compile_expression(text)
        except ExpressionError as error:
            calculation.failure = f"公式“{calculation.source}”无法转换：{error}"
            return calculation
        calculation.resolved = text
        return calculation

    def _inline(self, source: str, visiting: tuple[str, ...]) -> tuple[str, str, bool]:
        failures: list[str] = []
        unsupported: list[bool] = []

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.by_name:
                return match.group(0)
            self.used.add(name)
            calculation = self.resolve(name, visiting)
            if calculation.resolved is None:
                unsupported.append(calculation.unsupported)
                failures.append(
                    f"引用的计算项 ${{{name}}}（{self.where(calculation.row)}）{calculation.failure}"
                )
                return match.group(0)
            return f"({calculation.resolved})"

        text = REFERENCE.sub(substitute, source)
        return text, "；".join(dict.fromkeys(failures)), bool(unsupported) and all(unsupported)

    def inline(self, source: str) -> tuple[str, str, bool]:
        """The expression with the calculations it uses inlined, or a Chinese failure and
        whether it comes only from what this platform cannot compute."""
        return self._inline(source, ())

    def pipe(self, text: str) -> str:
        """`${calc}` in a label, where calc only copies an answer (`${q}`), shows that answer."""

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in self.by_name:
                resolved = self.resolve(name).resolved
                copied = _COPY.fullmatch(resolved or "")
                if copied:
                    return "${" + copied.group(1) + "}"
            return match.group(0)

        return REFERENCE.sub(substitute, text) if "${" in text else text

    def unused(self) -> list[Calculation]:
        return [c for name, c in self.by_name.items() if name not in self.used]


def pipe_text(text: str, known: Callable[[str], bool]) -> tuple[str, list[str]]:
    """Keep `${q}` of answerable questions in a label; other references (calculations,
    skipped rows) become 〔q〕. Returns the text and the names replaced."""
    replaced: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if known(name):
            return "${" + name + "}"
        replaced.append(name)
        return f"〔{name}〕"

    return REFERENCE.sub(substitute, text), replaced
