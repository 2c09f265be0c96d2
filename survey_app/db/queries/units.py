"""Appraised units."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.db.tables import Unit


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
