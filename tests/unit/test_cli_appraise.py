"""`survey-app appraise` on small CSV/XLSX tables written to tmp_path."""

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from survey_app.commands.appraise import appraise

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "analysis" / "appraisal" / "schemes" / "example.yaml"
)
HEADER = [
    "单位",
    "类别",
    "期间",
    "企业评",
    "企业评_标记",
    "企业评_误差",
    "单位评",
    "重点工作",
    "工单办结率",
    "加分",
    "一票否决",
]


def _rows(formula_name: bool = True) -> list[list[object]]:
    """Ten 职能部门 units in Q4 only; 部门10 is vetoed, 部门09 flagged low precision.

    Final score = 0.4·s + 0.4·s + 0.2·100 (办结率 95 meets its target) = 0.8·s + 20.
    """
    rows: list[list[object]] = []
    for i in range(1, 11):
        score = 100 - 2 * i  # 98, 96, … 80 on every input
        flag, moe = ("精度不足", 3) if i == 9 else ("", "")
        name = "=HYPERLINK(1)" if i == 4 and formula_name else f"部门{i:02d}"
        rows.append(
            [
                name,
                "职能部门",
                "Q4",
                score,
                flag,
                moe,
                score,
                score,
                95,
                1 if i == 2 else "",
                "是" if i == 10 else "否",
            ]
        )
    return rows


def _csv(
    path: Path, rows: list[list[object]], encoding: str = "utf-8", header: list[str] = HEADER
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _run(*args: str) -> Result:
    return CliRunner().invoke(appraise, list(args))


def _result(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_every_encoding_gives_grades(tmp_path: Path, encoding: str) -> None:
    scores = _csv(tmp_path / "scores.csv", _rows(), encoding)
    out = tmp_path / "result.csv"
    result = _run(str(scores), "--scheme", str(EXAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = {r["单位"]: r for r in _result(out)}
    # 3:6:1 of 10 with 优秀 ≥ 90: 部门01 98.4, 部门02 96.8 + 1 bonus, 部门03 95.2
    assert [u for u, r in rows.items() if r["等级"] == "优秀"] == ["部门01", "部门02", "部门03"]
    assert rows["部门02"]["最终得分"] == "97.8" and rows["部门02"]["加分"] == "1.0"
    assert rows["部门01"]["排名"] == "1" and rows["部门01"]["Q4得分"] == "98.4"
    assert rows["部门10"]["等级"] == "一般" and rows["部门10"]["定级规则"] == "一票否决"
    assert sum(r["等级"] == "良好" for r in rows.values()) == 6
    assert (
        rows["部门09"]["标记"] == "精度不足" and rows["部门09"]["状态"] == "确定"
    )  # 良好, not lowest
    assert "【职能部门】10 个单位，名额：优秀 3、良好 6、一般 1" in result.output


def test_formula_cells_are_escaped_in_the_result(tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    result = _run(
        str(_csv(tmp_path / "s.csv", _rows())), "--scheme", str(EXAMPLE), "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "'=HYPERLINK(1)" in {r["单位"] for r in _result(out)}


def test_low_precision_unit_in_lowest_grade_needs_review(tmp_path: Path) -> None:
    rows = _rows()
    rows[9][10] = "否"  # no veto: 部门10 (score 80) is now the lowest…
    rows[9][4], rows[9][5] = "LOW_PRECISION", 2  # …on a low-precision satisfaction score
    out = tmp_path / "result.csv"
    result = _run(str(_csv(tmp_path / "s.csv", rows)), "--scheme", str(EXAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.output
    row = {r["单位"]: r for r in _result(out)}["部门10"]
    assert row["等级"] == "一般" and row["状态"] == "待复核" and "精度不足" in row["复核原因"]
    assert "待复核：部门10" in result.output


def test_xlsx_input_with_sheet_name(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "说明"
    sheet = workbook.create_sheet("得分")
    for row in [HEADER, *_rows(formula_name=False)]:
        sheet.append(row)
    path = tmp_path / "scores.xlsx"
    workbook.save(path)
    out = tmp_path / "result.csv"
    result = _run(str(path), "--scheme", str(EXAMPLE), "--out", str(out), "--sheet", "得分")
    assert result.exit_code == 0, result.output
    assert len(_result(out)) == 10
    missing = _run(str(path), "--scheme", str(EXAMPLE), "--sheet", "无此表")
    assert missing.exit_code == 1 and "没有工作表「无此表」" in missing.output


def test_row_errors_are_listed_with_row_numbers(tmp_path: Path) -> None:
    rows = _rows()
    rows[1][3] = "九十"
    rows[4][4] = "很好"
    rows[6][10] = "也许"
    result = _run(str(_csv(tmp_path / "s.csv", rows)), "--scheme", str(EXAMPLE))
    assert result.exit_code == 1
    assert "第 3 行：「企业评」不是数字：「九十」" in result.output
    assert "第 6 行：「企业评」的标记有误" in result.output
    assert "第 8 行：「一票否决」应填 是/否" in result.output
    assert "Traceback" not in result.output


def test_missing_columns_and_engine_errors(tmp_path: Path) -> None:
    no_period = _csv(
        tmp_path / "a.csv", [r[:2] + r[3:] for r in _rows()], header=HEADER[:2] + HEADER[3:]
    )
    result = _run(str(no_period), "--scheme", str(EXAMPLE))
    assert result.exit_code == 1 and "缺少必需的列：期间" in result.output
    no_kpi = _csv(
        tmp_path / "b.csv", [r[:7] + r[8:] for r in _rows()], header=HEADER[:7] + HEADER[8:]
    )
    result = _run(str(no_kpi), "--scheme", str(EXAMPLE))
    assert result.exit_code == 1 and "需要的列不在表中：重点工作" in result.output
    rows = _rows()
    rows[2][2] = "Q5"
    result = _run(str(_csv(tmp_path / "c.csv", rows)), "--scheme", str(EXAMPLE))
    assert result.exit_code == 1 and "第 4 行：期间「Q5」不在考核方案中" in result.output


def test_usage_errors_are_chinese(tmp_path: Path) -> None:
    scores = _csv(tmp_path / "s.csv", _rows())
    assert "请用 --scheme 指定" in _run(str(scores)).output
    assert "找不到文件" in _run(str(tmp_path / "none.csv"), "--scheme", str(EXAMPLE)).output
    bad_scheme = tmp_path / "bad.yaml"
    bad_scheme.write_text("name: x\nyear: 2026\nclasses: []\n", encoding="utf-8")
    result = _run(str(scores), "--scheme", str(bad_scheme))
    assert result.exit_code == 1 and "考核方案 classes：至少需要一个考核类别" in result.output
    header_only = _csv(tmp_path / "h.csv", [])
    assert "只有表头" in _run(str(header_only), "--scheme", str(EXAMPLE)).output


def test_rules_flag_prints_the_scheme_and_unused_columns_are_noted(tmp_path: Path) -> None:
    rows = [[*r, "备注"] for r in _rows()]
    result = _run(
        str(_csv(tmp_path / "s.csv", rows, header=[*HEADER, "说明"])),
        "--scheme",
        str(EXAMPLE),
        "--rules",
    )
    assert result.exit_code == 0, result.output
    assert "期间权重：Q1 10%" in result.output and "整组不进入" in result.output
    assert "以下列未被考核方案使用，已忽略：说明" in result.output
