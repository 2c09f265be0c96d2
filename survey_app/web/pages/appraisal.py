"""The performance office's appraisal pages: indicator data (template, upload, validation report,
preview, history), 计算 into a draft with its diff, 发布, overrides and the scheme editor.
Handlers only translate HTTP to the services (services/appraisal_*.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN, OFFICE
from survey_app.services import (
    appraisal,
    appraisal_exports,
    appraisal_inputs,
    appraisal_overrides,
    appraisal_publication,
    appraisal_runs,
    appraisal_scheme_form,
)
from survey_app.web.guards import roles
from survey_app.web.pages.scores import _actor, _download
from survey_app.web.params import RecordId
from survey_app.web.rendering import page

OFFICE_ROLES = (ADMIN, OFFICE)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SchemeParam = Annotated[int, QueryParameter(ge=1, le=2_147_483_647)]


async def _years() -> list[int]:
    return sorted({v.year for v in await appraisal.scheme_versions()}, reverse=True)


# --- results, 计算 and 发布 -------------------------------------------------------------------


async def _appraisal_page(
    request: Request,
    year: int | None,
    *,
    error: str | None = None,
    notes: Sequence[str] = (),
    missing: Sequence[str] = (),
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    years = await _years()
    year = year if year in years else (years[0] if years else None)
    versions = [v for v in await appraisal.scheme_versions() if v.year == year]
    view = await appraisal_publication.office_view(year) if year else None
    by_class: dict[str, list[dict[str, Any]]] = {}
    for unit in sorted(view.live if view else [], key=lambda u: (u["rank"] is None, u["rank"] or 0)):
        by_class.setdefault(unit["class"], []).append(unit)
    chosen = (form or {}).get("scheme")
    scheme_id = int(chosen) if chosen and str(chosen).isdigit() else None
    statuses = []
    if scheme_id is not None:
        record = next((v for v in versions if v.id == scheme_id), None)
        if record is not None:
            statuses = await appraisal_runs.period_statuses(appraisal.parse_scheme_text(record.yaml_text))
    elif versions:
        statuses = await appraisal_runs.period_statuses(appraisal.parse_scheme_text(versions[0].yaml_text))
    return page(
        request,
        "appraisal/results.html",
        status_code=status_code,
        year=year,
        years=years,
        versions=versions,
        view=view,
        by_class=by_class,
        runs=await appraisal_publication.runs_of_year(year) if year else [],
        statuses=statuses,
        form=form or {},
        error=error,
        notes=notes,
        missing=missing,
    )


@get("/appraisal", opt=roles(*OFFICE_ROLES))
async def appraisal_home(request: Request, year: FromQuery[int | None] = None) -> Template:
    return await _appraisal_page(request, year)


@post("/appraisal/run", opt=roles(*OFFICE_ROLES))
async def appraisal_run(request: Request) -> Template:
    form = await request.form()
    values: dict[str, Any] = {
        "scheme": str(form.get("scheme", "")),
        "periods": [str(p) for p in form.getall("periods", [])],
        "include_low": [str(p) for p in form.getall("include_low", [])],
        "low_reason": str(form.get("low_reason", "")),
        "confirm_missing": bool(form.get("confirm_missing")),
        "missing_reason": str(form.get("missing_reason", "")),
    }
    record = await appraisal.find_scheme(int(values["scheme"])) if values["scheme"].isdigit() else None
    if record is None:
        return await _appraisal_page(request, None, error="请选择用于计算的考核方案版本", form=values,
                                     status_code=400)  # fmt: skip
    run_request = appraisal_runs.RunRequest(
        record.id, tuple(values["periods"]), tuple(values["include_low"]), values["low_reason"],
        values["confirm_missing"], values["missing_reason"],
    )  # fmt: skip
    try:
        summary = await appraisal_runs.compute_draft(run_request, **_actor(request))
    except appraisal_runs.NeedsDecision as problem:
        return await _appraisal_page(request, record.year, error=str(problem), form=values,
                                     missing=[str(m) for m in problem.missing], status_code=400)  # fmt: skip
    except appraisal.AppraisalFailed as problem:
        return await _appraisal_page(request, record.year, error=str(problem), form=values, status_code=400)
    notes = [
        f"已按「{record.name}」第{record.version_no}版计算 {summary.units} 个单位，结果为草稿（未发布），"
        f"与已发布结果相比有 {summary.changes} 个单位的排名、等次或预警变化",
        # summary.notes are not repeated here: the new run is the year's latest, and its card
        # below shows the same notes (stored with the run) on this and every later visit
        *(f"沿用的等次调整（待复核）：{c}" for c in summary.carried),
    ]
    return await _appraisal_page(request, record.year, notes=notes)


@post(
    "/appraisal/runs/{run_id:int}/publish",
    opt=roles(*OFFICE_ROLES, step_up=True, step_up_back="/appraisal"),
)
async def appraisal_publish(request: Request, run_id: RecordId) -> Response | Template:
    form = await request.form()
    run = await appraisal_publication.find_run(run_id)
    if run is None:
        raise NotFoundException("计算记录不存在")
    try:
        cards = await appraisal_publication.publish(run_id, str(form.get("reason", "")), **_actor(request))
    except appraisal.AppraisalFailed as problem:
        return await _appraisal_page(request, run.year, error=str(problem), status_code=400)
    note = f"已发布，新登记预警 {cards} 张" if cards else "已发布"
    return await _appraisal_page(request, run.year, notes=[note])


@post(
    "/appraisal/results/{result_id:int}/override",
    opt=roles(*OFFICE_ROLES, step_up=True, step_up_back="/appraisal"),
)
async def appraisal_override(request: Request, result_id: RecordId) -> Response | Template:
    form = await request.form()
    result = await appraisal.find_result(result_id)
    if result is None:
        raise NotFoundException("考核结果不存在")
    override = appraisal_overrides.OverrideRequest(
        result_id, str(form.get("grade", "")), str(form.get("reason", "")),
        bool(form.get("confirm_quota")), str(form.get("quota_reason", "")),
    )  # fmt: skip
    try:
        await appraisal_overrides.override_grade(override, **_actor(request))
    except appraisal.AppraisalFailed as problem:
        return await _appraisal_page(
            request,
            result.year,
            error=str(problem),
            status_code=400,
            form={
                "override": result_id,
                "grade": override.grade,
                "reason": override.reason,
                "quota_reason": override.quota_reason,
                "quota": isinstance(problem, appraisal_overrides.QuotaBreach),
            },
        )
    return Redirect(path=f"/appraisal?year={result.year}")


@get("/appraisal/export", opt=roles(*OFFICE_ROLES))
async def appraisal_export(
    request: Request, scheme: SchemeParam, format: FromQuery[str] = "xlsx"
) -> Response:
    try:
        content, filename = await appraisal_exports.export_results(
            scheme, "csv" if format == "csv" else "xlsx", **_actor(request)
        )
    except appraisal.AppraisalFailed as problem:
        raise NotFoundException(str(problem)) from None
    return _download(content, filename)


# --- indicator data -------------------------------------------------------------------------


async def _inputs_page(
    request: Request,
    year: int | None,
    *,
    scheme_id: int | None = None,
    problems: Sequence[appraisal_inputs.Problem] = (),
    preview: appraisal_inputs.Preview | None = None,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Template:
    years = await _years()
    year = year if year in years else (years[0] if years else None)
    versions = [v for v in await appraisal.scheme_versions() if v.year == year]
    selected = next((v for v in versions if v.id == scheme_id), versions[0] if versions else None)
    statuses = (
        await appraisal_runs.period_statuses(appraisal.parse_scheme_text(selected.yaml_text))
        if selected
        else []
    )
    return page(
        request,
        "appraisal/inputs.html",
        status_code=status_code,
        year=year,
        years=years,
        versions=versions,
        selected=selected,
        statuses=statuses,
        uploads=await appraisal_inputs.uploads_of_year(year) if year else [],
        problems=problems,
        preview=preview,
        error=error,
        notice=notice,
    )


@get("/appraisal/inputs", opt=roles(*OFFICE_ROLES))
async def inputs_home(
    request: Request,
    year: FromQuery[int | None] = None,
    scheme: FromQuery[int | None] = None,
    applied: FromQuery[int | None] = None,
) -> Template:
    notice = f"已保存：{applied} 个单元格有新值或改动" if applied is not None else None
    return await _inputs_page(request, year, scheme_id=scheme, notice=notice)


@get("/appraisal/inputs/template", opt=roles(*OFFICE_ROLES))
async def inputs_template(scheme: SchemeParam) -> Response:
    try:
        content, filename = await appraisal_inputs.template_xlsx(scheme)
    except appraisal.AppraisalFailed as problem:
        raise NotFoundException(str(problem)) from None
    return _download(content, filename)


@post("/appraisal/inputs", opt=roles(*OFFICE_ROLES))
async def inputs_upload(request: Request) -> Response | Template:
    form = await request.form()
    chosen = str(form.get("scheme", ""))
    record = await appraisal.find_scheme(int(chosen)) if chosen.isdigit() else None
    if record is None:
        return await _inputs_page(request, None, error="请选择用于校验的考核方案版本", status_code=400)
    file = form.get("file")
    data = await file.read(MAX_UPLOAD_BYTES + 1) if isinstance(file, UploadFile) else b""
    name = file.filename if isinstance(file, UploadFile) else ""
    try:
        if not data:
            raise appraisal.AppraisalFailed("请选择要上传的指标数据文件（XLSX 或 CSV）")
        if len(data) > MAX_UPLOAD_BYTES:
            raise appraisal.AppraisalFailed(f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
        upload_id = await appraisal_inputs.stage_upload(record.id, data, name or "上传", **_actor(request))
    except appraisal_inputs.UploadRejected as rejected:
        return await _inputs_page(request, record.year, scheme_id=record.id, error=str(rejected),
                                  problems=rejected.problems, status_code=400)  # fmt: skip
    except appraisal.AppraisalFailed as problem:
        return await _inputs_page(
            request, record.year, scheme_id=record.id, error=str(problem), status_code=400
        )
    return Redirect(path=f"/appraisal/inputs/uploads/{upload_id}")


@get("/appraisal/inputs/uploads/{upload_id:int}", opt=roles(*OFFICE_ROLES))
async def inputs_preview(request: Request, upload_id: RecordId) -> Template:
    try:
        shown = await appraisal_inputs.preview(upload_id)
    except appraisal.AppraisalFailed:
        raise NotFoundException("上传记录不存在") from None
    return await _inputs_page(request, shown.upload.year, preview=shown)


@post("/appraisal/inputs/uploads/{upload_id:int}/apply", opt=roles(*OFFICE_ROLES))
async def inputs_apply(request: Request, upload_id: RecordId) -> Response | Template:
    try:
        shown = await appraisal_inputs.apply_upload(upload_id, **_actor(request))
    except appraisal.AppraisalFailed as problem:
        return await _inputs_page(request, None, error=str(problem), status_code=400)
    query = urlencode({"year": shown.upload.year, "applied": len(shown.changes)})
    return Redirect(path=f"/appraisal/inputs?{query}")


@post("/appraisal/inputs/uploads/{upload_id:int}/discard", opt=roles(*OFFICE_ROLES))
async def inputs_discard(request: Request, upload_id: RecordId) -> Response | Template:
    try:
        await appraisal_inputs.discard_upload(upload_id, **_actor(request))
    except appraisal.AppraisalFailed as problem:
        return await _inputs_page(request, None, error=str(problem), status_code=400)
    return Redirect(path="/appraisal/inputs")


ROUTES = [
    appraisal_home,
    appraisal_run,
    appraisal_publish,
    appraisal_override,
    appraisal_export,
    inputs_home,
    inputs_template,
    inputs_upload,
    inputs_preview,
    inputs_apply,
    inputs_discard,
]


# --- scheme versions through a form, with a what-if preview -------------------------------


async def _form_page(
    request: Request,
    base: Any,
    values: dict[str, str] | None = None,
    *,
    note: str = "",
    preview: Any = None,
    new_rules: str = "",
    error: str | None = None,
    warning: str | None = None,
    status_code: int = 200,
) -> Template:
    fields = appraisal_scheme_form.form_fields(base.yaml_text)
    groups: dict[str, list[Any]] = {}
    for field in fields:
        groups.setdefault(field.group, []).append(field)
    return page(
        request,
        "appraisal/scheme_form.html",
        status_code=status_code,
        base=base,
        groups=groups,
        values=values or {f.name: f.value for f in fields},
        note=note,
        preview=preview,
        new_rules=new_rules,
        error=error,
        warning=warning,
    )


@get("/appraisal/schemes/form", opt=roles(*OFFICE_ROLES))
async def scheme_form(request: Request, version: SchemeParam) -> Template:
    base = await appraisal.find_scheme(version)
    if base is None:
        raise NotFoundException("考核方案版本不存在")
    return await _form_page(request, base)


@post("/appraisal/schemes/form", opt=roles(*OFFICE_ROLES))
async def scheme_form_submit(request: Request) -> Response | Template:
    form = await request.form()
    chosen = str(form.get("version", ""))
    base = await appraisal.find_scheme(int(chosen)) if chosen.isdigit() else None
    if base is None:
        raise NotFoundException("考核方案版本不存在")
    names = {f.name for f in appraisal_scheme_form.form_fields(base.yaml_text)}
    values = {name: str(form.get(name, "")) for name in names}
    note = str(form.get("note", ""))
    try:
        text, scheme = appraisal_scheme_form.apply_form(base.yaml_text, values)
        if form.get("action") == "save":
            scheme_id, _ = await appraisal.save_scheme(text, note or "表单修改", **_actor(request))
            return Redirect(path=f"/appraisal/schemes?{urlencode({'version': scheme_id})}")
        preview = await appraisal_scheme_form.what_if(scheme)
    except appraisal.SchemeUnchanged as same:
        return await _form_page(request, base, values, note=note, warning=str(same))
    except appraisal.AppraisalFailed as problem:
        return await _form_page(request, base, values, note=note, error=str(problem), status_code=400)
    return await _form_page(request, base, values, note=note, preview=preview, new_rules=scheme.describe())


ROUTES += [scheme_form, scheme_form_submit]
