"""The `choices` and `external_choices` sheets -> option lists, as leniently as pyxform reads
them: a missing label defaults to the name, blanks in names become `_`, a repeated name keeps
its first row; each such change is a warning on its row."""

from __future__ import annotations

import re

from questionnaires.model import Option, Problem
from questionnaires.xlsform.logic import pipe_text
from questionnaires.xlsform.vocabulary import CHOICE_COLUMNS, RATING_LISTS
from questionnaires.xlsform.workbook import Sheet

OptionLists = dict[str, list[tuple[Option, int]]]


def read_choices(sheet: Sheet, problems: list[Problem], warnings: list[Problem]) -> OptionLists:
    lists: OptionLists = {}
    for required in ("list_name", "name"):
        if required not in sheet.chosen:
            problems.append(Problem(f"{sheet.name} 工作表第 1 行", f"缺少 {required} 列"))
            return lists
    attribute_keys = sorted(key for key in sheet.chosen if key not in CHOICE_COLUMNS and "::" not in key)
    seen: dict[tuple[str, str], int] = {}
    for number, values in sheet.rows:
        row = sheet.cells(values)
        list_name, value = row.get("list_name", ""), row.get("name", "")
        if not list_name or not value:
            missing = "列表名（list_name）" if not list_name else "选项值（name）"
            warnings.append(Problem(sheet.where(number), f"缺少{missing}，该行已忽略"))
            continue
        if re.search(r"\s", value):
            fixed = re.sub(r"\s+", "_", value)
            warnings.append(Problem(sheet.where(number, "name"), f"选项值“{value}”含空格，已改为“{fixed}”"))
            value = fixed
        if (list_name, value) in seen:
            warnings.append(
                Problem(
                    sheet.where(number, "name"),
                    f"列表 {list_name} 中的选项值“{value}”与第 {seen[list_name, value]} 行重复，已忽略",
                )
            )
            continue
        seen[list_name, value] = number
        label = row.get("label", "")
        if not label:
            label = value
            warnings.append(Problem(sheet.where(number, "label"), f"选项“{value}”缺少文字，已用选项值代替"))
        if "${" in label:  # piping works in question labels and hints, not in options
            label, replaced = pipe_text(label, lambda _: False)
            for name in replaced:
                warnings.append(
                    Problem(
                        sheet.where(number, "label"),
                        f"选项文字中的 ${{{name}}} 不能显示答案，已显示为〔{name}〕",
                    )
                )
        attributes = tuple((key, row[key]) for key in attribute_keys if row.get(key))
        lists.setdefault(list_name, []).append((Option(value, label, attributes), number))
    for list_name, scale in RATING_LISTS.items():
        found = lists.get(list_name)
        if found and sorted(o.value for o, _ in found) != sorted(o.value for o in scale):
            values_text = "/".join(option.value for option in scale)
            problems.append(
                Problem(
                    f"{sheet.name} 工作表第 {found[0][1]} 行",
                    f"保留列表 {list_name} 的选项值必须是 {values_text}",
                )
            )
    return lists
