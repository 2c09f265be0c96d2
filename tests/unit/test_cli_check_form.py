"""`survey-app check-form FILE...`: one line per file, problems in Chinese, exit 0 only if all
pass."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from openpyxl import Workbook

from survey_app.cli import main

LIBRARY = Path(__file__).resolve().parents[2] / "questionnaires" / "library"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "xlsforms" / "pyxform_files"


def _run(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check-form", *args])
    return result.exit_code, result.output.splitlines()


def test_all_pass(tmp_path: Path) -> None:
    yaml_file = LIBRARY / "enterprise_business_environment.yaml"
    xls = tmp_path / "yes_no.xls"
    shutil.copy(CORPUS / "yes_or_no_question.xls", xls)
    xlsx = tmp_path / "text.xlsx"
    shutil.copy(CORPUS / "text_and_integer_xlsx.xlsx", xlsx)
    json_file = tmp_path / "form.json"
    json_file.write_text(
        '{"id": "f", "title": "T", "sections": [{"id": "s", "title": "S", "questions": '
        '[{"name": "q", "type": "text", "label": "Q"}]}]}',
        encoding="utf-8",
    )
    code, lines = _run(str(yaml_file), str(xls), str(xlsx), str(json_file))
    assert code == 0
    assert lines[0].startswith(f"OK {yaml_file} ") and int(lines[0].split()[-1]) > 10
    assert lines[1] == f"OK {xls} 1"
    assert lines[2].startswith(f"OK {xlsx} ")
    assert lines[3] == f"OK {json_file} 1"
    assert len(lines) == 4


def test_a_failing_file_lists_its_problems_and_sets_the_exit_status(tmp_path: Path) -> None:
    good = LIBRARY / "livelihood_projects.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\ntitle: T\nsections:\n  - id: s\n    title: S\n    questions: []\n", encoding="utf-8"
    )
    missing = tmp_path / "missing.json"
    other = tmp_path / "form.txt"
    other.write_text("hello", encoding="utf-8")
    code, lines = _run(str(good), str(bad), str(missing), str(other))
    assert code == 1
    assert lines[0].startswith(f"OK {good} ")
    assert lines[1] == f"FAIL {bad}"
    assert lines[2] == "  第 1 部分（s）：该部分没有题目"
    assert lines[3:] == [
        f"FAIL {missing}",
        "  找不到文件",
        f"FAIL {other}",
        "  不支持的文件类型：只能检查 .yaml、.yml、.json、.xlsx 或 .xls 文件",
    ]


def test_xlsform_failure_keeps_the_import_notes(tmp_path: Path) -> None:
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    for row in (
        ["type", "name", "label", "relevant"],
        ["deviceid", "device"],
        ["text", "q", "Q", "${nosuch} = 1"],
    ):
        survey.append(row)
    form = tmp_path / "form.xlsx"
    workbook.save(form)
    code, lines = _run(str(form))
    assert code == 1
    assert lines[0] == f"FAIL {form}"
    assert lines[1] == "  survey 工作表第 3 行 D 列（relevant）：引用了不存在的题目 ${nosuch}"
    assert lines[2].startswith("  提示：survey 工作表第 2 行") and "deviceid" in lines[2]


def test_a_form_of_only_metadata_and_calculations_passes(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden.xls"
    shutil.copy(CORPUS / "hidden.xls", hidden)
    code, lines = _run(str(hidden))
    assert (code, lines) == (0, [f"OK {hidden} 1"])
