"""What an import would change in the roster, for the administrator to confirm first, and the
controlled vocabulary an import is checked against (places come from the units list).

An import that changes existing respondents (a firm renamed, moved to another industry …) is
held: its job ends with the before/after list and keeps the upload until the administrator
confirms (a new job writes it) or cancels (the upload is dropped). Both are audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from questionnaires.roster import FIELD_LABELS, RosterKind, RosterRecord
from questionnaires.roster_vocab import Vocabulary, is_place_class, place_names
from survey_app.db.queries import roster as queries
from survey_app.db.queries import units as unit_queries

MAX_SHOWN_CHANGES = 2_000


@dataclass(frozen=True)
class FieldChange:
    row_number: int
    key: str  # as staff may see it
    name: str  # the respondent's current name, as staff may see it
    field: str  # label
    before: str
    after: str

    def to_json(self) -> list[Any]:
        return [self.row_number, self.key, self.name, self.field, self.before, self.after]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> FieldChange:
        row, key, name, label, before, after = data
        return cls(int(row), str(key), str(name), str(label), str(before), str(after))


async def vocabulary() -> Vocabulary:
    units = await unit_queries.list_units(active_only=True)
    return Vocabulary(place_names(u.name for u in units if is_place_class(u.category)))


@dataclass(frozen=True)
class ImportPreview:
    """What writing the valid rows would do: every row is new, changed or unchanged."""

    changes: list[FieldChange]
    new_rows: int
    changed_rows: int
    unchanged_rows: int


async def preview(kind: RosterKind, records: Sequence[RosterRecord], fields: Sequence[str],
                  mask: Any, display_key: Any) -> ImportPreview:
    """Field by field, what the import would overwrite in respondents that already exist, and
    how many rows are new, changed or unchanged.
    `mask(kind, field, value)` hides personal values (residents' names)."""
    existing = await queries.respondents_by_keys(r.key for r in records)
    found: list[FieldChange] = []
    new_rows = changed_rows = 0
    for record in records:
        current = existing.get(record.key)
        if current is None:
            new_rows += 1
            continue
        before_count = len(found)
        for name in fields:
            before, after = str(getattr(current, name, "") or ""), str(getattr(record, name, ""))
            if before != after:
                found.append(FieldChange(
                    record.row_number, display_key(kind, record.key),
                    mask(kind, "name", current.name), FIELD_LABELS.get(name, name),
                    mask(kind, name, before), mask(kind, name, after),
                ))
        changed_rows += len(found) > before_count
    return ImportPreview(found, new_rows, changed_rows, len(records) - new_rows - changed_rows)
