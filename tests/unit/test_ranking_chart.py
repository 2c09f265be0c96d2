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


def test_component_bars_and_answer_distributions() -> None:
    from survey_app.web.charts import bars_svg, distribution_svg

    bars = str(bars_svg([("满意度", 88.5), ("重点工作", 92.0), ("工单办结率", None)], "<考核>"))
    assert "&lt;考核&gt;" in bars and "88.50" in bars and "92.00" in bars and "工单办结率" not in bars
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', bars)]
    assert widths[0] < widths[1]  # 88.5 is drawn shorter than 92
    shares = [("非常满意", 0.4), ("满意", 0.3), ("基本满意", 0.15), ("不满意", 0.1), ("非常不满意", 0.05)]
    stacked = str(distribution_svg([("服务态度", shares)], "分布"))
    drawn = [float(w) for w in re.findall(r'width="([\d.]+)" height="16" fill', stacked)]
    assert len(drawn) == 5 and abs(sum(drawn) - (320 - 112 - 8)) < 0.5
    assert "<title>非常满意 40%</title>" in stacked


def test_unit_page_charts_are_drawn_at_a_phone_readable_size() -> None:
    """Trial: on a 375 px phone the appraisal bars' labels were 4–6 px (a 640-unit chart shrunk
    to the card). The charts are 320 units wide, shown at their natural size, 12-unit text."""
    from survey_app.web.charts import bars_svg, distribution_svg

    bars = str(bars_svg([("满意度", 88.5), ("工单平均响应时长（小时）", 70.0)], "考核"))
    assert '<svg class="bars" width="320" ' in bars and 'viewBox="0 0 320 ' in bars
    assert set(re.findall(r'font-size="(\d+)"', bars)) == {"12"}
    assert "工单平均响应时…" in bars  # long names shortened; the table beside has them in full
    stem = "请对区行政审批局（政务服务中心）以下方面的服务进行评价"
    shares = [("满意", 0.6), ("不满意", 0.4)]
    rows = [(f"{stem}（服务态度）", shares), (f"{stem}（办事效率）", shares)]
    stacked = str(distribution_svg(rows, "分布"))
    assert '<svg class="distribution" width="320" ' in stacked
    assert ">服务态度<title>" in stacked and ">办事效率<title>" in stacked  # the shared stem dropped
    assert f"<title>{stem}（服务态度）</title>" in stacked
