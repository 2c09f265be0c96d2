"""Appraised units."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.db.tables import (
    Answer,
    AppraisalResult,
    Opinion,
    Theme,
    Unit,
    UnitCategory,
    UnitRating,
    UnitScore,
    User,
)


@dataclass(frozen=True)
class UnitRecord:
    id: int
    code: str
    name: str
    category: str
    active: bool


def _record(row: dict) -> UnitRecord:
    return UnitRecord(row["id"], row["code"], row["name"], row["category"], bool(row["active"]))


async def list_units(active_only: bool = False) -> list[UnitRecord]:
    query = Unit.select().order_by(Unit.sort_order).order_by(Unit.code)
    if active_only:
        query = query.where(Unit.active == True)  # noqa: E712 (Piccolo builds SQL from ==)
    return [_record(r) for r in await query]


async def find_unit(unit_id: int) -> UnitRecord | None:
    row = await Unit.select().where(Unit.id == unit_id).first()
    return _record(row) if row else None


async def upsert_unit(code: str, name: str, category: str, sort_order: int) -> None:
    existing = await Unit.select(Unit.id).where(Unit.code == code).first()
    if existing:
        await Unit.update({Unit.name: name, Unit.category: category}).where(Unit.code == code)
    else:
        await Unit.insert(Unit(code=code, name=name, category=category, sort_order=sort_order))


async def count_units() -> int:
    return int(await Unit.count())


@dataclass(frozen=True)
class UnitForm:
    code: str
    name: str
    category: str
    sort_order: int


async def find_unit_by_code(code: str) -> UnitRecord | None:
    row = await Unit.select().where(Unit.code == code).first()
    return _record(row) if row else None


async def sort_orders() -> dict[int, int]:
    return {r["id"]: int(r["sort_order"]) for r in await Unit.select(Unit.id, Unit.sort_order)}


async def insert_unit(form: UnitForm) -> int:
    rows = await Unit.insert(
        Unit(code=form.code, name=form.name, category=form.category, sort_order=form.sort_order)
    ).returning(Unit.id)
    return int(rows[0]["id"])


async def update_unit(unit_id: int, form: UnitForm) -> None:
    await Unit.update(
        {Unit.code: form.code, Unit.name: form.name, Unit.category: form.category,
         Unit.sort_order: form.sort_order}
    ).where(Unit.id == unit_id)


async def set_unit_active(unit_id: int, active: bool) -> None:
    await Unit.update({Unit.active: active}).where(Unit.id == unit_id)


async def delete_unit(unit_id: int) -> None:
    await Unit.delete().where(Unit.id == unit_id)


async def unit_usage(unit_id: int, code: str) -> dict[str, int]:
    """How much data names the unit: any of it means the unit may only be deactivated."""
    return {
        "accounts": int(await User.count().where(User.unit == unit_id)),
        "answers": int(await Answer.count().where(Answer.unit_code == code)),
        "ratings": int(await UnitRating.count().where(UnitRating.unit_code == code)),
        "themes": int(await Theme.count().where(Theme.unit == unit_id)),
        "opinions": int(await Opinion.count().where(Opinion.unit_code == code)),
        "scores": int(await UnitScore.count().where(UnitScore.unit == unit_id)),
        "results": int(await AppraisalResult.count().where(AppraisalResult.unit == unit_id)),
    }


async def list_categories() -> list[str]:
    rows = await UnitCategory.select(UnitCategory.name).order_by(UnitCategory.sort_order).order_by(
        UnitCategory.name
    )
    return [r["name"] for r in rows]


async def add_category(name: str) -> None:
    last = await UnitCategory.select(UnitCategory.sort_order).order_by(
        UnitCategory.sort_order, ascending=False
    ).first()
    order = int(last["sort_order"]) + 1 if last else 0
    await UnitCategory.insert(UnitCategory(name=name, sort_order=order))


async def delete_category(name: str) -> None:
    await UnitCategory.delete().where(UnitCategory.name == name)


async def count_units_in_category(name: str) -> int:
    return int(await Unit.count().where(Unit.category == name))


async def rename_category(old: str, new: str) -> None:
    async with Unit._meta.db.transaction():
        await UnitCategory.update({UnitCategory.name: new}).where(UnitCategory.name == old)
        await Unit.update({Unit.category: new}).where(Unit.category == old)


async def write_imported_units(rows: list[tuple[UnitForm, bool | None]]) -> tuple[int, int]:
    """Insert or update by code, all in one transaction; (created, updated)."""
    created = updated = 0
    async with Unit._meta.db.transaction():
        for form, active in rows:
            existing = await Unit.select(Unit.id).where(Unit.code == form.code).first()
            if existing is None:
                unit_id = await insert_unit(form)
                created += 1
            else:
                unit_id = int(existing["id"])
                await update_unit(unit_id, form)
                updated += 1
            if active is not None:
                await set_unit_active(unit_id, active)
    return created, updated
