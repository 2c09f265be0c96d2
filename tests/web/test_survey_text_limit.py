"""A text answer's length limit is visible before anyone types, and the server (the only check
without JavaScript) refuses a longer text with a clear message, keeping every character."""

from __future__ import annotations

import re

from survey_app.db.tables import Response
from tests.conftest import csrf_from
from tests.support.campaigns import campaign_from_yaml, hidden_value, post_fields

LONG_TEXT = """
id: long-text-{suffix}
title: 意见征集
sections:
  - id: p1
    title: 意见建议
    questions:
      - {{name: opinion, type: textarea, label: 您还有什么意见和建议？, opinion: true}}
      - {{name: short, type: text, label: 您的行业, max_length: 20}}
"""


async def test_the_limit_is_shown_and_tied_to_the_field(client, db) -> None:
    campaign = await campaign_from_yaml(LONG_TEXT)
    page = await client.get(f"/s/{campaign.tokens[0]}")
    assert page.status_code == 200
    assert re.search(r'<p class="hint limit" id="l-opinion">最多 2000 字', page.text)
    assert re.search(r'<p class="hint limit" id="l-short">最多 20 字', page.text)
    textarea = re.search(r"<textarea [^>]*>", page.text).group(0)
    assert 'aria-describedby="l-opinion e-opinion"' in textarea


async def test_without_javascript_a_longer_text_is_refused_and_kept(client, db) -> None:
    campaign = await campaign_from_yaml(LONG_TEXT)
    link = f"/s/{campaign.tokens[0]}"
    page = await client.get(link)
    text = "窗口服务需要改进。" * 278  # 2,502 characters
    posted = await post_fields(client, link, [
        ("_csrf_token", csrf_from(page.text)), ("_section", "p1"), ("_action", "submit"),
        ("_submission_id", hidden_value(page.text, "_submission_id")), ("opinion", text)])
    assert posted.status_code == 400
    assert "不能超过 2000 个字（现有 2502 个）" in posted.text
    assert text in posted.text  # every character is still in the box
    assert await Response.count() == 0
