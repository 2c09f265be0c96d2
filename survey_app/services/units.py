"""Managing the appraised units (被考评单位) and their classes, all audited.

A unit that any data names (accounts, answers, ratings, themes, scores, appraisal results) is
never deleted: it can only be deactivated, which keeps history readable and takes it out of new
questionnaires and appraisals. Units can also be imported from and exported to XLSX; an import
checks every row first and writes nothing while any row has an error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.table_reading import ReadLimits, TableReadError, read_rows
from analysis.tabular import write_xlsx
from survey_app.db.queries import audit
from survey_app.db.queries import units as queries
from survey_app.db.queries.units import UnitForm, UnitRecord
from survey_app.errors import InvalidInput, NotFound
from survey_app.services.auth import CurrentUser
from survey_app.services.scope import require_unit_access

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
USAGE_LABELS = {
    "accounts": "账号", "answers": "答卷答案", "ratings": "评价记录", "themes": "意见主题",
    "opinions": "意见", "scores": "得分", "results": "考核结果",
}
EXPORT_HEADER = ("代码", "名称", "类别", "排序", "状态")
_HEADER_KEYS = {
    "代码": "code", "单位代码": "code", "code": "code",
    "名称": "name", "单位名称": "name", "name": "name",
    "类别": "category", "单位类别": "category", "category": "category",
    "排序": "sort_order", "序号": "sort_order", "sort_order": "sort_order",
    "状态": "active", "active": "active",
}
_ACTIVE_WORDS = {"参加考评": True, "启用": True, "正常": True, "是": True, "停用": False,
                 "否": False}
MAX_IMPORT_ROWS = 2_000


class UnitError(InvalidInput):
    """A Chinese message about a unit request that cannot be done."""


@dataclass(frozen=True)
class UnitRowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    errors: tuple[UnitRowError, ...]


def _clean_form(code: str, name: str, category: str, sort_order: str | int,
                categories: Sequence[str]) -> tuple[UnitForm | None, dict[str, str]]:
    """The form's values checked; the problems keyed by field (in Chinese)."""
    problems: dict[str, str] = {}
    code, name, category = code.strip(), name.strip(), category.strip()
    if not CODE_RE.match(code):
        problems["code"] = "单位代码须为 1–32 位字母、数字或 _ . -，以字母或数字开头"
    if not name:
        problems["name"] = "请填写单位名称"
    elif len(name) > 128:
        problems["name"] = "单位名称不能超过 128 个字"
    if not category:
        problems["category"] = "请选择单位类别"
    elif category not in categories:
        problems["category"] = f"类别“{category}”不在类别列表中，请先在类别列表中添加"
    text = str(sort_order).strip()
    order = 0
    if text:
        try:
            order = int(float(text))
        except ValueError:
            problems["sort_order"] = "排序须为整数"
    if problems:
        return None, problems
    return UnitForm(code, name, category, order), problems


def _name_key(name: str) -> str:
    """Names that look the same in a picker compare equal (full-width forms, spaces)."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def _clashes(form: UnitForm, others: Sequence[UnitRecord], *, active: bool = True) -> dict[
        str, str]:
    """A code that differs from another unit's only by letter case, or a name an active unit
    already has: both would make two units indistinguishable in pickers and results. Codes are
    kept as typed (questionnaires and answers name units by their exact code), so a case
    variant is refused rather than folded. `others` excludes the unit being saved."""
    problems: dict[str, str] = {}
    for other in others:
        if other.code != form.code and other.code.casefold() == form.code.casefold():
            problems["code"] = (f"单位代码 {form.code} 与已有单位 {other.code}（{other.name}）"
                                "只有大小写不同，容易混淆，请换一个代码")
        if active and other.active and _name_key(other.name) == _name_key(form.name):
            problems.setdefault("name", f"单位名称“{form.name}”与单位 {other.code} 重名，"
                                        "请使用能区分的名称")
    return problems


async def categories() -> list[str]:
    """The managed list, then any class still used by a unit but missing from it."""
    managed = await queries.list_categories()
    used = sorted({u.category for u in await queries.list_units()} - set(managed) - {""})
    return [*managed, *used]


async def list_units() -> list[UnitRecord]:
    return await queries.list_units()


async def get_unit(unit_id: int) -> UnitRecord:
    unit = await queries.find_unit(unit_id)
    if unit is None:
        raise UnitError("单位不存在")
    return unit


async def usage(unit: UnitRecord) -> dict[str, int]:
    return await queries.unit_usage(unit.id, unit.code)


async def _record(action: str, actor: CurrentUser | None, target: str, ip: str,
                  detail: dict[str, object] | None = None) -> None:
    await audit.record_event(
        action, actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "cli", target=target, ip=ip, detail=detail,
    )


async def create_unit(values: dict[str, str], *, actor: CurrentUser | None,
                      ip: str = "") -> tuple[int | None, dict[str, str]]:
    """(new id, {}) or (None, problems by field)."""
    form, problems = _clean_form(values.get("code", ""), values.get("name", ""),
                                 values.get("category", ""), values.get("sort_order", ""),
                                 await categories())
    code = values.get("code", "").strip()
    if "code" not in problems and await queries.find_unit_by_code(code):
        problems["code"] = f"单位代码 {code} 已存在"
    if form is not None:
        problems = {**_clashes(form, await queries.list_units()), **problems}
    if form is None or problems:
        return None, problems
    unit_id = await queries.insert_unit(form)
    await _record("unit.create", actor, form.code, ip,
                  {"name": form.name, "category": form.category})
    return unit_id, {}


async def update_unit(unit_id: int, values: dict[str, str], *, actor: CurrentUser | None,
                      ip: str = "") -> dict[str, str]:
    """Problems by field, empty when saved. The code changes only while no data names it."""
    unit = await get_unit(unit_id)
    form, problems = _clean_form(values.get("code", unit.code), values.get("name", ""),
                                 values.get("category", ""), values.get("sort_order", ""),
                                 await categories())
    if form is not None and form.code != unit.code:
        other = await queries.find_unit_by_code(form.code)
        if other is not None:
            problems["code"] = f"单位代码 {form.code} 已存在"
        elif any((await usage(unit)).values()):
            problems["code"] = "该单位已有数据（答卷、得分等引用其代码），不能修改代码"
    if form is not None:
        others = [u for u in await queries.list_units() if u.id != unit_id]
        problems = {**_clashes(form, others, active=unit.active), **problems}
    if form is None or problems:
        return problems
    await queries.update_unit(unit_id, form)
    changes: dict[str, object] = {
        key: [before, after]
        for key, before, after in (
            ("code", unit.code, form.code), ("name", unit.name, form.name),
            ("category", unit.category, form.category),
        )
        if before != after
    }
    await _record("unit.update", actor, form.code, ip, changes)
    return {}


async def set_active(unit_id: int, active: bool, *, actor: CurrentUser | None,
                     ip: str = "", detail: dict[str, object] | None = None) -> UnitRecord:
    """Deactivation from the pages goes through unit_deactivation (confirmation first)."""
    unit = await get_unit(unit_id)
    if unit.active == active:
        return unit
    await queries.set_unit_active(unit_id, active)
    await _record("unit.activate" if active else "unit.deactivate", actor, unit.code, ip,
                  {"name": unit.name, **(detail or {})})
    return unit


async def delete_unit(unit_id: int, *, actor: CurrentUser | None, ip: str = "") -> UnitRecord:
    """Only a unit no data names; otherwise UnitError saying what names it."""
    unit = await get_unit(unit_id)
    used = {key: n for key, n in (await usage(unit)).items() if n}
    if used:
        listing = "、".join(f"{USAGE_LABELS[k]} {n} 条" for k, n in used.items())
        raise UnitError(f"{unit.name}已有数据（{listing}），不能删除，只能停用")
    await queries.delete_unit(unit_id)
    await _record("unit.delete", actor, unit.code, ip, {"name": unit.name})
    return unit


async def add_category(name: str, *, actor: CurrentUser | None, ip: str = "") -> str:
    name = name.strip()
    if not name or len(name) > 32:
        raise UnitError("类别名称须为 1–32 个字")
    if name in await categories():
        raise UnitError(f"类别“{name}”已在列表中")
    await queries.add_category(name)
    await _record("unit_category.create", actor, name, ip)
    return name


async def rename_category(old: str, new: str, *, actor: CurrentUser | None,
                          ip: str = "") -> str:
    new = new.strip()
    if old not in await queries.list_categories():
        raise UnitError(f"类别“{old}”不在列表中")
    if not new or len(new) > 32:
        raise UnitError("类别名称须为 1–32 个字")
    if new != old and new in await categories():
        raise UnitError(f"类别“{new}”已在列表中")
    await queries.rename_category(old, new)
    await _record("unit_category.rename", actor, new, ip, {"from": old, "to": new})
    return new


async def remove_category(name: str, *, actor: CurrentUser | None, ip: str = "") -> None:
    count = await queries.count_units_in_category(name)
    if count:
        raise UnitError(f"还有 {count} 个单位属于类别“{name}”，请先修改这些单位的类别")
    await queries.delete_category(name)
    await _record("unit_category.delete", actor, name, ip)


def export_xlsx(units: Sequence[UnitRecord], orders: dict[int, int]) -> bytes:
    rows = [(u.code, u.name, u.category, orders.get(u.id, 0), "参加考评" if u.active else "停用")
            for u in units]
    return write_xlsx({"被考评单位": (EXPORT_HEADER, rows)})


async def export_units() -> bytes:
    return export_xlsx(await queries.list_units(), await queries.sort_orders())


def parse_units(data: bytes, known_categories: Sequence[str],
                existing: Sequence[UnitRecord] = ()) -> tuple[
        list[tuple[UnitForm, bool | None]], list[UnitRowError]]:
    """Every row checked; all problems at once, each with its row and column. A row updates
    the unit with its code; its name and code must not clash with any other unit's."""
    errors: list[UnitRowError] = []
    parsed: list[tuple[UnitForm, bool | None]] = []
    try:
        rows = iter(read_rows(data, ReadLimits(max_bytes=5 * 1024 * 1024)))
        header: dict[str, int] = {}
        for _number, cells in rows:
            keys = {_HEADER_KEYS.get(str(c).strip().lower() if c else "", ""): i
                    for i, c in enumerate(cells)}
            keys.pop("", None)
            if "code" in keys and "name" in keys:
                header = keys
                break
        if not header:
            raise UnitError("找不到表头：第一行须包含“代码”和“名称”列（另可有“类别”“排序”“状态”）")
        seen: dict[str, int] = {}
        seen_names: dict[str, int] = {}
        for number, cells in rows:
            def cell(key: str, cells: list[object] = cells) -> str:
                index = header.get(key)
                value = cells[index] if index is not None and index < len(cells) else None
                return "" if value is None else str(value).strip()

            if not any(str(c).strip() for c in cells if c is not None):
                continue
            if len(parsed) + len(errors) >= MAX_IMPORT_ROWS:
                raise UnitError(f"一次最多导入 {MAX_IMPORT_ROWS} 个单位")
            form, problems = _clean_form(cell("code"), cell("name"), cell("category"),
                                         cell("sort_order"), known_categories)
            status = cell("active")
            active: bool | None = None
            if status:
                if status not in _ACTIVE_WORDS:
                    problems["active"] = "状态须为“参加考评”或“停用”"
                else:
                    active = _ACTIVE_WORDS[status]
            if form is not None and form.code in seen:
                problems["code"] = f"单位代码 {form.code} 与第 {seen[form.code]} 行重复"
            if form is not None:
                same = next((u for u in existing if u.code == form.code), None)
                will_be_active = active if active is not None else (same is None or same.active)
                others = [u for u in existing if u.code != form.code]
                problems = {**_clashes(form, others, active=will_be_active), **problems}
                earlier = seen_names.get(_name_key(form.name))
                if will_be_active and earlier is not None and "name" not in problems:
                    problems["name"] = f"单位名称“{form.name}”与第 {earlier} 行重名"
                elif will_be_active:
                    seen_names.setdefault(_name_key(form.name), number)
            for key, message in problems.items():
                errors.append(UnitRowError(number, _COLUMN_LABELS[key], message))
            if form is not None and not problems:
                seen[form.code] = number
                parsed.append((form, active))
    except TableReadError as problem:
        raise UnitError(str(problem)) from problem
    return parsed, errors


_COLUMN_LABELS = {"code": "代码", "name": "名称", "category": "类别", "sort_order": "排序",
                  "active": "状态"}


async def import_units(data: bytes, *, actor: CurrentUser | None,
                       ip: str = "") -> ImportOutcome:
    """All rows or none: any row error writes nothing and reports every error."""
    parsed, errors = parse_units(data, await categories(), await queries.list_units())
    if errors:
        return ImportOutcome(0, 0, tuple(errors))
    if not parsed:
        raise UnitError("文件中没有单位")
    created, updated = await queries.write_imported_units(parsed)
    await _record("unit.import", actor, f"{created + updated} 个单位", ip,
                  {"created": created, "updated": updated})
    return ImportOutcome(created, updated, ())


async def sort_order_of(unit_id: int) -> int:
    return (await queries.sort_orders()).get(unit_id, 0)


async def find_visible_unit(user: CurrentUser, unit_id: int) -> UnitRecord:
    """A unit a user may look at; another unit, for a unit viewer, is simply "not found"."""
    require_unit_access(user, unit_id)
    unit = await queries.find_unit(unit_id)
    if unit is None:
        raise NotFound("单位不存在")
    return unit
