"""Copies of the rows of a repeat or a `begin loop over`: each copy renames its questions
with a suffix, and references between them follow."""

from __future__ import annotations

import re
from dataclasses import dataclass

from questionnaires.xlsform.logic import rename
from questionnaires.xlsform.structure import Group, Row


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
