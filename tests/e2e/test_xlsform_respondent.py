"""An imported XLSForm answered in headless Chromium: a label pipes the answer given above it
as the respondent types."""

from __future__ import annotations

import io
import secrets

import pytest
from openpyxl import Workbook
from playwright.async_api import expect

from questionnaires.xlsform import read_xlsform
from survey_app.db.tables import Campaign, Invitation
from survey_app.services.questionnaires import create_questionnaire, publish
from tests.e2e.conftest import Site

pytestmark = pytest.mark.e2e

SURVEY = [
    ["type", "name", "label", "repeat_count"],
    ["text", "who", "您的姓名", ""],
    ["note", "hello", "${who}，您好！请介绍您的家庭成员。", ""],
    ["integer", "size", "家里有几口人？", ""],
    ["begin repeat", "member", "家庭成员", "${size}"],
    ["text", "member_name", "姓名", ""],
    ["end repeat", "", "", ""],
]


def _workbook() -> bytes:
    workbook = Workbook()
    workbook.active.title = "survey"
    for row in SURVEY:
        workbook.active.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append(["家庭情况", "household"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _invitation() -> str:
    version_id = await create_questionnaire(read_xlsform(_workbook()), "resident", None)
    await publish(version_id, None)
    rows = await Campaign.insert(
        Campaign(
            code=f"T-{secrets.token_hex(3)}",
            name="导入问卷测试",
            version=version_id,
            audience="resident",
            period="2026-Q3",
            status="open",
            open_link_token=secrets.token_urlsafe(24),
        )
    ).returning(Campaign.id)
    token = secrets.token_urlsafe(24)
    await Invitation.insert(Invitation(campaign=rows[0]["id"], token=token, stratum="A", design_weight=1.0))
    return token


async def test_label_pipes_the_answer_as_it_is_typed(site: Site) -> None:
    token = await _invitation()
    page = await site.phone()
    await page.goto(f"/s/{token}")
    pipe = page.locator('[data-question="hello"] [data-pipe="who"]')
    await expect(pipe).to_have_text("")
    await page.locator('[name="who"]').fill("张三")
    await expect(pipe).to_have_text("张三")
    await expect(page.locator('[data-question="hello"]')).to_contain_text("张三，您好！")

    assert site.problems == []
