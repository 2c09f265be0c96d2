"""Copies of the rows of a repeat or a `begin loop over`: each copy renames its questions
with a suffix, and references between them follow."""

from __future__ import annotations

import re
from dataclasses import dataclass

from questionnaires.xlsform.logic import rename
from questionnaires.xlsform.structure import Group, Row
from questionnaires.xlsform.vocabulary import (
    DEFAULT_REPEAT_COPIES,
    NESTED_REPEAT_COPIES,
    REPEAT_PAGE_BUDGET,
    REPEAT_QUESTION_BUDGET,
)


@dataclass(frozen=True)
class Instance:
    """One copy of a repeat or loop: its questions get `suffix`, references between them
    follow, `position(..)` is its number and `%(label)s` / `%(name)s` its choice."""

    suffix: str
    names: frozenset[str]  # names of the rows inside the repeat or loop
    position: int
    texts: tuple[tuple[str, str], ...] = ()
    repeat: bool = False

    def apply(self, row: Row) -> Row:
        cells = {key: self.text(value) for key, value in row.cells.items()}
        if row.cells.get("name"):
            cells["name"] = f"{row.cells['name']}_{self.suffix}"
        return Row(row.number, cells, row.kind, row.argument)

    def text(self, value: str) -> str:
        for old, new in self.texts:
            value = value.replace(old, new)
        if "${" in value:
            value = rename(value, {name: f"{name}_{self.suffix}" for name in self.names})
        return POSITION.sub(str(self.position), value) if "position" in value else value


@dataclass(frozen=True)
class Context:
    titles: tuple[str, ...] = ()
    relevants: tuple[str, ...] = ()
    group: Group | None = None
    instances: tuple[Instance, ...] = ()  # innermost last


POSITION = re.compile(r"position\(\s*\.\.\s*\)")


def suffixed(name: str, context: Context) -> str:
    """The name a row inside the enclosing repeats and loops gets (outer copies first)."""
    for instance in context.instances:
        if name in instance.names:
            name = f"{name}_{instance.suffix}"
    return name


def integer(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def groups(group: Group) -> list[Group]:
    found: list[Group] = []
    for child in group.children:
        if isinstance(child, Group):
            found.extend([child, *groups(child)])
    return found


def spread_references(source: str, repeats: dict[str, tuple[int, frozenset[str]]]) -> tuple[str, list[str]]:
    """References from outside a repeat (name -> copies, names inside) to a question inside it:
    `sum(${x})` adds up the copies, any other `${x}` reads the first copy. Returns the text and
    the names read from their first copy."""
    first_copies: list[str] = []
    if "${" not in source:
        return source, first_copies
    for count, names in repeats.values():
        for name in names:
            if name not in source or count < 1:
                continue
            copies = " + ".join(f"sum(${{{name}_{k}}})" for k in range(1, count + 1))
            source = re.sub(r"sum\(\s*\$\{\s*" + re.escape(name) + r"\s*\}\s*\)", f"({copies})", source)
            if re.search(r"\$\{\s*" + re.escape(name) + r"\s*\}", source):
                source = rename(source, {name: f"{name}_1"})
                first_copies.append(name)
    return source, first_copies


_NAME = r"\$\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}"
_INDEXED = re.compile(rf"indexed-repeat\(\s*{_NAME}\s*((?:,\s*\$\{{[^}}]*\}}\s*,\s*[0-9]+\s*)+)\)")
_PAIR = re.compile(rf",\s*{_NAME}\s*,\s*([0-9]+)\s*")


def indexed_copies(source: str, repeats: dict[str, tuple[int, frozenset[str]]]) -> str:
    """`indexed-repeat(${q}, ${repeat}, 2)` is copy 2 of q, `${q_2}` (nested repeats: outer
    index first, `${q_1_2}`), when the indexes are numbers within the copies of repeats already
    expanded (an earlier repeat, or the one the row is in). Any other use is left as it is, and
    a condition using it is left out with a warning (Reader.expression)."""
    if "indexed-repeat" not in source:
        return source

    def substitute(match: re.Match[str]) -> str:
        name, pairs = match.group(1), _PAIR.findall(match.group(2))
        outer = repeats.get(pairs[0][0]) if pairs else None
        if outer is None or name not in outer[1]:
            return match.group(0)
        suffix = ""
        for repeat, index in pairs:
            known = repeats.get(repeat)
            if known is None or not 1 <= int(index) <= known[0]:
                return match.group(0)
            suffix += f"_{int(index)}"
        return "${" + name + suffix + "}"

    return _INDEXED.sub(substitute, source)


def budgeted_copies(group: Group, *, nested: bool) -> int:
    """How many copies a repeat without a literal count gets: few enough that the expanded
    questionnaire stays within the limits (about REPEAT_QUESTION_BUDGET questions and
    REPEAT_PAGE_BUDGET pages per repeat)."""
    rows = len(group.rows())
    pages = 1 + sum(NESTED_REPEAT_COPIES if g.kind == "repeat" else 1 for g in groups(group))
    return min(
        NESTED_REPEAT_COPIES if nested else DEFAULT_REPEAT_COPIES,
        max(1, REPEAT_QUESTION_BUDGET // max(1, rows)),
        max(1, REPEAT_PAGE_BUDGET // pages),
    )
