"""Managing units (administrators): create, edit, deactivate, delete when unused, the list of
unit classes, XLSX import and export. Every change is audited by services/units.py."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN
from survey_app.services import unit_deactivation, units
from survey_app.web.guards import current_user, roles
from survey_app.web.notices import notice_query, notice_text
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip, page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FIELDS = ("code", "name", "category", "sort_order")


def _values(form: object) -> dict[str, str]:
    return {key: str(form.get(key, ""))[:200] for key in _FIELDS}  # type: ignore[attr-defined]


async def _manage_page(request: Request, *, status: int = 200, error: str | None = None,
                       notice: str | None = None, values: dict[str, str] | None = None,
                       problems: dict[str, str] | None = None,
                       import_errors: tuple[units.UnitRowError, ...] = ()) -> Template:
    return page(
        request, "admin/units_manage.html", status_code=status,
        units=await units.list_units(), categories=await units.categories(), error=error,
        notice=notice, values=values or {}, problems=problems or {},
        import_errors=import_errors,
    )


@get("/admin/units", opt=roles(ADMIN))
async def manage(request: Request, notice: FromQuery[str] = "", a: FromQuery[str] = "0",
                 b: FromQuery[str] = "0") -> Template:
    return await _manage_page(request, notice=notice_text(notice, a, b) or None)


@post("/admin/units", opt=roles(ADMIN))
async def create(request: Request) -> Response:
    values = _values(await request.form())
    unit_id, problems = await units.create_unit(values, actor=current_user(request),
                                                ip=client_ip(request))
    if unit_id is None:
        return await _manage_page(request, status=400, values=values, problems=problems,  # type: ignore[return-value]
                                  error="单位未创建：" + "；".join(problems.values()))
    return Redirect(path="/admin/units", query_params=notice_query("unit_created"))


async def _unit_or_404(unit_id: int) -> units.UnitRecord:
    try:
        return await units.get_unit(unit_id)
    except units.UnitError:
        raise NotFoundException("单位不存在") from None


async def _edit_page(request: Request, unit: units.UnitRecord, *, status: int = 200,
                     values: dict[str, str] | None = None, problems: dict[str, str] | None = None,
                     error: str | None = None) -> Template:
    current = {"code": unit.code, "name": unit.name, "category": unit.category,
               "sort_order": str(await units.sort_order_of(unit.id))}
    usage = await units.usage(unit)
    return page(
        request, "admin/unit_edit.html", status_code=status, unit=unit,
        values=values or current, problems=problems or {}, error=error,
        categories=await units.categories(),
        usage=[(units.USAGE_LABELS[k], n) for k, n in usage.items() if n],
    )


@get("/admin/units/{unit_id:int}/edit", opt=roles(ADMIN))
async def edit_form(request: Request, unit_id: RecordId) -> Template:
    return await _edit_page(request, await _unit_or_404(unit_id))


@post("/admin/units/{unit_id:int}/edit", opt=roles(ADMIN))
async def edit(request: Request, unit_id: RecordId) -> Response:
    unit = await _unit_or_404(unit_id)
    values = _values(await request.form())
    problems = await units.update_unit(unit_id, values, actor=current_user(request),
                                       ip=client_ip(request))
    if problems:
        return await _edit_page(request, unit, status=400, values=values, problems=problems,  # type: ignore[return-value]
                                error="未保存：" + "；".join(problems.values()))
    return Redirect(path="/admin/units", query_params=notice_query("unit_saved"))


@post("/admin/units/{unit_id:int}/active", opt=roles(ADMIN))
async def set_active(request: Request, unit_id: RecordId) -> Response:
    await _unit_or_404(unit_id)
    form = await request.form()
    active = str(form.get("active", "")) == "1"
    actor, ip = current_user(request), client_ip(request)
    if active:
        await units.set_active(unit_id, True, actor=actor, ip=ip)
        return Redirect(path="/admin/units", query_params=notice_query("unit_reactivated"))
    if str(form.get("confirm", "")) != "1":
        # Deactivation is shown with what it affects and needs a second, explicit click.
        return page(request, "admin/unit_deactivate.html",  # type: ignore[return-value]
                    impact=await unit_deactivation.impact(unit_id))
    await unit_deactivation.deactivate(unit_id, actor=actor, ip=ip)
    return Redirect(path="/admin/units", query_params=notice_query("unit_deactivated"))


@post("/admin/units/{unit_id:int}/delete", opt=roles(ADMIN))
async def delete(request: Request, unit_id: RecordId) -> Response:
    unit = await _unit_or_404(unit_id)
    if str((await request.form()).get("confirm", "")) != "1":
        return await _edit_page(request, unit, status=400,  # type: ignore[return-value]
                                error="请勾选“确认删除”后再删除")
    try:
        await units.delete_unit(unit_id, actor=current_user(request), ip=client_ip(request))
    except units.UnitError as problem:
        return await _edit_page(request, unit, status=409, error=str(problem))  # type: ignore[return-value]
    return Redirect(path="/admin/units", query_params=notice_query("unit_deleted"))


@post("/admin/units/categories", opt=roles(ADMIN))
async def categories(request: Request) -> Response:
    form = await request.form()
    op = str(form.get("op", "add"))
    name = str(form.get("name", ""))[:64]
    actor, ip = current_user(request), client_ip(request)
    try:
        if op == "rename":
            await units.rename_category(name, str(form.get("new_name", ""))[:64],
                                        actor=actor, ip=ip)
            notice = "category_renamed"
        elif op == "delete":
            await units.remove_category(name, actor=actor, ip=ip)
            notice = "category_deleted"
        else:
            await units.add_category(name, actor=actor, ip=ip)
            notice = "category_added"
    except units.UnitError as problem:
        return await _manage_page(request, status=400, error=str(problem))  # type: ignore[return-value]
    return Redirect(path="/admin/units", query_params=notice_query(notice))


@get("/admin/units/export.xlsx", opt=roles(ADMIN))
async def export(request: Request) -> Response:
    return Response(await units.export_units(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="units.xlsx"'})


@post("/admin/units/import", opt=roles(ADMIN))
async def import_units(request: Request) -> Response:
    upload = (await request.form()).get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        outcome = await units.import_units(data, actor=current_user(request),
                                           ip=client_ip(request))
    except units.UnitError as problem:
        return await _manage_page(request, status=400, error=f"导入失败：{problem}")  # type: ignore[return-value]
    if outcome.errors:
        return await _manage_page(  # type: ignore[return-value]
            request, status=400, import_errors=outcome.errors,
            error=f"导入失败：文件中有 {len(outcome.errors)} 处错误，未导入任何单位。请修改后重新上传。",
        )
    return Redirect(path="/admin/units",
                    query_params=notice_query("units_imported", outcome.created, outcome.updated))


ROUTES = [manage, create, edit_form, edit, set_active, delete, categories, export, import_units]
