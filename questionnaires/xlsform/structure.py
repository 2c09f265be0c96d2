"""The survey sheet as a tree: `begin group` / `begin repeat` / `begin loop over` … `end …`
spans become nodes holding their rows, so nesting can be judged as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field

from questionnaires.model import Problem
from questionnaires.xlsform.vocabulary import split_type
from questionnaires.xlsform.workbook import Sheet


@dataclass
class Row:
    number: int
    cells: dict[str, str]
    kind: str  # canonical type
    argument: str  # list name etc.


@dataclass
class Group:
    row: Row  # the begin row
    kind: str  # group, repeat or loop
    children: list[Row | Group] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.row.cells.get("name", "")

    def rows(self) -> list[Row]:
        """Every question row inside, at any depth."""
        found: list[Row] = []
        for child in self.children:
            found.extend(child.rows() if isinstance(child, Group) else [child])
        return found


_BEGIN = {"begin group": "group", "begin repeat": "repeat", "begin loop": "loop"}
_END = {"end group": "group", "end repeat": "repeat", "end loop": "loop"}


def parse_tree(sheet: Sheet, problems: list[Problem]) -> Group:
    """The root group (kind "survey") of the sheet; mismatched begin/end rows are problems."""
    root = Group(Row(0, {}, "survey", ""), "survey")
    stack = [root]
    for number, values in sheet.rows:
        cells = sheet.cells(values)
        kind, argument = split_type(cells.get("type", ""))
        row = Row(number, cells, kind, argument)
        if kind in _BEGIN:
            group = Group(row, _BEGIN[kind])
            stack[-1].children.append(group)
            stack.append(group)
        elif kind in _END:
            wanted = _END[kind]
            if len(stack) == 1:
                problems.append(
                    Problem(sheet.where(number, "type"), f"多余的 end {wanted}（没有对应的 begin {wanted}）")
                )
            elif stack[-1].kind != wanted:
                opened = stack[-1]
                problems.append(
                    Problem(
                        sheet.where(number, "type"),
                        f"end {wanted} 与第 {opened.row.number} 行的 begin {opened.kind} 不匹配",
                    )
                )
            else:
                stack.pop()
        elif not any(row.cells.values()):
            continue
        else:
            stack[-1].children.append(row)
    for group in stack[1:]:
        problems.append(
            Problem(sheet.where(group.row.number, "type"), f"begin {group.kind} 没有对应的 end {group.kind}")
        )
    return root
