"""Hand-written (issue 17, finding 3): mask the personal information already stored.

Before this, only opinion rows were masked, and with fewer forms. This runs the current masker
(analysis/text/personal.py) over what earlier versions wrote:

* response.answers and response_draft.answers: every free-text answer (text and textarea
  questions of the response's questionnaire version; every top-level string if a definition
  cannot be read);
* opinion.text;
* theme.label and theme.keywords (tokens cut from opinions).

Rows are read in id order, 500 at a time; only rows that change are written. Masking cannot be
undone, so the backwards step does nothing.
"""

from __future__ import annotations

import json
from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

from analysis.text.personal import mask_personal_info, mask_text_answers
from questionnaires.definition import from_canonical_dict
from questionnaires.model import TEXT_TYPES
from survey_app.db.queries._rows import json_value

ID = "2026-11-21T22:11:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "mask personal information in stored free text"
_CHUNK = 500


def _engine() -> Any:
    engine = engine_finder()
    assert engine is not None
    return engine


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return list(await _engine().run_querystring(QueryString(sql, *args)))


def _json_param() -> str:
    return "{}::jsonb" if _engine().engine_type == "postgres" else "{}"


async def _text_names(cache: dict[int, list[str] | None], version_id: int) -> list[str] | None:
    """The version's free-text questions; None (mask every string) if it cannot be read."""
    if version_id not in cache:
        rows = await _rows("SELECT definition FROM questionnaire_version WHERE id = {}", version_id)
        try:
            questionnaire = from_canonical_dict(json_value(rows[0]["definition"], {}))
            cache[version_id] = [
                q.name for q in questionnaire.iter_questions() if q.type in TEXT_TYPES
            ]
        except Exception:  # an unreadable old definition: be pessimistic
            cache[version_id] = None
    return cache[version_id]


def _masked(answers: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    if names is None:
        names = [name for name, value in answers.items() if isinstance(value, str)]
    return mask_text_answers(answers, names)


async def _mask_answers(table: str, version_sql: str) -> None:
    cache: dict[int, list[str] | None] = {}
    last = 0
    while True:
        rows = await _rows(version_sql, last, _CHUNK)
        if not rows:
            return
        for row in rows:
            last = row["id"]
            answers = json_value(row["answers"], {})
            if not isinstance(answers, dict):
                continue
            masked = _masked(answers, await _text_names(cache, row["version"]))
            if masked != answers:
                await _engine().run_querystring(QueryString(
                    f"UPDATE {table} SET answers = {_json_param()} WHERE id = {{}}",  # noqa: S608
                    json.dumps(masked, ensure_ascii=False), row["id"],
                ))


async def _mask_opinions() -> None:
    last = 0
    while True:
        rows = await _rows(
            "SELECT id, text FROM opinion WHERE id > {} ORDER BY id LIMIT {}", last, _CHUNK
        )
        if not rows:
            return
        for row in rows:
            last = row["id"]
            masked = mask_personal_info(row["text"])
            if masked != row["text"]:
                await _engine().run_querystring(
                    QueryString("UPDATE opinion SET text = {} WHERE id = {}", masked, row["id"])
                )


async def _mask_themes() -> None:
    for row in await _rows("SELECT id, label, keywords FROM theme"):
        keywords = json_value(row["keywords"], [])
        masked_keywords = [mask_personal_info(k) if isinstance(k, str) else k for k in keywords]
        label = mask_personal_info(row["label"])
        if label != row["label"] or masked_keywords != keywords:
            await _engine().run_querystring(QueryString(
                f"UPDATE theme SET label = {{}}, keywords = {_json_param()} WHERE id = {{}}",  # noqa: S608
                label[:128], json.dumps(masked_keywords, ensure_ascii=False), row["id"],
            ))


async def forwards_steps() -> None:
    await _mask_answers(
        "response",
        "SELECT id, version, answers FROM response WHERE id > {} ORDER BY id LIMIT {}",
    )
    await _mask_answers(
        "response_draft",
        "SELECT d.id, c.version, d.answers FROM response_draft d "
        "JOIN invitation i ON i.id = d.invitation JOIN campaign c ON c.id = i.campaign "
        "WHERE d.id > {} ORDER BY d.id LIMIT {}",
    )
    await _mask_opinions()
    await _mask_themes()


async def backwards_steps() -> None:
    """Masking cannot be undone."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="survey", description=DESCRIPTION)
    manager.add_raw(forwards_steps)
    manager.add_raw_backwards(backwards_steps)
    return manager
