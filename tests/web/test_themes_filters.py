"""The theme list, its charts and the theme pages filter by period and respondent attributes
too (issue 13), and a filtered theme resting on fewer than 5 respondents shows no figures
and no opinions."""

from __future__ import annotations

import re

from analysis.table_reading import read_rows
from tests.web.test_themes_pages import _analyst_with_themes, _row_of, _theme_of
from tests.web.test_themes_tools import _give_attributes


async def test_theme_list_and_charts_filter_by_attributes_and_period(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    await _give_attributes(seeded.ids["parking"][:3], "餐饮业")
    await _give_attributes(seeded.ids["tax"][:6], "制造业")
    tax = await _theme_of(seeded.ids["tax"])
    parking = await _theme_of(seeded.ids["parking"])

    page = await client.get("/themes")
    assert '<option value="制造业"' in page.text and '<option value="餐饮业"' not in page.text
    assert '<select name="period">' in page.text and "<svg" in page.text

    many = await client.get("/themes", params={"industry": "制造业"})
    row = _row_of(many.text, tax)
    assert '<td class="num">6</td>' in row and f"/themes/{tax}?industry=" in row
    assert "n=6" in many.text  # the chart follows the filter
    assert f'href="/themes/{parking}' not in many.text
    detail = await client.get(f"/themes/{tax}", params={"industry": "制造业"})
    assert detail.text.count('class="opinion"') == 6
    # Opinions show the unit's name and the question's title, never their codes.
    assert "q_advice" not in detail.text and "q_unit" not in detail.text
    assert "开放题" in detail.text and "单位 U0" not in detail.text

    few = await client.get("/themes", params={"industry": "餐饮业"})
    assert "答卷人少于 5 位，不显示" in _row_of(few.text, parking)
    assert "n=3" not in few.text
    hidden = await client.get(f"/themes/{parking}", params={"industry": "餐饮业"})
    assert "答卷人少于 5 位" in hidden.text and 'class="opinion"' not in hidden.text

    # The export follows the filter and leaves the small group out too.
    data = (await client.get("/themes/export.xlsx", params={"industry": "制造业"})).content
    assert len([cells for _, cells in read_rows(data, sheet="意见")]) == 1 + 6
    data = (await client.get("/themes/export.xlsx", params={"industry": "餐饮业"})).content
    assert [cells for _, cells in read_rows(data, sheet="意见")][1:] == []
    assert [cells for _, cells in read_rows(data, sheet="主题")][1:] == []

    # By period: the earlier period has 5 + 10 + 5 opinions of the three topics.
    periods = re.findall(r'<option value="(\d{4}-Q\d)"', page.text)
    assert len(periods) >= 2
    earlier = await client.get("/themes", params={"period": periods[0]})
    counts = sorted(int(c) for c in re.findall(r'<td class="num">(\d+)</td>', earlier.text))
    assert counts == [5, 5, 10]
    later = await client.get("/themes", params={"period": periods[-1]})
    assert sorted(int(c) for c in re.findall(r'<td class="num">(\d+)</td>', later.text)) != counts
