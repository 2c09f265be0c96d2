"""A definition file of any supported format -> questionnaire and warnings, by file name."""

from __future__ import annotations

from questionnaires.definition import parse_definition
from questionnaires.model import DefinitionError, Problem, Questionnaire
from questionnaires.xlsform import XlsformError, read_xlsform_report

DEFINITION_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx", ".xls")


class DefinitionFileError(DefinitionError):
    """The file cannot be read as a questionnaire: problems, and any warnings gathered."""

    def __init__(self, problems: list[Problem], warnings: tuple[Problem, ...] = ()) -> None:
        super().__init__(problems)
        self.warnings = warnings


def read_definition_file(filename: str, data: bytes) -> tuple[Questionnaire, tuple[Problem, ...]]:
    """YAML, JSON, .xlsx or .xls (XLSForm); DefinitionFileError lists every problem in Chinese."""
    name = filename.lower()
    if not name.endswith(DEFINITION_SUFFIXES):
        raise DefinitionFileError(
            [Problem("", "不支持的文件类型：只能检查 .yaml、.yml、.json、.xlsx 或 .xls 文件")]
        )
    if name.endswith((".xlsx", ".xls")):
        try:
            report = read_xlsform_report(data)
        except XlsformError as error:
            raise DefinitionFileError(error.problems, error.warnings) from None
        except DefinitionError as error:
            raise DefinitionFileError(error.problems) from None
        return report.questionnaire, report.warnings
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DefinitionFileError([Problem("", "文件不是 UTF-8 编码的文本，请另存为 UTF-8")]) from None
    try:
        return parse_definition(text, "json" if name.endswith(".json") else "yaml"), ()
    except DefinitionError as error:
        raise DefinitionFileError(error.problems) from None
