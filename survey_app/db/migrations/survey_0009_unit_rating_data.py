"""Hand-written: unit_rating's indexes, its rows for answers stored before it existed, and the
end of the answer index that only the old second scoring pass read.

* `unit_rating_pattern_idx` delivers a campaign's rating strings already grouped by unit,
  stratum, weight and pattern, so counting identical patterns needs no sort and no table read.
* `unit_rating_response_idx` finds the rows of excluded responses (and serves the cascade).
* Backfill: each campaign's answer rows, read in response order, become rating strings by the
  positions of its questionnaire version (questionnaires/ratings.py), as a submission writes them.
"""

from __future__ import annotations

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from questionnaires.definition import from_canonical_dict
from questionnaires.ratings import rated_items, rating_strings
from survey_app.db.queries._rows import json_value

ID = "2026-11-21T22:09:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unit rating indexes and backfill"

INDEXES = {
    "unit_rating_pattern_idx": "INDEX {name} ON unit_rating (campaign, unit_code, stratum, weight, levels)",
    "unit_rating_response_idx": "INDEX {name} ON unit_rating (response)",
}
RETIRED = {  # migration 0005's pass-2 index
    "answer_response_idx": (
        "INDEX {name} ON answer (campaign, unit_code, response, stratum, weight, question, row, level)"
    ),
}
_CHUNK = 500


def _engine() -> Any:
    engine = engine_finder()
    assert engine is not None
    return engine


async def _create(indexes: dict[str, str]) -> None:
    for name, template in indexes.items():
        kind, _, rest = template.partition("{name}")
        await _engine().run_ddl(f"CREATE {kind}IF NOT EXISTS {name}{rest}")


async def _drop(names: Any) -> None:
    for name in names:
        await _engine().run_ddl(f"DROP INDEX IF EXISTS {name}")


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return list(await _engine().run_querystring(QueryString(sql, *args)))


async def backfill() -> None:
    campaigns = await _rows(
        "SELECT c.id, v.definition FROM campaign c JOIN questionnaire_version v ON v.id = c.version"
    )
    for campaign in campaigns:
        items = rated_items(from_canonical_dict(json_value(campaign["definition"], {})))
        answers = await _rows(
            'SELECT response, unit_code, question, "row", level, stratum, weight FROM answer '
            "WHERE campaign = {} AND unit_code <> '' ORDER BY response",
            campaign["id"],
        )
        rows: list[tuple[Any, ...]] = []
        by_response: dict[int, list[dict[str, Any]]] = {}
        for answer in answers:
            by_response.setdefault(answer["response"], []).append(answer)
        for response_id, own in by_response.items():
            strings = rating_strings(
                items, ((a["unit_code"], a["question"], a["row"], a["level"]) for a in own)
            )
            first = own[0]
            rows += [
                (response_id, campaign["id"], code, first["stratum"], first["weight"], levels)
                for code, levels in strings.items()
            ]
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            marks = ", ".join("({}, {}, {}, {}, {}, {})" for _ in chunk)
            await _engine().run_querystring(
                QueryString(
                    "INSERT INTO unit_rating (response, campaign, unit_code, stratum, weight, levels) "  # noqa: S608
                    f"VALUES {marks}",  # placeholders only
                    *[value for row in chunk for value in row],
                )
            )


async def forwards_steps() -> None:
    await _create(INDEXES)
    await backfill()
    await _drop(RETIRED)


async def backwards_steps() -> None:
    await _create(RETIRED)
    await _drop(INDEXES)
    await _engine().run_ddl("DELETE FROM unit_rating")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_raw(forwards_steps)
    manager.add_raw_backwards(backwards_steps)
    return manager
