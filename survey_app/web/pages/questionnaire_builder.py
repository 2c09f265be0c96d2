"""The browser questionnaire builder (可视化编辑): the page, saving a draft, the live preview.

The page embeds the draft definition as JSON; builder.js edits it in memory and posts it whole
(JSON, with the CSRF token as the x-csrftoken header). Saving and previewing answer 400 with
every problem located by titles when the draft is wrong; the page keeps what was typed.
The page also carries the draft's revision (its definition hash) and sends it back: a save over
a draft changed since (another tab, another administrator) answers 409 and stores nothing,
until the author explicitly overwrites (audited).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, SerializationException
from litestar.response import Template

from questionnaires.builder import BuilderProblem
from questionnaires.client_logic import form_attributes, question_attributes, section_attributes
from questionnaires.model import SATISFACTION_SCALE, UNKNOWN_OPTION
from survey_app.roles import ADMIN
from survey_app.services import questionnaire_builder as builder
from survey_app.services.questionnaire_builder import BuilderRejected
from survey_app.services.questionnaires import AuthoringError, DraftChanged
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip, page
from survey_app.web.templating import format_time

AUTHORS = roles(ADMIN)


def _rejected(error: BuilderRejected) -> Response:
    return Response({"ok": False, "message": str(error), "problems": error.located},
                    status_code=400)


async def _posted(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except SerializationException:
        raise BuilderRejected(
            [BuilderProblem("问卷", "编辑器发送的内容无法读取，请刷新页面后重试").as_json()]
        ) from None
    return body if isinstance(body, dict) else {}


async def _posted_definition(request: Request) -> Any:
    return (await _posted(request)).get("definition")


def changed_by(error: DraftChanged) -> str:
    """Who changed the draft and when, as the log says ("admin1，2026-12-06 22:10")."""
    who = "，".join(part for part in (error.by, format_time(error.at) if error.at else "") if part)
    return who or "其他页面"


def _changed_elsewhere(error: DraftChanged) -> Response:
    return Response({
        "ok": False, "conflict": True,
        "message": f"没有保存：这份草稿已在别处修改（{changed_by(error)}）。您的修改仍在本页；"
                   "请复制需要的内容后刷新本页，或点“仍然保存（覆盖对方的修改）”。",
    }, status_code=409)


@get("/questionnaires/versions/{version_id:int}/builder", opt=AUTHORS)
async def builder_page(request: Request, version_id: RecordId) -> Template:
    try:
        loaded = await builder.builder_page(version_id)
    except AuthoringError:
        raise NotFoundException("问卷版本不存在") from None
    return page(request, "admin/questionnaire_builder.html", version=loaded.version,
                state=loaded.state)


@post("/questionnaires/versions/{version_id:int}/builder", opt=AUTHORS, status_code=200)
async def builder_save(request: Request, version_id: RecordId) -> Response:
    user = current_user(request)
    assert user is not None  # the route guard let only administrators through
    try:
        body = await _posted(request)
        revision = body.get("revision")
        saved = await builder.save_draft(
            version_id, body.get("definition"), user, client_ip(request),
            revision=revision if isinstance(revision, str) else None,
            overwrite=body.get("overwrite") is True,
        )
    except BuilderRejected as error:
        return _rejected(error)
    except DraftChanged as error:
        return _changed_elsewhere(error)
    except AuthoringError:
        raise NotFoundException("问卷版本不存在") from None
    version = saved.version
    message = (
        "内容没有变化。" if saved.unchanged
        else f"已发布的版本不能修改，已保存为新的草稿 v{version.version_no}。" if saved.new_version
        else f"草稿 v{version.version_no} 已保存。"
    )
    return Response({
        "ok": True, "message": message, "version": version.id,
        "version_no": version.version_no, "new_version": saved.new_version,
        "revision": version.definition_hash,
        "builder_url": f"/questionnaires/versions/{version.id}/builder",
        "publish_url": f"/questionnaires/versions/{version.id}/publish",
    })


@post("/questionnaires/versions/{version_id:int}/builder/preview", opt=AUTHORS, status_code=200)
async def builder_preview(request: Request, version_id: RecordId) -> Response | Template:
    """The draft as respondents see it (one phone screen, every section, skip logic live), for
    the builder's preview frame; stores nothing."""
    try:
        questionnaire = await builder.preview_draft(version_id, await _posted_definition(request))
    except BuilderRejected as error:
        return _rejected(error)
    except AuthoringError:
        raise NotFoundException("问卷版本不存在") from None
    return page(
        request, "admin/questionnaire_builder_frame.html", version_id=version_id,
        questionnaire=questionnaire,
        section_attrs={s.id: section_attributes(s) for s in questionnaire.sections},
        question_attrs={q.name: question_attributes(q) for q in questionnaire.iter_questions()},
        form_attrs=form_attributes(questionnaire, {}), scale=SATISFACTION_SCALE,
        unknown_option=UNKNOWN_OPTION,
    )


ROUTES = [builder_page, builder_save, builder_preview]
