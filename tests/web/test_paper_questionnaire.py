"""Finding 9: a printable paper questionnaire from a published version, with the question
numbers of the data-entry form (and of the respondent pages), skip rules as instructions."""

from __future__ import annotations

import re

from questionnaires.paper import question_numbers
from questionnaires.xlsform import read_xlsform_report
from survey_app.db.tables import Campaign, Invitation, QuestionnaireVersion
from survey_app.services.questionnaires import create_questionnaire, publish, questionnaire_for_version
from tests.conftest import login
from tests.db.test_sampling_service import drawn_campaign
from tests.support.campaigns import open_campaign
from tests.unit.test_xlsform_interop import book


def numbered(html: str, pattern: str) -> dict[str, str]:
    return {label.strip(): number for number, label in re.findall(pattern, html)}


async def test_paper_numbers_match_data_entry(client, make_user) -> None:
    campaign_id = await drawn_campaign()
    version_id = (await Campaign.select(Campaign.version).first())["version"]
    await make_user("admin1", "admin")
    await login(client, "admin1")
    paper = await client.get(f"/questionnaires/versions/{version_id}/paper")
    assert paper.status_code == 200 and "请在选中的选项前的 □ 内打“✓”" in paper.text
    invitation = await Invitation.select(Invitation.id).where(
        Invitation.campaign == campaign_id).first()
    entry = await client.get(f"/entry/{campaign_id}/invitations/{invitation['id']}")
    on_paper = numbered(paper.text, r'<b class="qno">(\d+)\.</b> ([^<]+)')
    in_entry = numbered(entry.text, r'<span class="qno">(\d+)\.</span>([^<]+)')
    assert on_paper and on_paper == in_entry
    _, questionnaire = await questionnaire_for_version(version_id)
    assert len(on_paper) == len(question_numbers(questionnaire))


async def test_skip_rules_are_instructions_and_respondent_pages_are_numbered(
        client, make_user) -> None:
    campaign = await open_campaign(code="enterprise-business-environment")
    await make_user("admin1", "admin")
    await login(client, "admin1")
    paper = await client.get(f"/questionnaires/versions/{campaign.version_id}/paper")
    numbers = question_numbers(campaign.questionnaire)
    assert f"（跳答：第 {numbers['used_approval']} 题选“是”时回答本题）" in paper.text
    assert "${" not in paper.text
    respondent = await client.get(f"/s/{campaign.tokens[0]}")
    first = campaign.questionnaire.sections[0].questions
    named = next(q for q in first if q.name in numbers)
    assert f'<span class="qno">{numbers[named.name]}.</span>' in respondent.text


async def test_a_draft_version_is_not_printed(client, make_user) -> None:
    campaign = await open_campaign()
    await QuestionnaireVersion.update({QuestionnaireVersion.status: "draft"}).where(
        QuestionnaireVersion.id == campaign.version_id)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    refused = await client.get(f"/questionnaires/versions/{campaign.version_id}/paper")
    assert refused.status_code == 409 and "只能打印已发布的问卷版本" in refused.text


async def test_items_an_xlsform_import_keeps_hidden_are_not_printed(client, make_user) -> None:
    """Metadata and calculations kept from an XLSForm (`relevant = false()`) are never asked,
    so the paper sheet leaves them out; the questions keep their numbers."""
    survey = [["type", "name", "label", "calculation"], ["start", "start", "", ""],
              ["text", "opinion", "您的意见", ""], ["calculate", "twice", "", "2 * 2"]]
    imported = read_xlsform_report(book(survey)).questionnaire
    hidden = [q for q in imported.iter_questions() if q.relevant == "false()"]
    assert len(hidden) == 2, "the import keeps the metadata and the calculation as hidden items"
    version_id = await create_questionnaire(imported, "enterprise", None)
    await publish(version_id, None)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    paper = await client.get(f"/questionnaires/versions/{version_id}/paper")
    assert paper.status_code == 200
    assert '<b class="qno">1.</b> 您的意见' in paper.text
    for item in hidden:
        assert item.label not in paper.text
    assert paper.text.count('class="paper-q"') == 1
