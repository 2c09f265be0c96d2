import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_themes_discover import CORPUS

from survey_app.commands.themes import themes


def _write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(themes, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_adds_theme_columns_and_writes_a_summary(tmp_path: Path, encoding: str) -> None:
    rows = [["编号", "意见"], *([str(i), text] for i, text in enumerate(CORPUS))]
    rows.append(["99", "停车难，请回电13812345678"])
    source = _write_csv(tmp_path / "in.csv", rows, encoding)
    out, summary = tmp_path / "out.csv", tmp_path / "themes.json"
    code, output = _run(
        str(source), "--text-column", "意见", "--k", "3", "--out", str(out),
        "--summary", str(summary),
    )
    assert code == 0, output
    assert "3 个主题" in output
    table = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert table[0] == ["编号", "意见", "theme", "theme_label"]
    assert [row[0] for row in table[1:]] == [row[0] for row in rows[1:]]
    assert table[-1][1] == "停车难，请回电【手机号】"
    data = json.loads(summary.read_text(encoding="utf-8"))
    labels = {str(t["id"]): t["label"] for t in data["themes"]}
    for row in table[1:]:
        assert row[3] == labels.get(row[2], "未归类/新议题")
    assert sum(t["size"] for t in data["themes"]) + data["unassigned"] == len(rows) - 1
    assert all(len(t["representative_texts"]) == len(t["representatives"]) for t in data["themes"])


def test_missing_column_is_named_in_chinese(tmp_path: Path) -> None:
    source = _write_csv(tmp_path / "in.csv", [["内容"], ["停车难"]], "utf-8")
    code, output = _run(str(source), "--out", str(tmp_path / "o.csv"))
    assert code == 1
    assert "没有文本列“text”" in output and "内容" in output


def test_empty_and_header_only_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "是空的" in _run(str(empty), "--out", str(tmp_path / "o.csv"))[1]
    header_only = _write_csv(tmp_path / "h.csv", [["text"]], "utf-8")
    code, output = _run(str(header_only), "--out", str(tmp_path / "o.csv"))
    assert code == 1 and "没有数据行" in output


def test_undecodable_file_gets_an_encoding_error(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_bytes(b"text\n\xff\xfe\xfa\xfb\x80\n")
    code, output = _run(str(source), "--out", str(tmp_path / "o.csv"))
    assert code == 1 and "编码" in output and "GBK" in output


def test_missing_file_and_bad_k_are_refused(tmp_path: Path) -> None:
    assert "找不到文件" in _run(str(tmp_path / "nope.csv"), "--out", "o.csv")[1]
    source = _write_csv(tmp_path / "in.csv", [["text"], ["停车难"]], "utf-8")
    code, output = _run(str(source), "--k", "0", "--out", str(tmp_path / "o.csv"))
    assert code == 1 and "正整数" in output
