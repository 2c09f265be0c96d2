"""The corpus of public XLSForms under tests/data/xlsforms/ (see its README.md) and the
measurement shared by bench/xlsform_corpus.py and tests/unit/test_xlsform_corpus.py.

Markdown forms (pyxform's test tables) are turned into .xlsx bytes with pyxform's own
`md_table_to_workbook`, so both pyxform and our importer read exactly the same workbook.
pyxform is a test dependency only.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "xlsforms"
SUFFIXES = (".xlsx", ".xls", ".md")


@dataclass(frozen=True)
class CorpusForm:
    path: Path
    data: bytes  # .xls or .xlsx bytes

    @property
    def name(self) -> str:
        return str(self.path.relative_to(CORPUS))

    @property
    def file_type(self) -> str:
        return "xls" if self.data[:4] == b"\xd0\xcf\x11\xe0" else "xlsx"


def corpus_forms() -> list[CorpusForm]:
    forms = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in SUFFIXES or path.name.startswith("~$") or path.name == "README.md":
            continue
        data = _markdown_to_xlsx(path.read_text("utf-8")) if path.suffix == ".md" else path.read_bytes()
        forms.append(CorpusForm(path, data))
    return forms


def _markdown_to_xlsx(text: str) -> bytes:
    from pyxform.xls2json_backends import md_table_to_workbook

    buffer = io.BytesIO()
    md_table_to_workbook(text).save(buffer)
    return buffer.getvalue()


def pyxform_accepts(data: bytes, file_type: str = "") -> bool:
    """True when pyxform converts the workbook to an XForm (without ODK Validate: no Java)."""
    from pyxform.xls2xform import convert

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert(xlsform=io.BytesIO(data), file_type=f".{file_type}" if file_type else None, warnings=[])
    except Exception:  # pyxform refuses with many exception types
        return False
    return True


def cause(message: str) -> str:
    """A refusal message without the names it quotes, to count forms by cause."""
    text = re.sub(r"（另有 [0-9]+ 份重复组副本有同样的问题）$", "", message)
    text = re.sub(r"“[^”]*”", "“…”", text)
    text = re.sub(r"\$\{[^}]*\}", "${…}", text)
    text = re.sub(r"第 [0-9]+ (个字符|行)", r"第 n \1", text)
    return re.sub(r"[0-9]+", "n", text)[:90]


@dataclass
class Measurement:
    total: int = 0
    accepted: list[str] = field(default_factory=list)  # by pyxform
    imported: list[str] = field(default_factory=list)  # of those accepted
    crashed: list[tuple[str, str]] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)  # form -> problems
    export_refused: list[str] = field(default_factory=list)  # our export refused by pyxform
    causes: Counter[str] = field(default_factory=Counter)  # forms per cause
    nothing_to_answer: list[str] = field(default_factory=list)  # imported: only notes
    logic_dropped: list[str] = field(default_factory=list)  # imported without some condition


def measure(forms: list[CorpusForm], *, check_export: bool = True) -> Measurement:
    from questionnaires.model import DefinitionError, QuestionType
    from questionnaires.xlsform import read_xlsform_report, write_xlsform
    from questionnaires.xlsform.conditions import LOGIC_NOT_IMPORTED

    result = Measurement(total=len(forms))
    for form in forms:
        if not pyxform_accepts(form.data, form.file_type):
            continue
        result.accepted.append(form.name)
        try:
            report = read_xlsform_report(form.data)
        except DefinitionError as error:
            problems = [str(problem) for problem in error.problems]
            result.refused[form.name] = problems
            for text in {cause(problem.message) for problem in error.problems}:
                result.causes[text] += 1
            continue
        except Exception as error:  # a crash is a finding, reported by the caller
            result.crashed.append((form.name, repr(error)))
            continue
        result.imported.append(form.name)
        if all(q.type == QuestionType.NOTE for q in report.questionnaire.iter_questions()):
            result.nothing_to_answer.append(form.name)
        if any(LOGIC_NOT_IMPORTED in warning.message for warning in report.warnings):
            result.logic_dropped.append(form.name)
        if check_export and not pyxform_accepts(write_xlsform(report.questionnaire), "xlsx"):
            result.export_refused.append(form.name)
    return result
