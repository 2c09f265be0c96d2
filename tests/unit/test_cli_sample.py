"""`survey-app sample` end to end through click's CliRunner."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from questionnaires.roster import RosterKind, parse_roster
from questionnaires.sampling import SamplingPlan, draw_sample
from questionnaires.uscc import uscc_check_character
from survey_app.commands.sample import sample


def uscc(number: int) -> str:
    body = f"91350100{number:09d}"
    return body + uscc_check_character(body)


def write_roster(path: Path) -> Path:
    lines = ["统一社会信用代码,企业名称,行业,规模,联系电话"]
    layout = [("制造业", "规上", 12), ("制造业", "规下", 20), ("批发业", "规上", 8)]
    number = 0
    for industry, size, count in layout:
        for _ in range(count):
            number += 1
            lines.append(f"{uscc(number)},企业{number},{industry},{size},1380013{number:04d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    return write_roster(tmp_path / "名单.csv")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(sample, list(args))
    return result.exit_code, result.stdout, result.stderr


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_draw_prints_allocation_and_writes_the_sample(roster: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    code, stdout, _ = run(
        str(roster),
        "--strata",
        "industry,size",
        "--rate",
        "0.25",
        "--seed",
        "42",
        "--out",
        str(out),
    )
    assert code == 0
    # N = 40, n = 10 shared 12:20:8 -> 3, 5, 2 exactly
    lines = stdout.splitlines()
    assert lines[0] == "名单共 40 行，有效 40 行"
    assert lines[2].split() == ["制造业", "/", "规上", "12", "3", "25.0%"]
    assert lines[3].split() == ["制造业", "/", "规下", "20", "5", "25.0%"]
    assert lines[4].split() == ["批发业", "/", "规上", "8", "2", "25.0%"]
    assert "合计：N = 40，n = 10" in stdout

    parsed = parse_roster(roster.read_bytes(), RosterKind.ENTERPRISE)
    plan = SamplingPlan(seed="42", strata_keys=("industry", "size_class"), rate=0.25)
    expected = draw_sample([r.to_frame_unit() for r in parsed.records], plan)
    assert f"样本框快照哈希（SHA-256）：{expected.snapshot_hash}" in stdout

    rows = read_csv(out)
    assert rows[0] == [
        "统一社会信用代码", "名称", "行业", "规模", "园区/街道", "联系人", "联系电话",
        "层", "设计权数", "原行号",
    ]  # fmt: skip
    assert [row[0] for row in rows[1:]] == [u.key for u in expected.selected]
    assert {row[7]: float(row[8]) for row in rows[1:]} == {
        "制造业 / 规上": 4.0,
        "制造业 / 规下": 4.0,
        "批发业 / 规上": 4.0,
    }


def test_replay_is_identical_and_seed_matters(roster: Path, tmp_path: Path) -> None:
    outputs = []
    for name, seed in (("a.csv", "7"), ("b.csv", "7"), ("c.csv", "8")):
        out = tmp_path / name
        code, _, _ = run(str(roster), "--strata", "industry", "--seed", seed, "--out", str(out))
        assert code == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


def test_neyman_with_total_n_and_xlsx(roster: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.xlsx"
    code, stdout, stderr = run(
        str(roster), "--strata", "行业", "--n", "10", "--allocation", "neyman",
        "--stddev", "制造业=10", "--stddev", "批发业=40", "--seed", "s", "--out", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    assert "合计：N = 40，n = 10" in stdout
    # weights 32*10 = 320 and 8*40 = 320 -> 5 and 5
    workbook = load_workbook(io.BytesIO(out.read_bytes()))
    assert workbook.sheetnames == ["样本", "分配表"]
    allocation = list(workbook["分配表"].iter_rows(min_row=2, values_only=True))
    assert allocation == [("制造业", 32, 5, "15.6%"), ("批发业", 8, 5, "62.5%")]
    assert workbook["样本"].max_row == 11


def test_filter_and_exclusion(roster: Path, tmp_path: Path) -> None:
    excluded = tmp_path / "recent.txt"
    excluded.write_text(f"{uscc(1)}\n{uscc(2)}\n\n", encoding="utf-8")
    out = tmp_path / "s.csv"
    code, stdout, _ = run(
        str(roster), "--only", "size=规上", "--strata", "industry", "--rate", "0.5",
        "--exclude", str(excluded), "--seed", "1", "--out", str(out),
    )  # fmt: skip
    assert code == 0
    assert "已排除近期抽中对象 2 个" in stdout
    keys = {row[0] for row in read_csv(out)[1:]}
    assert not keys & {uscc(1), uscc(2)}
    assert {row[3] for row in read_csv(out)[1:]} == {"规上"}
    # frame: 10 eligible manufacturers + 8 wholesalers, n = 9 -> 5 and 4
    assert len(keys) == 9


def test_row_errors_are_reported_and_skipped(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(
        f"信用代码,名称,行业\n{uscc(1)},甲,制造业\n91350100000000001X,乙,制造业\n{uscc(3)},,制造业\n",
        encoding="utf-8",
    )
    report = tmp_path / "errors.xlsx"
    code, stdout, stderr = run(str(roster), "--seed", "1", "--errors-out", str(report))
    assert code == 0
    assert "名单共 3 行，有效 1 行" in stdout
    assert "第3行 信用代码：" in stderr
    assert "第4行 名称：名称为空" in stderr
    sheet = load_workbook(io.BytesIO(report.read_bytes())).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [3, 4]


def test_resident_roster(tmp_path: Path) -> None:
    roster = tmp_path / "居民.csv"
    rows = [f"R{i:03d},{'城关' if i % 2 else '西街'}街道" for i in range(1, 21)]
    roster.write_text("编号,街道\n" + "\n".join(rows) + "\n", encoding="gbk")
    out = tmp_path / "s.csv"
    code, stdout, _ = run(
        str(roster), "--kind", "resident", "--strata", "street", "--rate", "0.2",
        "--seed", "x", "--out", str(out),
    )  # fmt: skip
    assert code == 0
    assert "合计：N = 20，n = 4" in stdout
    assert len(read_csv(out)) == 1 + 4
    assert read_csv(out)[0][:2] == ["编号", "名称"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strata", "industy"], "错误：不能按“industy”分层或筛选"),
        (["--strata", "phone"], "错误：不能按“phone”分层或筛选"),
        (["--rate", "0.2", "--n", "5"], "错误：--rate 与 --n 只能指定一个"),
        (["--allocation", "neyman", "--strata", "industry"], "错误：奈曼分配需要用 --stddev"),
        (["--n", "500"], "错误：样本量500超过可抽取对象总数40"),
        (["--rate", "1.5"], "错误：抽样比例应在0到1之间"),
        (["--only", "size"], "错误：筛选条件“size”格式应为"),
        (
            ["--strata", "industry,size", "--allocation", "neyman", "--stddev", "制造业=3"],
            "层值个数与分层字段一致",
        ),
        (["--strata", "industry", "--allocation", "neyman", "--stddev", "制造业=abc"], "不是数字"),
        (["--kind", "resident"], "错误：前10行中未找到表头"),
    ],
)
def test_user_mistakes_give_chinese_errors(roster: Path, args: list[str], message: str) -> None:
    code, _, stderr = run(str(roster), "--seed", "1", *args)
    assert code == 1
    assert message in stderr
    assert "Traceback" not in stderr
