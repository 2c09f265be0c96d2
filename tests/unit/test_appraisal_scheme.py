"""Loading and validating YAML schemes; every error names its location in Chinese."""

import copy
from pathlib import Path

import pytest
import yaml

from analysis.appraisal.components import ComponentKind, Method
from analysis.appraisal.errors import SchemeError
from analysis.appraisal.grading import GradingMethod, QuotaRounding, TieRule
from analysis.appraisal.scheme import load_scheme, parse_scheme

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "analysis" / "appraisal" / "schemes" / "example.yaml"
)


def _example() -> dict[str, object]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_example_scheme_loads_with_its_settings() -> None:
    scheme = load_scheme(EXAMPLE)
    assert scheme.year == 2026 and [p for p, _ in scheme.periods] == ["Q1", "Q2", "Q3", "Q4"]
    assert [c.name for c in scheme.classes] == ["职能部门", "街道园区"]
    office = scheme.classes[0]
    grades = office.grading.grades
    assert office.grading.method is GradingMethod.FORCED
    assert [(g.name, g.ratio) for g in grades] == [("优秀", 3), ("良好", 6), ("一般", 1)]
    assert grades[0].rounding is QuotaRounding.FLOOR and grades[0].tie is TieRule.EXCLUDE
    assert grades[2].rounding is QuotaRounding.CEIL and grades[0].min_score == 90
    satisfaction = office.component("满意度")
    assert satisfaction is not None and satisfaction.kind is ComponentKind.GROUP
    assert [p.weight for p in satisfaction.parts] == [0.6, 0.4]
    kpi = office.component("工单办结率")
    assert (
        kpi is not None
        and kpi.normalisation.method is Method.TARGET
        and kpi.normalisation.target == 95
    )
    assert scheme.adjustments.bonus.cap == 5 and scheme.adjustments.deduction.cap == 10
    assert office.grading.cutoffs == (90, 60)


def test_description_is_chinese_and_complete() -> None:
    text = load_scheme(EXAMPLE).describe()
    for expected in (
        "Q1 10%",
        "Q4 40%",
        "合计上限 5 分",
        "3:6:1",
        "不超过",
        "整组不进入",
        "最低分 90",
        "企业评 60%",
        "黄牌",
        "【街道园区】",
    ):
        assert expected in text


def test_defaults_when_sections_are_omitted() -> None:
    scheme = parse_scheme(
        {
            "name": "最简方案",
            "year": 2026,
            "components": [{"key": "满意度", "kind": "satisfaction", "weight": 1}],
            "grading": {"grades": [{"name": "好", "ratio": 1}, {"name": "差", "ratio": 1}]},
            "classes": [{"name": "全部"}],
        }
    )
    assert dict(scheme.periods) == {"Q1": 0.1, "Q2": 0.2, "Q3": 0.3, "Q4": 0.4}
    assert scheme.adjustments.bonus.items[0].column == "加分" and scheme.adjustments.decimals == 2
    assert scheme.classes[0].warnings.yellow.below == 85


def _broken(change: object) -> str:
    data = _example()
    change(data)  # type: ignore[operator]
    with pytest.raises(SchemeError) as error:
        parse_scheme(data)
    return str(error.value)


def test_errors_name_the_location() -> None:
    message = _broken(lambda d: d["grading"]["grades"][1].update(ratio="六"))
    assert (
        "grading → grades → [1] → ratio" in message and "必须是数字" in message and "六" in message
    )
    message = _broken(
        lambda d: d["classes"][0]["components"][2].update(normalisation={"method": "target"})
    )
    assert "classes → [0] → components → [2] → normalisation → target" in message
    message = _broken(lambda d: d["classes"][1].update(colour="red"))
    assert "未知的设置项「colour」" in message
    message = _broken(lambda d: d["grading"]["grades"][0].update(rounding="四舍五入"))
    assert "不是可选值" in message and "不超过" in message
    message = _broken(lambda d: d["grading"]["secondary_keys"].append({"key": "不存在"}))
    assert "secondary_keys → [3] → key" in message
    message = _broken(
        lambda d: d["classes"][0]["components"][0]["parts"][0].update(
            normalisation={"method": "rank"}
        )
    )
    assert "满意度指数" in message
    message = _broken(lambda d: d["grading"]["grades"][2].update(min_score=50))
    assert "最低等次" in message and "grading" in message
    message = _broken(lambda d: d.update(periods={"Q1": 0, "Q2": 0}))
    assert "periods" in message and "大于 0" in message
    message = _broken(
        lambda d: d["classes"][0]["components"].append({"key": "加分", "weight": 0.1})
    )
    assert "被多个指标或加扣分项使用" in message
    message = _broken(lambda d: d["classes"].append(copy.deepcopy(d["classes"][0])))
    assert "类别名称不能重复" in message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nyear: [2026\n", encoding="utf-8")
    with pytest.raises(SchemeError, match="第 3 行"):
        load_scheme(path)
    with pytest.raises(SchemeError, match="无法读取"):
        load_scheme(tmp_path / "missing.yaml")
