"""XLSForm import and export (ODK, KoBoToolbox, SurveyCTO workbooks).

Sheets: `survey` (required), `choices`, `external_choices` and `settings` (optional), in a
.xlsx or a legacy .xls (BIFF) workbook. Column headers may appear in any order,
case-insensitively, with pyxform's aliases, the legacy `label:English` spelling and the
`bind::` / `body::` prefixes; translated columns such as `label::zh`, `label::中文 (zh)` or
`label::English (en)` are read with Chinese preferred (our questionnaires hold one language; the
other languages are ignored with a warning).

Mapping between XLSForm and our model (documented for authors):

| Ours              | XLSForm                                                                  |
|-------------------|--------------------------------------------------------------------------|
| section           | `begin group` / `end group` (label = title, hint = description); a       |
|                   | nested group is a section of its own titled "外层 / 内层" whose relevant  |
|                   | joins the enclosing ones                                                 |
| single_choice     | `select_one <list>` (also `select one from <list>`, `select1` …)         |
| dropdown          | `select_one <list>` with appearance `minimal`/`autocomplete`;            |
|                   | `select_one_external <list>` (options from `external_choices`)           |
| multiple_choice   | `select_multiple <list>` (also `select all that apply from <list>` …)    |
| rating            | `select_one satisfaction5` (or `satisfaction5_dk`, which adds 不了解),     |
|                   | appearance `likert`                                                      |
| matrix_rating     | `begin group <name>` with appearance `table-list`, one                   |
|                   | `select_one satisfaction5[_dk]` row per matrix row named                 |
|                   | `<name>__<row id>` (so `${units__U03}` works in ODK too), `end group`    |
| scale10           | `range` with parameters `start=0 end=10 step=1` (the defaults); another  |
|                   | range is a number question with its start/end as min/max                 |
| number            | `integer`, or `decimal` (allow_decimal)                                  |
| date / note       | `date` / `note`                                                          |
| text / textarea   | `text` / `text` with appearance `multiline`                              |

Also imported: `or_other` (an option 其他 plus a text question `<name>_other`), `calculate` rows
(inlined into the expressions that use them; one used nowhere else becomes a hidden item, see
below; `${calc}` in a label shows as 〔calc〕),
`begin loop over <list>` (unrolled per choice), and `begin repeat`: expanded into numbered copies
of its questions (`q_1` … `q_n`): n = a literal `repeat_count`; or up to 5 copies (3 inside
another repeat, fewer for long repeats) shown while `repeat_count` (an earlier answer) — or an
added question `<repeat>_count` — is at least k. Every copy is an ordinary question, so answers,
drafts, paper entry, exports and unit scores need nothing special; `position(..)` inside a copy
is its number and `sum(${q})` outside adds the copies. Media, GPS, barcode and the like import as a
note naming the unsupported type, with a warning; metadata (`start`, `deviceid` …) imports as a
hidden item (a note never relevant, `relevant = false()`) named after its row, written back as
that metadata on export. A condition pyxform accepts but this platform cannot compute
(`pulldata()`, `indexed-repeat()`, `${last-saved#…}`, a reference to a later question or to an
unsupported item, a `choice_filter` on a column the list lacks) is left out with a warning
saying so and what follows ("总是显示" …), never a refusal of the form. Every problem is reported
at once with sheet, row and column, and the warnings travel with them (XlsformError.warnings)
when an import fails.

Our extension columns on the survey sheet: `unit` (unit code rated or commented on; on a matrix
group row it is the rows' default), `dimension`, `allow_unknown`, `min`, `max`, `max_length`,
`max_choices`, `opinion`. Settings extensions: `description`, `intro`. Extra columns of the
choices sheet become option attributes usable in `choice_filter`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from questionnaires.model import DefinitionError, Problem, Questionnaire
from questionnaires.xlsform.vocabulary import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, MAX_XLSFORM_BYTES
from questionnaires.xlsform.workbook import error, open_workbook
from questionnaires.xlsform.writer import write_xlsform


class XlsformError(DefinitionError):
    """An XLSForm that cannot be imported: its problems, and the warnings gathered before."""

    def __init__(self, problems: list[Problem], warnings: tuple[Problem, ...] = ()) -> None:
        super().__init__(problems)
        self.warnings = warnings


@dataclass(frozen=True)
class XlsformImport:
    questionnaire: Questionnaire
    warnings: tuple[Problem, ...]  # what was skipped, converted or ignored


def read_xlsform(data: bytes) -> Questionnaire:
    """Import an XLSForm workbook; XlsformError lists every problem by sheet, row, column."""
    return read_xlsform_report(data).questionnaire


def read_xlsform_report(data: bytes) -> XlsformImport:
    """Like read_xlsform, also returning the warnings about skipped and converted rows."""
    from questionnaires.xlsform.locations import once
    from questionnaires.xlsform.reader import Reader

    workbook = open_workbook(data)
    reader = Reader(workbook)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes about unsupported Excel features
            questionnaire = reader.read()
    except XlsformError:
        raise
    except DefinitionError as failure:
        raise XlsformError(failure.problems, tuple(once(reader.warnings))) from None
    except Exception:  # read-only sheets are parsed lazily: a corrupt sheet fails only here
        corrupt = error("", "工作簿中有损坏的工作表，请用 Excel 或 WPS 另存为 .xlsx 后再上传")
        raise XlsformError(corrupt.problems, tuple(once(reader.warnings))) from None
    finally:
        workbook.close()
    return XlsformImport(questionnaire, tuple(once(reader.warnings)))


__all__ = [
    "MAX_SHEET_COLUMNS",
    "MAX_SHEET_ROWS",
    "MAX_XLSFORM_BYTES",
    "XlsformError",
    "XlsformImport",
    "read_xlsform",
    "read_xlsform_report",
    "write_xlsform",
]
