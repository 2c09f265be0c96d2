"""The theme report as XLSX: a sheet of themes and a sheet of opinions, formula-safe,
audited."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from survey_app.db.queries import audit
from survey_app.db.tables import Opinion
from tests.conftest import formula_cells
from tests.web.test_themes_pages import _analyst_with_themes, _theme_of


async def test_export_has_theme_and_opinion_sheets(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    formula = "=HYPERLINK(\"http://x\")停车难"
    hostile = seeded.ids["parking"][1]
    await Opinion.update({Opinion.text: formula}).where(Opinion.id == hostile)
    response = await client.get("/themes/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["主题", "意见"]
    theme_rows = list(book["主题"].iter_rows(values_only=True))
    assert theme_rows[0][:4] == ("主题编号", "主题名称", "关键词", "意见数")
    assert len(theme_rows) == 1 + 3 and sum(row[3] for row in theme_rows[1:]) == 60
    parking = await _theme_of(seeded.ids["parking"])
    parking_row = next(row for row in theme_rows[1:] if row[0] == parking)
    assert "停车" in parking_row[2] and "区交通运输局(20)" in parking_row[5]
    assert parking_row[6] == "待处理"
    opinion_rows = list(book["意见"].iter_rows(values_only=True))
    assert len(opinion_rows) == 1 + 60
    by_id = {row[0]: row for row in opinion_rows[1:]}
    assert by_id[hostile][7] == formula  # exact text…
    assert formula_cells(response.content) == []  # …in a text cell, never executed
    assert by_id[seeded.ids["tax"][0]][9] == await _theme_of(seeded.ids["tax"])
    event = (await audit.recent_events(action="themes.export"))[0]
    assert event.actor_name == "analyst1" and event.detail["opinions"] == 60


async def test_export_follows_the_filters(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    response = await client.get("/themes/export.xlsx", params={"unit": "U03"})
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    opinion_rows = list(book["意见"].iter_rows(values_only=True))[1:]
    assert {row[0] for row in opinion_rows} == set(seeded.ids["tax"])
    assert all(row[3] == "U03" and row[4] == "区税务局" for row in opinion_rows)
    theme_rows = list(book["主题"].iter_rows(values_only=True))[1:]
    assert [row[0] for row in theme_rows] == [await _theme_of(seeded.ids["tax"])]
