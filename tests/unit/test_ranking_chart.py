"""The ranking chart: best first, a whisker per interval, escaped labels, suppressed units named."""

import re

from survey_app.web.charts import RankedValue, ranking_svg


def test_ranking_chart_orders_units_and_draws_their_intervals() -> None:
    svg = str(ranking_svg([
        RankedValue("区教育局", 81.5, 78.0, 84.5),
        RankedValue("<区公安分局>", 90.25, 86.7, 93.1),
        RankedValue("区统计局", None, None, None),
    ], "企业评价 · 职能部门"))  # fmt: skip
    assert svg.startswith("<svg") and "<title>企业评价 · 职能部门</title>" in svg
    labels = re.findall(r'text-anchor="end" font-size="11" fill="#1f2933">([^<]+)</text>', svg)
    assert labels == ["&lt;区公安分局&gt;", "区教育局", "区统计局"]
    assert "不发布" in svg and "90.25" in svg and "81.50" in svg
    whiskers = re.findall(r'<line x1="([\d.]+)" x2="([\d.]+)" y1="[\d.]+" y2="[\d.]+" stroke="#8e1515"', svg)
    dots = [float(cx) for cx in re.findall(r'<circle cx="([\d.]+)"', svg)]
    assert len(whiskers) == 2 and len(dots) == 2
    for (low, high), dot in zip(whiskers, dots, strict=True):
        assert float(low) < dot < float(high)


def test_no_chart_without_values() -> None:
    assert str(ranking_svg([RankedValue("区统计局", None, None, None)], "空")) == ""
