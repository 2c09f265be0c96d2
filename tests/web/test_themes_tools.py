"""The analyst's tools (issue 13, finding 6): full-text search with escaped highlighting,
filters by respondent attributes with small cells suppressed, theme charts with n, exports
with question titles and channel names, sentiment corrections kept across runs, and
versioned word lists applied on the next run."""

from __future__ import annotations

import re

from analysis.table_reading import read_rows
from survey_app.db.queries import audit
from survey_app.db.queries._rows import json_value
from survey_app.db.tables import (
    Invitation,
    Opinion,
    QuestionnaireVersion,
    Respondent,
    Response,
    Theme,
    ThemeLexicon,
)
from tests.conftest import post_form
from tests.db.test_themes_seed import add_opinion
from tests.web.test_themes_pages import _analyst_with_themes, _theme_of


async def _confirmed_run(client) -> None:  # type: ignore[no-untyped-def]
    from survey_app.jobs.runner import run_next_job

    response = await post_form(client, "/themes", "/themes/run", {"k": "", "seed": "0"})
    assert await run_next_job("test")
    job = await client.get(response.headers["location"])
    review = re.search(r'href="(/themes/review/\d+)"', job.text)
    assert review
    confirmed = await post_form(client, review.group(1), review.group(1), {"decision": "confirm"})
    assert confirmed.headers["location"] == "/themes"


async def _give_attributes(opinion_ids: list[int], industry: str) -> None:
    """Link the opinions' responses to enterprises of the given industry."""
    for opinion_id in opinion_ids:
        row = await Opinion.select(Opinion.response, Opinion.campaign).where(
            Opinion.id == opinion_id).first()
        respondent = await Respondent.insert(Respondent(
            kind="enterprise", key=f"K{opinion_id}", industry=industry, size_class="小型",
            street="城关街道")).returning(Respondent.id)
        invitation = await Invitation.insert(Invitation(
            campaign=row["campaign"], respondent=respondent[0]["id"],
            token=f"token-{opinion_id:06d}-{'x' * 20}")).returning(Invitation.id)
        await Response.update({Response.invitation: invitation[0]["id"]}).where(
            Response.id == row["response"])


async def test_search_highlights_escaped_matches(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    campaign = (seeded.later_campaign, (await Opinion.raw(
        "SELECT version FROM campaign WHERE id = {}", seeded.later_campaign))[0]["version"])
    await add_opinion(campaign, "<script>alert(1)</script>停车场100%收费", unit_code="U01")
    page = await client.get("/themes/search", params={"q": "停车场"})
    assert page.status_code == 200
    assert "<mark>停车场</mark>" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>停车场</mark>100%收费" in page.text
    assert "<script>alert" not in page.text
    # A substring search: "%" is an ordinary character, not a wildcard.
    percent = await client.get("/themes/search", params={"q": "100%"})
    assert "<mark>100%</mark>" in percent.text
    assert "检索结果（1 条意见" in percent.text
    too_long = await client.get("/themes/search", params={"q": "停" * 51})
    assert too_long.status_code == 400 and "不能超过 50 个字" in too_long.text


async def test_attribute_filters_suppress_groups_under_five(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    await _give_attributes(seeded.ids["parking"][:3], "餐饮业")
    await _give_attributes(seeded.ids["tax"][:6], "制造业")
    page = await client.get("/themes/search")
    assert '<option value="制造业"' in page.text
    assert '<option value="餐饮业"' not in page.text  # 3 respondents: not offered
    few = await client.get("/themes/search", params={"industry": "餐饮业"})
    assert "少于 5 位" in few.text and 'class="opinion"' not in few.text
    assert "小区周边停车位太少" not in few.text and "<svg" not in few.text
    many = await client.get("/themes/search", params={"industry": "制造业"})
    assert "检索结果（6 条意见，6 位答卷人）" in many.text
    assert len(re.findall(r'class="opinion"', many.text)) == 6
    # Its chart shows the one theme of those six, and a cell under five is not drawn.
    assert "<svg" in many.text and "n=6" in many.text
    street = await client.get("/themes/search", params={"industry": "制造业", "unit": "U01"})
    assert "少于 5 位" in street.text


async def test_charts_show_volume_by_sentiment_and_trend_with_n(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    page = await client.get("/themes/search")
    parking = await _theme_of(seeded.ids["parking"])
    label = (await Theme.select(Theme.label).where(Theme.id == parking).first())["label"]
    assert page.text.count("<svg") == 2
    assert "n=20" in page.text and label[:14] in page.text
    # Trend: parking is 5 of 20 themed opinions in 2026-Q2 and 15 of 40 in 2026-Q3.
    assert "25% n=5" in page.text and "38% n=15" in page.text


async def test_export_uses_question_titles_and_channel_names(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    await QuestionnaireVersion.update({QuestionnaireVersion.definition: {"sections": [
        {"id": "s1", "title": "意见", "questions": [
            {"name": "q_advice", "type": "text", "label": "您对改进工作有什么建议？"},
            {"name": "q_unit", "type": "text", "label": "您对该单位还有什么意见？"}]}]}},
        force=True)
    data = (await client.get("/themes/export.xlsx")).content
    rows = [cells for _, cells in read_rows(data, sheet="意见")]
    header, body = rows[0], rows[1:]
    question, channel = header.index("题目"), header.index("渠道")
    assert {row[question] for row in body} == {"您对改进工作有什么建议？", "您对该单位还有什么意见？"}
    assert {row[channel] for row in body} == {"纸质问卷", "网上填报"}
    assert len(body) == sum(len(ids) for ids in seeded.ids.values())


async def test_sentiment_correction_is_kept_across_runs(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    negative = await Opinion.select(Opinion.id).where(
        Opinion.id.is_in(seeded.ids["parking"]), Opinion.sentiment < 0).first()
    opinion = negative["id"]
    parking = await _theme_of(seeded.ids["parking"])

    async def mean() -> float:
        return (await Theme.select(Theme.sentiment).where(Theme.id == parking).first())[
            "sentiment"]

    before = await mean()
    done = await post_form(client, f"/themes/{parking}", f"/themes/opinions/{opinion}/sentiment",
                           {"label": "positive", "back": f"/themes/{parking}"})
    assert done.headers["location"] == f"/themes/{parking}"
    corrected = await mean()
    assert corrected > before  # the theme's average uses the correction at once …
    await _confirmed_run(client)
    row = await Opinion.select(Opinion.sentiment, Opinion.sentiment_label).where(
        Opinion.id == opinion).first()
    assert row["sentiment_label"] == "positive" and row["sentiment"] > 0
    assert abs(await mean() - corrected) < 1e-6  # … and after a re-run
    page = await client.get(f"/themes/{parking}")
    assert "人工校正：正面" in page.text
    bad = await post_form(client, f"/themes/{parking}", f"/themes/opinions/{opinion}/sentiment",
                          {"label": "great"})
    assert bad.status_code == 400 and "正面、中性或负面" in bad.text
    assert (await audit.recent_events(action="themes.sentiment"))[0].detail["label"] == "positive"


async def test_word_lists_are_versioned_and_applied_on_the_next_run(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    bad = await post_form(client, "/themes/lexicon", "/themes/lexicon",
                          {"kind": "synonyms", "entries": "车位 泊位\n停车"})
    assert bad.status_code == 400 and "第 2 行只有一个词" in bad.text
    assert "车位 泊位\n停车</textarea>" in bad.text  # what was typed is kept
    saved = await post_form(client, "/themes/lexicon", "/themes/lexicon",
                            {"kind": "stop_words", "entries": "停车\n停车位\n停车难"})
    assert saved.headers["location"] == "/themes/lexicon"
    await post_form(client, "/themes/lexicon", "/themes/lexicon",
                    {"kind": "stop_words", "entries": "停车\n停车位\n停车难\n车位"})
    versions = await ThemeLexicon.select(ThemeLexicon.version).where(
        ThemeLexicon.kind == "stop_words")
    assert sorted(v["version"] for v in versions) == [1, 2]
    page = await client.get("/themes/lexicon")
    assert "第 2 版" in page.text and "历史版本" in page.text
    await _confirmed_run(client)
    keywords = [w for row in await Theme.select(Theme.keywords)
                for w in json_value(row["keywords"], [])]
    assert keywords and not {"停车", "停车位", "停车难", "车位"} & set(keywords)
    assert seeded.ids
