"""Import: the workbook -> sections of questions, collecting every problem and warning.

Groups become sections. A group inside a group becomes its own section whose title joins the
enclosing titles ("外层 / 内层") and whose `relevant` joins theirs with `and`; questions after
it continue in a section of the enclosing group. A repeat becomes numbered copies of its
questions (see expand_repeat); `begin loop over <list>` is unrolled once per choice.
A group left without questions is dropped with a warning.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from questionnaires.model import (
    Problem,
    Questionnaire,
    QuestionType,
)
from questionnaires.xlsform.choices import OptionLists, read_choices
from questionnaires.xlsform.conditions import EXPRESSION_KEYS, beyond_evaluator, drop_unusable_logic, dropped
from questionnaires.xlsform.copies import (
    Context,
    Instance,
    budgeted_copies,
    groups,
    indexed_copies,
    integer,
    spread_references,
    suffixed,
)
from questionnaires.xlsform.hidden import hidden_item, place_hidden
from questionnaires.xlsform.locations import SECTION_KEYS, SectionDraft, locator, once
from questionnaires.xlsform.logic import (
    REFERENCE,
    Calculations,
    normalise_quotes,
    pipe_text,
    rename,
    unsupported_reason,
)
from questionnaires.xlsform.names import safe_name, unique, unique_names
from questionnaires.xlsform.questions import GENERATED, Draft, RowReader
from questionnaires.xlsform.result import build, semantic_problems
from questionnaires.xlsform.structure import Group, Row, parse_tree
from questionnaires.xlsform.vocabulary import (
    MAX_LOOP_CHOICES,
    MAX_REPEAT_COPIES,
    METADATA_TYPES,
    calculation_label,
    metadata_label,
)
from questionnaires.xlsform.workbook import (
    Sheet,
    check_survey_columns,
    choose_columns,
    error,
    language_code,
    load_sheet,
)

KNOWN_SHEETS = ("survey", "choices", "external_choices", "settings", "osm", "entities")
MAX_FORMULA_HINT = 1000  # a calculation's formula, shown to the author in its hidden item


class Reader:
    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.choice_lists: OptionLists = {}
        self.external: OptionLists = {}
        self.sections: list[SectionDraft] = []
        self.current: SectionDraft | None = None
        self.settings: dict[str, str] = {}
        self.failed_names: set[str] = set()
        self.skipped_names: set[str] = set()
        self.pending: list[Draft] = []  # hidden items waiting for the next section
        self.calculation_notes: set[int] = set()  # id() of the hidden notes of calculate rows
        # repeat name -> (copies, names of the rows inside)
        self.repeats: dict[str, tuple[int, frozenset[str]]] = {}

    # -- entry point --

    def read(self) -> Questionnaire:
        names = list(self.workbook.sheetnames)  # stripped and lower-cased, as pyxform reads them
        self.sheet_names = {name: name for name in names}
        if len(names) == 1 and names[0] not in KNOWN_SHEETS:  # as pyxform: the only sheet is the survey
            self.sheet_names = {"survey": names[0]}
            only = Problem(f"{names[0]} 工作表", "工作簿只有这一个工作表，按 survey 工作表读取")
            self.warnings.append(only)
            names = ["survey"]
        if "survey" not in names:
            found = "、".join(f"“{name}”" for name in names[:5])
            raise error(
                "", f"缺少 survey 工作表（工作簿中的工作表：{found}）" if found else "缺少 survey 工作表"
            )
        self.read_settings(names)
        default_language = language_code(self.settings.get("default_language", ""))
        if "choices" in names:
            self.choice_lists = read_choices(
                self.sheet("choices", default_language), self.problems, self.warnings
            )
        if "external_choices" in names:
            sheet = self.sheet("external_choices", default_language)
            self.external = read_choices(sheet, self.problems, self.warnings)
        survey = self.sheet("survey", default_language)
        self.survey = survey
        self.calculations = Calculations(lambda row: f"survey 工作表第 {row} 行")
        self.rows = RowReader(survey, self.choice_lists, self.external, self.problems, self.warnings)
        if check_survey_columns(survey, self.problems, self.warnings):
            tree = parse_tree(survey, self.problems)
            self.walk(tree, Context())
            self.finish()
        questionnaire = build(self.sections, self.settings, self.warnings)
        if not self.problems and not questionnaire.sections:
            raise _with_warnings([Problem("survey 工作表", "没有可导入的行")], self.warnings)
        located = locator(self.survey, self.sections, self.choice_lists)
        # A reference to a row that failed, or to a calculation that could not be inlined, is a
        # consequence of a problem already reported.
        consequences_of = self.failed_names | set(self.calculations.by_name)
        semantic = semantic_problems(questionnaire, located, bool(self.problems), consequences_of)
        problems = once(self.problems + semantic)
        if problems:
            raise _with_warnings(problems, self.warnings)
        return questionnaire

    def sheet(self, name: str, default_language: str) -> Sheet:
        sheet = load_sheet(self.workbook[self.sheet_names[name]], name, self.problems)
        choose_columns(sheet, default_language, self.warnings)
        return sheet

    def read_settings(self, names: list[str]) -> None:
        if "settings" not in names:
            return
        sheet = self.sheet("settings", "")
        if sheet.rows:
            _, cells = sheet.rows[0]
            self.settings = {key: cells.get(index, "") for key, index in sheet.chosen.items()}
        for alias, key in (("set_form_title", "form_title"), ("set_form_id", "form_id")):
            if self.settings.get(alias) and not self.settings.get(key):
                self.settings[key] = self.settings[alias]

    # -- the tree --

    def walk(self, group: Group, context: Context) -> int:
        """Add the questions of a group's children; returns how many were added."""
        added = 0
        for child in group.children:
            if isinstance(child, Row):
                added += self.add_row(child, context)
            elif self.rows.is_matrix(child):
                added += self.add(self.rows.matrix(child), context)
            elif child.kind == "loop":
                added += self.unroll(child, context)
            else:
                added += self.walk_group(child, context, child.row.cells.get("label", ""))
        return added

    def walk_group(
        self, group: Group, context: Context, title: str, relevant: str = "", *, copy: bool = False
    ) -> int:
        if group.kind == "repeat" and not copy:
            return self.expand_repeat(group, context, title)
        own = self.instance_text(normalise_quotes(group.row.cells.get("relevant", "")), context)
        relevants = [r for r in (own, relevant) if r]
        inner = Context(
            titles=(*context.titles, title) if title else context.titles,
            relevants=(*context.relevants, *relevants),
            group=group,
            instances=context.instances,
        )
        # A group without title or condition only groups names: its questions stay on the page.
        transparent = not title and not relevants and group.kind == "group"
        if not transparent:
            self.current = None
        added = self.walk(group, inner)
        if not transparent:
            self.current = None  # what follows opens a continuation section
        if not added:
            self.warnings.append(
                Problem(
                    self.survey.where(group.row.number, "type"),
                    f"分组 {group.name or title} 中没有可导入的题目，已省略（原因见该组各行的提示）",
                )
            )
        return added

    @staticmethod
    def instance_text(text: str, context: Context) -> str:
        for instance in context.instances:
            text = instance.text(text)
        return text

    def expand_repeat(self, group: Group, context: Context, title: str) -> int:
        """A repeat becomes `count` copies of its questions (`name_1` … `name_n`); copy k is
        shown when the number of entries is at least k. Each copy is an ordinary question, so
        answers, drafts, paper entry, exports and scores need nothing special."""
        where = self.survey.where(group.row.number, "type")
        count_text = self.instance_text(normalise_quotes(group.row.cells.get("repeat_count", "")), context)
        literal = integer(count_text)
        label = title or group.name
        if literal is not None:
            count, condition = max(0, min(literal, MAX_REPEAT_COPIES)), ""
            if literal > MAX_REPEAT_COPIES:
                self.problems.append(
                    Problem(
                        self.survey.where(group.row.number, "repeat_count"),
                        f"重复次数 {literal} 超过上限 {MAX_REPEAT_COPIES}",
                    )
                )
        else:
            nested = any(instance.repeat for instance in context.instances)
            count = budgeted_copies(group, nested=nested)
            if not count_text:
                counter = f"{suffixed(group.name, context)}_count"
                self.add(
                    Draft(
                        {
                            "name": counter,
                            "type": QuestionType.NUMBER,
                            "label": f"{label}：共填写几项？",
                            "hint": f"最多 {count} 项",
                            "min_value": 0,
                            "max_value": count,
                        },
                        group.row.number,
                    ),
                    context,
                )
                count_text = f"${{{counter}}}"
            condition = count_text
        names = frozenset(
            suffixed(name, context)
            for name in (
                *(row.cells.get("name", "") for row in group.rows()),
                *(g.name for g in groups(group)),
            )
        )
        self.repeats[group.name] = (count, names)
        self.warnings.append(
            Problem(
                where,
                f"重复组 {group.name} 展开为 {count} 份（题目名加后缀 _1…_{count}"
                + (f"，第 k 份在 {condition} ≥ k 时显示" if condition else "")
                + "）",
            )
        )
        added = 0
        for k in range(1, count + 1):
            instance = Instance(str(k), names, k, repeat=True)
            inner = replace(context, instances=(*context.instances, instance))
            shown = f"({condition}) >= {k}" if condition else ""
            added += self.walk_group(group, inner, f"{label}（第 {k} 项）", shown, copy=True)
        return added

    def unroll(self, group: Group, context: Context) -> int:
        list_name = group.row.argument
        options = self.choice_lists.get(list_name)
        where = self.survey.where(group.row.number, "type")
        if not options:
            self.problems.append(Problem(where, f"choices 工作表中没有选项列表“{list_name}”"))
            return 0
        if len(options) > MAX_LOOP_CHOICES:
            self.problems.append(Problem(where, f"循环的选项超过 {MAX_LOOP_CHOICES} 个"))
            return 0
        added = 0
        title = group.row.cells.get("label", "")
        names = frozenset(suffixed(row.cells.get("name", ""), context) for row in group.rows())
        for index, (option, _) in enumerate(options, start=1):
            texts = (("%(label)s", option.label), ("%(name)s", option.value))
            instance = Instance(option.value, names, index, texts)
            inner = replace(context, instances=(*context.instances, instance))
            added += self.walk_group(group, inner, instance.text(title) if title else option.label)
        return added

    def add_row(self, row: Row, context: Context) -> int:
        cells = dict(row.cells)
        for key in (*EXPRESSION_KEYS, "calculation", "repeat_count"):
            if cells.get(key):
                cells[key] = indexed_copies(normalise_quotes(cells[key]), self.repeats)
        row = Row(row.number, cells, row.kind, row.argument)
        for instance in context.instances:
            row = instance.apply(row)
        name = row.cells.get("name", "")
        where = self.survey.where(row.number, "type")
        if not row.kind:
            self.warnings.append(Problem(where, "缺少题型（type），该行已忽略"))
            return 0
        if not name and row.kind in METADATA_TYPES:
            name = row.kind.removeprefix("uri:")  # pyxform names an `audit` row `audit`
            row = Row(row.number, {**row.cells, "name": name}, row.kind, row.argument)
        elif not name and row.kind != "note":
            name = f"row{row.number}"
            row = Row(row.number, {**row.cells, "name": name}, row.kind, row.argument)
            self.warnings.append(
                Problem(self.survey.where(row.number, "name"), f"缺少题目名，已命名为“{name}”")
            )
        elif not name:
            name = f"note{row.number}"
            row = Row(row.number, {**row.cells, "name": name, GENERATED: "yes"}, row.kind, row.argument)
        if row.kind == "calculate":
            source = row.cells.get("calculation", "")
            self.calculations.add(name, source, row.number)
            formula = REFERENCE.sub(lambda m: f"〔{m.group(1)}〕", normalise_quotes(source))
            hint = f"公式：{formula[:MAX_FORMULA_HINT]}" if formula else ""
            note = self.add_hidden(hidden_item(name, calculation_label(name), row.number, hint), context)
            self.calculation_notes.add(id(note))
            return 0
        if row.kind in METADATA_TYPES:
            if row.kind == "today":
                self.calculations.add(name, "today()", row.number)
            self.skipped_names.add(name)
            self.add_hidden(hidden_item(name, metadata_label(row.kind), row.number), context)
            self.warnings.append(
                Problem(where, f"元数据 {row.kind} 本平台不采集，已导入为填答时不显示的说明项 {name}")
            )
            return 0
        if row.cells.get("calculation"):
            self.warnings.append(
                Problem(
                    self.survey.where(row.number, "calculation"),
                    "题目上的 calculation（计算默认值）不支持，已忽略",
                )
            )
        drafts = self.rows.question(row)
        if not drafts:
            self.failed_names.add(name)
        return sum(self.add(draft, context) for draft in drafts)

    def add_hidden(self, draft: Draft, context: Context) -> Draft:
        """An item the respondent never sees: where its row was, or at the start of the next
        section (a group holding only hidden items is not a page of its own)."""
        draft.scope = context.group.row.number if context.group is not None else 0
        if self.current is None:
            self.pending.append(draft)
        else:
            self.current.hidden.append((len(self.current.questions), draft))
        return draft

    def add(self, draft: Draft, context: Context) -> int:
        if self.current is None:
            group = context.group
            grouped = group is not None
            section = SectionDraft(
                id=group.name if group is not None else f"part{len(self.sections) + 1}",
                title=" / ".join(context.titles),
                description=group.row.cells.get("hint", "") if group is not None else "",
                relevant=" and ".join(f"({r})" for r in context.relevants)
                if len(context.relevants) > 1
                else "".join(context.relevants),
                row=group.row.number if group is not None else draft.row,
                grouped=grouped,
            )
            last = self.sections[-1] if self.sections else None
            if last is not None and last.same_page_as(section):
                self.current = last  # e.g. the rest of a group after a nested group that was dropped
            else:
                self.current = section
                self.sections.append(section)
            self.current.hidden.extend((len(self.current.questions), d) for d in self.pending)
            self.pending.clear()
        for key in EXPRESSION_KEYS:
            value = draft.values.get(key)
            if isinstance(value, str):
                draft.values[key] = normalise_quotes(value)
        draft.scope = context.group.row.number if context.group is not None else 0
        self.current.questions.append(draft)
        return 1

    # -- names, calculations, labels --

    def spread(self, source: str, row: int, key: str) -> str:
        text, first_copies = spread_references(source, self.repeats)
        for name in first_copies:
            self.warnings.append(
                Problem(
                    self.survey.where(row, key), f"${{{name}}} 是重复组中的题目，已按第 1 项（{name}_1）计算"
                )
            )
        return text

    def finish(self) -> None:
        if self.repeats:
            for calculation in self.calculations.by_name.values():
                calculation.source = self.spread(calculation.source, calculation.row, "calculation")
            for section in self.sections:
                section.relevant = self.spread(section.relevant, section.row, "relevant")
                for draft in section.questions:
                    for key in EXPRESSION_KEYS:
                        value = draft.values.get(key)
                        if isinstance(value, str):
                            draft.values[key] = self.spread(value, draft.row, key)
        names = self.unique_names()
        for calculation in self.calculations.by_name.values():
            calculation.source = rename(calculation.source, names)
        sections_seen: set[str] = set(names.values()) | {d.name for s in self.sections for d in s.questions}
        for index, section in enumerate(self.sections):
            section.id = unique(safe_name(section.id) or f"part{index + 1}", sections_seen)
            sections_seen.add(section.id)
            if section.relevant:
                section.relevant = self.expression(rename(section.relevant, names), section.row, "relevant")
        questions = {d.name for s in self.sections for d in s.questions}
        for section in self.sections:
            for key in ("title", "description"):
                text = self.calculations.pipe(rename(getattr(section, key), names))
                text, replaced = pipe_text(text, questions.__contains__)
                setattr(section, key, text)
                for name in replaced:
                    self.warnings.append(
                        Problem(
                            self.survey.where(section.row, SECTION_KEYS[key]),
                            f"文字中的 ${{{name}}} 不是可引用的题目，已显示为〔{name}〕",
                        )
                    )
        for section in self.sections:
            for draft in section.questions:
                for key in EXPRESSION_KEYS:
                    value = draft.values.get(key)
                    if isinstance(value, str) and value:
                        value = self.expression(rename(value, names), draft.row, key)
                        draft.values[key] = False if key == "required" and not value else value
                for key in ("label", "hint", "required_message", "constraint_message"):
                    text, replaced = pipe_text(
                        self.calculations.pipe(rename(draft.values.get(key, ""), names)),
                        questions.__contains__,
                    )
                    draft.values[key] = text
                    for name in replaced:
                        self.warnings.append(
                            Problem(
                                self.survey.where(draft.row, key),
                                f"文字中的 ${{{name}}} 不是可引用的题目（计算项或已跳过的行），"
                                f"已显示为〔{name}〕",
                            )
                        )
        for calculation in self.calculations.unused():
            if calculation.name in self.skipped_names:
                continue  # `today`: a metadata row, warned about as such
            self.calculations.resolve(calculation.name)
            detail = f"：{calculation.failure}" if calculation.failure else ""
            self.warnings.append(
                Problem(
                    self.survey.where(calculation.row, "type"),
                    f"计算项（calculate）{calculation.name} 未被任何条件引用，"
                    f"已导入为填答时不显示的说明项{detail}",
                )
            )
        self.place_hidden()
        drop_unusable_logic(self.sections, self.survey, self.warnings)
        for name in sorted(self.calculations.used):
            calculation = self.calculations.by_name[name]
            if calculation.resolved is not None:
                self.warnings.append(
                    Problem(
                        self.survey.where(calculation.row, "type"),
                        f"计算项（calculate）{name} 已代入引用它的条件表达式（不单独保存计算结果）",
                    )
                )

    def place_hidden(self) -> None:
        inlined = {
            name
            for name, calculation in self.calculations.by_name.items()
            if name in self.calculations.used and calculation.resolved is not None
        }
        place_hidden(self.sections, self.pending, self.calculation_notes, inlined, self.survey, self.warnings)

    def expression(self, source: str, row: int, key: str) -> str:
        """The expression with calculations inlined; "" (with a warning) when it needs what this
        platform cannot compute, such as pulldata() or ${last-saved#…}."""
        reason = unsupported_reason(source)
        text, failure, unsupported = self.calculations.inline(source)
        if reason or (failure and unsupported):
            self.warnings.append(dropped(self.survey.where(row, key), key, source, reason or failure))
            return ""
        if failure:
            self.problems.append(Problem(self.survey.where(row, key), failure))
            return text
        limit = beyond_evaluator(text, key)
        if limit:
            self.warnings.append(dropped(self.survey.where(row, key), key, source, limit))
            return ""
        return text

    def unique_names(self) -> dict[str, str]:
        return unique_names(self.sections, self.survey, self.warnings)


def _with_warnings(problems: list[Problem], warnings: list[Problem]) -> Exception:
    from questionnaires.xlsform import XlsformError

    return XlsformError(problems, tuple(once(warnings)))

