"""Questionnaire authoring: list, create (template, upload, text, blank), edit, preview, publish,
export. The browser builder is in questionnaire_builder.py.

Administrators do everything; the performance office and analysts may look (list, detail,
preview). The preview renders every section with the respondent macro and survey.js, and never
stores an answer or a draft.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from questionnaires.answers import coerce_form_answers, validate_answers
from questionnaires.canonical import dump_yaml
from questionnaires.client_logic import form_attributes, question_attributes, section_attributes
from questionnaires.model import SATISFACTION_SCALE, UNKNOWN_OPTION, Questionnaire
from survey_app.roles import ADMIN, ANALYST, OFFICE
from survey_app.services import authoring, questionnaire_builder, questionnaires
from survey_app.services.auth import CurrentUser
from survey_app.services.authoring import ExportFormat
from survey_app.services.questionnaires import (
    AUDIENCES,
    AuthoringError,
    DraftChanged,
    VersionRecord,
)
from survey_app.web.guards import current_user, roles
from survey_app.web.pages.questionnaire_builder import changed_by
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip, page

VIEWERS = roles(ADMIN, OFFICE, ANALYST)
AUTHORS = roles(ADMIN)

# Messages after a redirect, chosen by key so that no text from the URL reaches the page.
NOTICES = {
    "created": "已创建草稿版本。检查无误后即可发布。",
    "added": "该问卷代码已存在，内容已保存为它的新草稿版本。",
    "published": "已发布。已发布的版本不能再修改，编辑时会生成新的草稿版本。",
    "saved": "草稿已保存。",
    "new_version": "已发布的版本不能修改，已将修改保存为新的草稿版本。",
    "unchanged": "内容没有变化，没有保存新版本。",
}


def _user(request: Request) -> CurrentUser:
    user = current_user(request)
    assert user is not None  # the route guard let only signed-in users through
    return user


async def _load(version_id: int) -> tuple[VersionRecord, Questionnaire]:
    try:
        return await questionnaires.questionnaire_for_version(version_id)
    except AuthoringError:
        raise NotFoundException("问卷版本不存在") from None


@get("/questionnaires", opt=VIEWERS)
async def questionnaire_list(request: Request) -> Template:
    return page(request, "admin/questionnaires.html", lines=await questionnaires.questionnaire_lines(),
                audiences=AUDIENCES)


def _new_page(
    request: Request, status_code: int = 200, error: AuthoringError | None = None,
    **form: str,
) -> Template:
    return page(
        request, "admin/questionnaire_new.html", status_code=status_code,
        templates=authoring.shipped_templates(), audiences=AUDIENCES,
        max_mb=authoring.MAX_UPLOAD_BYTES // (1024 * 1024), error=error,
        form={"source": "template", "template": "", "code": "", "title": "", "audience": "",
              "definition": "", **form},
    )


@get("/questionnaires/new", opt=AUTHORS)
async def questionnaire_new(request: Request) -> Template:
    return _new_page(request)


async def _uploaded_file(form: Any) -> tuple[str, bytes]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise AuthoringError("请选择要上传的文件")
    # One byte over the limit is enough to refuse; copy no more of the spooled upload than that.
    return upload.filename, await upload.read(authoring.MAX_UPLOAD_BYTES + 1)


@post("/questionnaires/new", opt=AUTHORS)
async def questionnaire_create(request: Request) -> Response | Template:
    user = _user(request)
    form = await request.form()
    source = str(form.get("source", "template"))
    kept = {key: str(form.get(key, "")) for key in ("template", "code", "title", "audience")}
    kept["definition"] = str(form.get("definition", ""))
    shown_source = source
    if source == "blank":
        return await _create_blank(request, user, kept)
    try:
        if source == "template":
            imported = authoring.from_template(kept["template"], kept["code"], kept["title"])
            kept["audience"] = kept["audience"] or authoring.template_audience(kept["template"])
        elif source == "upload":
            filename, data = await _uploaded_file(form)
            # A YAML/JSON upload with errors comes back as editable text, to be fixed here.
            if text := authoring.editable_text(filename, data):
                kept["definition"], shown_source = text, "text"
            imported = authoring.read_upload(filename, data)
        else:
            imported = authoring.read_text(kept["definition"])
        version_id = await questionnaires.create_questionnaire(
            imported.questionnaire, kept["audience"], user, client_ip(request)
        )
    except AuthoringError as error:
        return _new_page(request, 400, error, **{**kept, "source": shown_source})
    version, _ = await _load(version_id)
    notice = "created" if version.version_no == 1 else "added"
    if imported.warnings:  # shown once, on this response; nothing else needs them later
        return await _detail_page(request, version.questionnaire_id, notice=notice,
                                  warnings=imported.warnings)
    return Redirect(path=f"/questionnaires/{version.questionnaire_id}?notice={notice}")


async def _create_blank(request: Request, user: CurrentUser, kept: dict[str, str]) -> Response | Template:
    """A new questionnaire to build in the browser (可视化编辑), from a title alone."""
    try:
        version_id = await questionnaire_builder.create_blank(
            kept["title"], kept["audience"], user, client_ip(request), code=kept["code"]
        )
    except AuthoringError as error:
        return _new_page(request, 400, error, **{**kept, "source": "blank"})
    return Redirect(path=f"/questionnaires/versions/{version_id}/builder")


async def _detail_page(
    request: Request, questionnaire_id: int, status_code: int = 200, notice: str | None = None,
    error: AuthoringError | None = None, warnings: tuple[str, ...] = (),
) -> Template:
    overview = await authoring.overview(questionnaire_id)
    if overview is None:
        raise NotFoundException("问卷不存在")
    return page(request, "admin/questionnaire.html", status_code=status_code, overview=overview,
                audiences=AUDIENCES, notice=NOTICES.get(notice or ""), error=error,
                warnings=warnings)


@get("/questionnaires/{questionnaire_id:int}", opt=VIEWERS)
async def questionnaire_detail(
    request: Request, questionnaire_id: RecordId, notice: FromQuery[str | None] = None
) -> Template:
    return await _detail_page(request, questionnaire_id, notice=notice)


async def _edit_page(
    request: Request, version: VersionRecord, text: str, status_code: int = 200,
    notice: str | None = None, error: AuthoringError | None = None,
    revision: str | None = None, changed: DraftChanged | None = None,
) -> Template:
    newer_draft = next(
        (v for v in await questionnaires.versions_of(version.questionnaire_id)
         if v.status == "draft" and v.version_no > version.version_no),
        None,
    )
    return page(
        request, "admin/questionnaire_edit.html", status_code=status_code, version=version,
        text=text, newer_draft=newer_draft, notice=NOTICES.get(notice or ""), error=error,
        changes=await questionnaires.changes_since_previous(version.id),
        # The revision the text started from: kept through errors, so that a save after a
        # correction is still checked against it.
        revision=version.definition_hash if revision is None else revision,
        changed_by=changed_by(changed) if changed else None,
    )


@get("/questionnaires/versions/{version_id:int}/edit", opt=AUTHORS)
async def version_edit(
    request: Request, version_id: RecordId, notice: FromQuery[str | None] = None
) -> Template:
    version, questionnaire = await _load(version_id)
    return await _edit_page(request, version, dump_yaml(questionnaire), notice=notice)


@post("/questionnaires/versions/{version_id:int}/edit", opt=AUTHORS)
async def version_save(request: Request, version_id: RecordId) -> Response | Template:
    version, _ = await _load(version_id)
    form = await request.form()
    text = str(form.get("definition", ""))
    revision = str(form.get("revision", "")) or None
    try:
        saved = await authoring.save_edit(
            version_id, text, _user(request), client_ip(request),
            base_hash=revision, overwrite=form.get("overwrite") == "1",
        )
    except AuthoringError as error:  # text kept as typed
        return await _edit_page(request, version, text, 400, error=error, revision=revision)
    except DraftChanged as changed:
        return await _edit_page(request, version, text, 409, revision=revision, changed=changed)
    notice = "unchanged" if saved.unchanged else "new_version" if saved.new_version else "saved"
    return Redirect(path=f"/questionnaires/versions/{saved.version.id}/edit?notice={notice}")


def _preview_page(
    request: Request, version: VersionRecord, questionnaire: Questionnaire,
    answers: dict[str, Any], errors: dict[str, str], checked: bool = False,
) -> Template:
    return page(
        request, "admin/questionnaire_preview.html", status_code=400 if errors else 200,
        version=version, questionnaire=questionnaire, answers=answers, errors=errors,
        checked=checked,
        section_attrs={s.id: section_attributes(s) for s in questionnaire.sections},
        question_attrs={q.name: question_attributes(q) for q in questionnaire.iter_questions()},
        form_attrs=form_attributes(questionnaire, answers),
        scale=SATISFACTION_SCALE, unknown_option=UNKNOWN_OPTION,
    )


@get("/questionnaires/versions/{version_id:int}/preview", opt=VIEWERS)
async def version_preview(request: Request, version_id: RecordId) -> Template:
    version, questionnaire = await _load(version_id)
    return _preview_page(request, version, questionnaire, {}, {})


@post("/questionnaires/versions/{version_id:int}/preview", opt=VIEWERS)
async def version_preview_check(request: Request, version_id: RecordId) -> Template:
    """Check the preview's answers as the server would on submission; nothing is stored."""
    version, questionnaire = await _load(version_id)
    form = await request.form()
    answers = coerce_form_answers(questionnaire, {key: form.getall(key) for key in form})
    errors = validate_answers(questionnaire, answers)
    return _preview_page(request, version, questionnaire, answers, errors, checked=True)


@post("/questionnaires/versions/{version_id:int}/preview/draft", opt=VIEWERS)
async def version_preview_autosave(version_id: RecordId) -> Response:
    """survey.js autosaves to <page>/draft; a preview answers that it kept nothing."""
    return Response({"saved": False, "preview": True}, status_code=200)


async def _publish_page(request: Request, version: VersionRecord, questionnaire: Questionnaire,
                        status_code: int = 200, error: str | None = None) -> Template:
    return page(
        request, "admin/questionnaire_publish.html", status_code=status_code, version=version,
        questionnaire=questionnaire, error=error,
        changes=await questionnaires.changes_since_previous(version.id),
        unknown_units=await authoring.unknown_unit_codes(questionnaire),
        question_count=sum(1 for _ in questionnaire.iter_questions()),
    )


@get("/questionnaires/versions/{version_id:int}/publish", opt=AUTHORS)
async def version_publish_confirm(request: Request, version_id: RecordId) -> Template:
    """Publishing is final: first the changes from the previous version, then confirm."""
    version, questionnaire = await _load(version_id)
    return await _publish_page(request, version, questionnaire)


@post("/questionnaires/versions/{version_id:int}/publish", opt=AUTHORS)
async def version_publish(request: Request, version_id: RecordId) -> Response | Template:
    version, questionnaire = await _load(version_id)
    if str((await request.form()).get("confirm", "")) != "1":
        return await _publish_page(request, version, questionnaire, 400,
                                   "请核对改动，勾选确认框后再发布")
    try:
        await authoring.publish_checked(version_id, _user(request), client_ip(request))
    except AuthoringError as error:
        return await _detail_page(request, version.questionnaire_id, 400, error=error)
    return Redirect(path=f"/questionnaires/{version.questionnaire_id}?notice=published")


async def _export(request: Request, version_id: int, fmt: ExportFormat) -> Response:
    await _load(version_id)
    export = await authoring.export_version(version_id, fmt, _user(request), client_ip(request))
    return Response(
        export.content, media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@get("/questionnaires/versions/{version_id:int}/export.yaml", opt=AUTHORS)
async def version_export_yaml(request: Request, version_id: RecordId) -> Response:
    return await _export(request, version_id, "yaml")


@get("/questionnaires/versions/{version_id:int}/export.xlsx", opt=AUTHORS)
async def version_export_xlsx(request: Request, version_id: RecordId) -> Response:
    return await _export(request, version_id, "xlsx")


ROUTES = [
    version_publish_confirm,
    questionnaire_list, questionnaire_new, questionnaire_create, questionnaire_detail,
    version_edit, version_save, version_preview, version_preview_check,
    version_preview_autosave, version_publish, version_export_yaml, version_export_xlsx,
]
