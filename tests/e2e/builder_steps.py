"""STAND-IN, to be replaced by the builder-driven version: gets a published questionnaire with a
skip rule and a unit matrix through the existing browser pages, without YAML.

The real version (delivered with the questionnaire builder) clicks the questionnaire together in
the builder. Until it is merged, this one does what an administrator can do today without YAML:
it writes an XLSForm workbook with openpyxl (a skip rule as `relevant`, a `table-list` matrix
with one row per active unit read from the units page), uploads it on 新建问卷 and publishes it
through the publish confirmation page. Same signature, so the walk does not change when it is
swapped.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from openpyxl import Workbook

FORM_ID = "district_walk"


async def _active_units(page: Any) -> list[tuple[str, str]]:
    await page.goto("/admin/units")
    rows = await page.eval_on_selector_all(
        "table.grid tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))",
    )
    return [(cells[0], cells[1]) for cells in rows if len(cells) >= 4 and cells[3] == "参加考评"]


def _xlsform(title: str, units: list[tuple[str, str]]) -> bytes:
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "relevant", "required", "unit", "appearance"])
    survey.append(["begin group", "basic", "基本情况", "", "", "", ""])
    survey.append(["select_one yesno", "contacted", "过去一年贵企业是否到以下部门办过事？", "",
                   "yes", "", ""])
    survey.append(["text", "why_not", "没有办过事的原因", "${contacted} = 'no'", "", "", ""])
    survey.append(["end group", "basic", "", "", "", "", ""])
    survey.append(["begin group", "rating", "部门服务评价", "${contacted} = 'yes'", "", "", ""])
    survey.append(["begin group", "units", "请对以下单位的服务打分", "", "", "", "table-list"])
    for code, name in units:
        survey.append(["select_one satisfaction5", f"units__{code}", name, "", "yes", code,
                       "likert"])
    survey.append(["end group", "units", "", "", "", "", ""])
    survey.append(["text", "opinion", "您对改进营商环境还有什么意见建议？", "", "", "",
                   "multiline"])
    survey.append(["end group", "rating", "", "", "", "", ""])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["yesno", "yes", "是"])
    choices.append(["yesno", "no", "否"])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append([title, FORM_ID])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def build_district_questionnaire(page: Any, base_url: str, title: str) -> None:
    """Create and publish a questionnaire titled `title` with a skip rule and a matrix rating
    whose rows are all active units; `page` is logged in as an administrator."""
    units = await _active_units(page)
    assert units, "no active unit to rate"
    await page.goto(f"{base_url}/questionnaires/new")
    with TemporaryDirectory() as folder:
        path = Path(folder) / "问卷.xlsx"
        path.write_bytes(_xlsform(title, units))
        await page.set_input_files("#upload input[type=file]", str(path))
        async with page.expect_navigation():
            await page.click("#upload button.primary")
    assert await page.locator("h1").inner_text() == title
    publish = page.locator("a.button.primary", has_text=re.compile("发布 v1"))
    async with page.expect_navigation():
        await publish.click()
    await page.check("input[name=confirm]")
    async with page.expect_navigation():
        await page.get_by_role("button", name="确认发布").click()
    assert await page.locator("text=已发布").count() > 0
