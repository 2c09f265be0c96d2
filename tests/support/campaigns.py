"""Builds an open campaign with invitations straight in the database, for respondent tests."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from questionnaires.model import Questionnaire
from survey_app.db.tables import Campaign, Invitation
from survey_app.services.questionnaires import install_shipped, questionnaire_for_version


@dataclass
class OpenCampaign:
    campaign_id: int
    version_id: int
    questionnaire: Questionnaire
    tokens: list[str]
    open_token: str


async def open_campaign(
    code: str = "enterprise-business-environment", invitations: int = 5, status: str = "open"
) -> OpenCampaign:
    versions = await install_shipped()
    version_id = versions[code]
    _, questionnaire = await questionnaire_for_version(version_id)
    open_token = secrets.token_urlsafe(24)
    rows = await Campaign.insert(
        Campaign(code=f"T-{secrets.token_hex(3)}", name="2026年第三季度测试调查", version=version_id,
                 audience="enterprise", period="2026-Q3", status=status,
                 open_link_token=open_token)
    ).returning(Campaign.id)
    campaign_id = rows[0]["id"]
    tokens = [secrets.token_urlsafe(24) for _ in range(invitations)]
    await Invitation.insert(
        *[Invitation(campaign=campaign_id, token=t, stratum="制造业|规上", design_weight=4.0)
          for t in tokens]
    )
    return OpenCampaign(campaign_id, version_id, questionnaire, tokens, open_token)


def form_fields(questionnaire: Questionnaire, answers: dict[str, Any], section_id: str) -> list:
    """The HTML form fields a browser would send for one section's answers."""
    fields: list[tuple[str, str]] = []
    for question in questionnaire.section(section_id).questions:
        value = answers.get(question.name)
        if value is None:
            continue
        if isinstance(value, dict):
            fields.extend((f"{question.name}__{row}", str(level)) for row, level in value.items())
        elif isinstance(value, list):
            fields.extend((question.name, str(v)) for v in value)
        else:
            fields.append((question.name, str(value)))
    return fields


async def post_fields(client, url: str, fields: list, **kwargs):  # type: ignore[no-untyped-def]
    """POST repeated form fields (httpx's async client takes no list of pairs as `data`)."""
    from urllib.parse import urlencode

    return await client.post(
        url, content=urlencode(fields),
        headers={"content-type": "application/x-www-form-urlencoded", **kwargs.pop("headers", {})},
        **kwargs,
    )


def hidden_value(html: str, name: str) -> str:
    """The value of a page's hidden field (the step, the submission id, an acknowledgement)."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def step_fields(page: str, action: str, *pairs: tuple[str, str], **answers: str) -> list[tuple[str, str]]:
    """What a respondent's browser posts from this step: its CSRF token, step and submission id,
    the button pressed, then the answers (pairs may repeat a name, as multiple choices do)."""
    from tests.conftest import csrf_from

    return [("_csrf_token", csrf_from(page)), ("_section", hidden_value(page, "_section")),
            ("_submission_id", hidden_value(page, "_submission_id")), ("_action", action),
            *pairs, *answers.items()]


BRANCHING = """
id: branching-{suffix}
title: 分支问卷
sections:
  - id: p1
    title: 基本情况
    questions:
      - {{name: q1, type: single_choice, label: 近一年是否到政务大厅办过事, required: true,
         options: [{{value: "yes", label: 是}}, {{value: "no", label: 否}}]}}
      - {{name: note1, type: text, label: 其他说明}}
  - id: p2
    title: 办事体验
    relevant: "${{q1}} = 'yes'"
    questions:
      - {{name: q2, type: single_choice, label: 办事是否顺利, required: true,
         options: [{{value: "ok", label: 顺利}}, {{value: "bad", label: 不顺利}}]}}
"""


async def branching_campaign(invitations: int = 3) -> OpenCampaign:
    """A campaign whose page 2 is shown only when q1 on page 1 is answered 是."""
    return await campaign_from_yaml(BRANCHING, invitations)


async def skipping_campaign(invitations: int = 3) -> OpenCampaign:
    """A campaign whose questions 2 and 3 (page 1) and 5 (page 2) are asked only for 是 on the
    question before them: without JavaScript they show, and may be answered, regardless."""
    return await campaign_from_yaml(SKIPPING, invitations)


async def campaign_from_yaml(template: str, invitations: int = 3) -> OpenCampaign:
    """An open campaign on a questionnaire written in YAML (`{suffix}` makes its id unique)."""
    from survey_app.services.questionnaires import create_questionnaire, parse_text, publish

    questionnaire = parse_text(template.format(suffix=secrets.token_hex(3)))
    version_id = await create_questionnaire(questionnaire, "enterprise", None)
    await publish(version_id, None)
    open_token = secrets.token_urlsafe(24)
    rows = await Campaign.insert(
        Campaign(code=f"T-{secrets.token_hex(3)}", name="分支测试调查", version=version_id,
                 audience="enterprise", period="2026-Q3", status="open",
                 open_link_token=open_token)
    ).returning(Campaign.id)
    tokens = [secrets.token_urlsafe(24) for _ in range(invitations)]
    await Invitation.insert(
        *[Invitation(campaign=rows[0]["id"], token=t, stratum="制造业|规上", design_weight=1.0)
          for t in tokens]
    )
    return OpenCampaign(rows[0]["id"], version_id, questionnaire, tokens, open_token)


SKIPPING = """
id: skipping-{suffix}
title: 跳答问卷
sections:
  - id: p1
    title: 行政审批
    questions:
      - {{name: q6, type: single_choice, label: 近一年是否到区行政审批局办过事, required: true,
         options: [{{value: "yes", label: 是}}, {{value: "no", label: 否}}]}}
      - {{name: q7, type: rating, label: 您对办事效率是否满意, unit: U03, dimension: 服务效率,
         relevant: "${{q6}} = 'yes'"}}
      - {{name: q10, type: textarea, label: 您对区行政审批局有什么意见和建议,
         relevant: "${{q6}} = 'yes'"}}
  - id: p2
    title: 其他
    questions:
      - {{name: q20, type: single_choice, label: 是否愿意留下联系方式, required: true,
         options: [{{value: "yes", label: 是}}, {{value: "no", label: 否}}]}}
      - {{name: q21, type: text, label: 联系方式, relevant: "${{q20}} = 'yes'"}}
"""

OPINION = "窗口排队太久，材料反复要求补交"
