"""Respondent pages from the page cache are the very pages the template renders per request."""

import gzip
import random
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from questionnaires.answers import relevant_answers
from questionnaires.client_logic import form_attributes
from questionnaires.flow import visible_sections
from survey_app.demo.answers import simulate_answers
from survey_app.services.questionnaires import install_shipped, questionnaire_for_version
from survey_app.web import page_cache
from survey_app.web.answer_view import AnswerView
from survey_app.web.page_cache import compile_page
from survey_app.web.pages.survey import (
    PAGE_VALUES,
    REQUEST_VALUES,
    csrf_markup,
    step_context,
    step_renderer,
)
from tests.support.campaigns import open_campaign

FLAGS = [(True, False, True, False), (False, False, False, True), (False, True, False, False)]
# as long as real ones (Litestar's CSRF token is 128 characters)
REQUEST = {"csrf": "tok<&>" + "f" * 122, "submission_id": "s" * 24, "started": "1767225600"}


def _live(template, context, answers, values):  # type: ignore[no-untyped-def]
    return template.render({
        **context, "view": AnswerView(answers, None), "csrf_input": csrf_markup(values["csrf"]),
        "submission_id": values["submission_id"], "started": values["started"],
        "position": values["position"], "total": values["total"],
        "form_attrs": {"data-survey": "", "data-answers": values["answers"]},
    })


@pytest.mark.parametrize("code", ["enterprise-business-environment",
                                  "resident-social-satisfaction", "livelihood-projects"])
async def test_filled_page_equals_the_page_rendered_per_request(app, db, code) -> None:
    versions = await install_shipped()
    _, questionnaire = await questionnaire_for_version(versions[code])
    template = app.template_engine.engine.get_template("survey/step.html")
    checked = 0
    for seed in range(4):
        everything = relevant_answers(questionnaire, simulate_answers(
            questionnaire, random.Random(seed), opinion_for=lambda unit: "窗口<排队>时间长 & \"慢\""))
        for section in visible_sections(questionnaire, everything):
            own = {q.name for q in questionnaire.section(section).questions}
            # this step answered (reopened), and only the steps before it (walking forward)
            for answers in (everything, {k: v for k, v in everything.items() if k not in own}):
                values = {**REQUEST, "position": "2", "total": "5",
                          "answers": form_attributes(questionnaire, answers)["data-answers"]}
                for flags in FLAGS:
                    context = step_context(questionnaire, "测试调查", section, flags)
                    compiled = compile_page(step_renderer(template), context,
                                            REQUEST_VALUES + PAGE_VALUES)
                    assert compiled is not None
                    expected = _live(template, context, answers, values)
                    assert compiled.fill(answers, values) == expected
                    assert gzip.decompress(compiled.gzip(answers, values)).decode() == expected
                    checked += 1
    assert checked > 10


async def test_blank_page_gzip_is_the_rendered_page(app, db) -> None:
    versions = await install_shipped()
    _, questionnaire = await questionnaire_for_version(versions["enterprise-business-environment"])
    template = app.template_engine.engine.get_template("survey/step.html")
    page_values = {"position": "1", "total": "7",
                   "answers": form_attributes(questionnaire, {})["data-answers"]}
    for section in questionnaire.sections:
        context = step_context(questionnaire, "测试调查", section.id, FLAGS[0])
        compiled = compile_page(step_renderer(template), context, REQUEST_VALUES + PAGE_VALUES,
                                preset=page_values)
        assert compiled is not None
        expected = _live(template, context, {}, {**REQUEST, **page_values})
        with _compressed_now() as compressed:
            assert gzip.decompress(compiled.gzip({}, REQUEST)).decode() == expected
        assert compressed == []  # cached runs and the request values, stored
        assert compiled.fill({}, REQUEST) == expected
        assert "tok&lt;&amp;&gt;" in expected  # request values are escaped


@contextmanager
def _compressed_now() -> Iterator[list[str]]:
    """What page_cache compresses per request while inside."""
    texts: list[str] = []
    original = page_cache._deflate_now

    def record(data: bytes) -> bytes:
        texts.append(data.decode())
        return original(data)

    page_cache._deflate_now = record
    try:
        yield texts
    finally:
        page_cache._deflate_now = original


async def test_a_step_is_compressed_per_request_only_where_it_has_answers(app, db) -> None:
    """Walking forward through a draft (answers on earlier steps, none on this one), the page is
    spliced from runs compressed once; a step reopened with its answers compresses the run with
    the filled slots, and every byte is still the page rendered per request."""
    versions = await install_shipped()
    _, questionnaire = await questionnaire_for_version(versions["enterprise-business-environment"])
    template = app.template_engine.engine.get_template("survey/step.html")
    answers = relevant_answers(questionnaire, simulate_answers(questionnaire, random.Random(3)))
    steps = visible_sections(questionnaire, answers)
    earlier = {q.name: answers[q.name] for s in steps[:2]
               for q in questionnaire.section(s).questions if q.name in answers}
    section = questionnaire.section(steps[2])
    context = step_context(questionnaire, "测试调查", section.id, FLAGS[1])
    compiled = compile_page(step_renderer(template), context, REQUEST_VALUES + PAGE_VALUES)
    assert compiled is not None
    for draft in (earlier, answers):
        values = {**REQUEST, "position": "3", "total": "9",
                  "answers": form_attributes(questionnaire, draft)["data-answers"]}
        with _compressed_now() as compressed:
            body = compiled.gzip(draft, values)
        assert gzip.decompress(body).decode() == _live(template, context, draft, values)
        questions_compressed = any(f'name="{q.name}' in text for text in compressed
                                   for q in section.questions)
        assert questions_compressed == (draft is answers), [t[:80] for t in compressed]
        if draft is earlier:  # nothing at all compressed per request
            assert compressed == []


async def test_page_served_gzip_from_cache_with_fresh_request_values(client, db) -> None:
    campaign = await open_campaign()
    first = await client.get(f"/s/{campaign.tokens[0]}")
    second = await client.get(f"/s/{campaign.tokens[1]}")
    assert first.headers["content-encoding"] == "gzip"
    assert first.status_code == second.status_code == 200
    assert "第 1 / " in first.text and first.text.count('name="_submission_id"') == 1
    assert first.text.replace(first.text.split('name="_submission_id" value="')[1][:24], "") != \
        first.text  # a submission id was filled in
    sid = [page.text.split('name="_submission_id" value="')[1].split('"')[0]
           for page in (first, second)]
    assert sid[0] != sid[1] and len(sid[0]) >= 16
    plain = await client.get(f"/s/{campaign.tokens[0]}", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text.split('name="_section"')[0] == first.text.split('name="_section"')[0]


async def test_text_imitating_a_slot_marker_stays_text(app, db) -> None:
    versions = await install_shipped()
    _, questionnaire = await questionnaire_for_version(versions["livelihood-projects"])
    template = app.template_engine.engine.get_template("survey/step.html")
    section = questionnaire.sections[0]
    name = "测试\ue0000\ue001\ue000abc:1\ue001调查"
    context = step_context(questionnaire, name, section.id, FLAGS[0])
    compiled = compile_page(step_renderer(template), context, REQUEST_VALUES + PAGE_VALUES)
    assert compiled is not None
    values = {**REQUEST, "position": "1", "total": "3", "answers": "{}"}
    assert compiled.fill({}, values) == _live(template, context, {}, values)
    assert compiled.fill({}, values).count(name) == 1


@pytest.mark.parametrize("seed", range(6))
async def test_step_flags_follow_the_skip_logic(db, seed) -> None:
    from questionnaires.flow import section_after, section_before
    from survey_app.services.submissions import open_link
    from survey_app.web.pages.survey import _step_values

    campaign = await open_campaign()
    questionnaire = campaign.questionnaire
    answers = relevant_answers(questionnaire, simulate_answers(questionnaire, random.Random(seed)))
    state = await open_link(campaign.tokens[0])
    for section in questionnaire.sections:
        flags, values = _step_values(state, section.id, answers, False)
        assert flags[:2] == (section_before(questionnaire, answers, section.id) is None,
                             section_after(questionnaire, answers, section.id) is None)
        assert values["answers"] == form_attributes(questionnaire, answers)["data-answers"]
        assert values["total"] == str(len(visible_sections(questionnaire, answers)))
