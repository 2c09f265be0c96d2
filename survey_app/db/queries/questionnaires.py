"""Questionnaires and their immutable versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import Campaign, Questionnaire, QuestionnaireVersion


@dataclass(frozen=True)
class VersionRecord:
    id: int
    questionnaire_id: int
    questionnaire_code: str
    title: str
    audience: str
    version_no: int
    status: str
    definition: dict[str, Any]
    definition_hash: str
    created_at: dt.datetime | None
    published_at: dt.datetime | None


@dataclass(frozen=True)
class QuestionnaireLine:
    id: int
    code: str
    title: str
    audience: str
    latest_version_id: int | None
    latest_version_no: int | None
    latest_status: str | None
    published_version_no: int | None
    campaigns: int


_VERSION_COLUMNS = (
    QuestionnaireVersion.id,
    QuestionnaireVersion.questionnaire,
    QuestionnaireVersion.questionnaire.code.as_alias("q_code"),
    QuestionnaireVersion.questionnaire.title.as_alias("q_title"),
    QuestionnaireVersion.questionnaire.audience.as_alias("q_audience"),
    QuestionnaireVersion.version_no,
    QuestionnaireVersion.status,
    QuestionnaireVersion.definition,
    QuestionnaireVersion.definition_hash,
    QuestionnaireVersion.created_at,
    QuestionnaireVersion.published_at,
)


def _version(row: dict) -> VersionRecord:
    return VersionRecord(
        id=row["id"],
        questionnaire_id=row["questionnaire"],
        questionnaire_code=row["q_code"],
        title=row["q_title"],
        audience=row["q_audience"],
        version_no=row["version_no"],
        status=row["status"],
        definition=json_value(row["definition"], {}),
        definition_hash=row["definition_hash"],
        created_at=aware(row["created_at"]),
        published_at=aware(row["published_at"]),
    )


async def find_questionnaire_id(code: str) -> int | None:
    row = await Questionnaire.select(Questionnaire.id).where(Questionnaire.code == code).first()
    return int(row["id"]) if row else None


async def questionnaire_audience(questionnaire_id: int) -> str | None:
    row = await Questionnaire.select(Questionnaire.audience).where(
        Questionnaire.id == questionnaire_id
    ).first()
    return row["audience"] if row else None


async def insert_questionnaire(code: str, title: str, audience: str) -> int:
    rows = await Questionnaire.insert(
        Questionnaire(code=code, title=title, audience=audience)
    ).returning(Questionnaire.id)
    return int(rows[0]["id"])


async def update_questionnaire_title(questionnaire_id: int, title: str) -> None:
    await Questionnaire.update({Questionnaire.title: title}).where(
        Questionnaire.id == questionnaire_id
    )


async def insert_version(
    questionnaire_id: int,
    version_no: int,
    definition: dict[str, Any],
    definition_hash: str,
    created_by: int | None,
) -> int:
    rows = await QuestionnaireVersion.insert(
        QuestionnaireVersion(
            questionnaire=questionnaire_id,
            version_no=version_no,
            definition=definition,
            definition_hash=definition_hash,
            created_by=created_by,
        )
    ).returning(QuestionnaireVersion.id)
    return int(rows[0]["id"])


async def replace_draft_definition(
    version_id: int, definition: dict[str, Any], definition_hash: str,
    expected_hash: str | None = None,
) -> int:
    """Edit a draft in place; published versions are never touched (immutability). With
    `expected_hash`, only while the stored definition still has that hash: checked in the same
    statement, so that of two saves from the same revision exactly one wins."""
    where = (QuestionnaireVersion.id == version_id) & (QuestionnaireVersion.status == "draft")
    if expected_hash is not None:
        where = where & (QuestionnaireVersion.definition_hash == expected_hash)
    rows = await QuestionnaireVersion.update(
        {
            QuestionnaireVersion.definition: definition,
            QuestionnaireVersion.definition_hash: definition_hash,
        }
    ).where(where).returning(QuestionnaireVersion.id)
    return len(rows)


async def mark_published(version_id: int) -> int:
    rows = await QuestionnaireVersion.update(
        {QuestionnaireVersion.status: "published", QuestionnaireVersion.published_at: utcnow()}
    ).where(
        (QuestionnaireVersion.id == version_id) & (QuestionnaireVersion.status == "draft")
    ).returning(QuestionnaireVersion.id)
    return len(rows)


async def find_version(version_id: int) -> VersionRecord | None:
    row = (
        await QuestionnaireVersion.select(*_VERSION_COLUMNS)
        .where(QuestionnaireVersion.id == version_id)
        .first()
    )
    return _version(row) if row else None


async def versions_of(questionnaire_id: int) -> list[VersionRecord]:
    rows = (
        await QuestionnaireVersion.select(*_VERSION_COLUMNS)
        .where(QuestionnaireVersion.questionnaire == questionnaire_id)
        .order_by(QuestionnaireVersion.version_no, ascending=False)
    )
    return [_version(r) for r in rows]


async def max_version_no(questionnaire_id: int) -> int:
    row = (
        await QuestionnaireVersion.select(QuestionnaireVersion.version_no)
        .where(QuestionnaireVersion.questionnaire == questionnaire_id)
        .order_by(QuestionnaireVersion.version_no, ascending=False)
        .first()
    )
    return int(row["version_no"]) if row else 0


async def questionnaire_lines() -> list[QuestionnaireLine]:
    questionnaires = await Questionnaire.select().order_by(Questionnaire.id)
    versions = await QuestionnaireVersion.select(
        QuestionnaireVersion.id,
        QuestionnaireVersion.questionnaire,
        QuestionnaireVersion.version_no,
        QuestionnaireVersion.status,
    ).order_by(QuestionnaireVersion.version_no)
    campaigns = await Campaign.select(Campaign.version.questionnaire.as_alias("q"))
    lines = []
    for q in questionnaires:
        mine = [v for v in versions if v["questionnaire"] == q["id"]]
        latest = mine[-1] if mine else None
        published = [v["version_no"] for v in mine if v["status"] == "published"]
        lines.append(
            QuestionnaireLine(
                id=q["id"],
                code=q["code"],
                title=q["title"],
                audience=q["audience"],
                latest_version_id=latest["id"] if latest else None,
                latest_version_no=latest["version_no"] if latest else None,
                latest_status=latest["status"] if latest else None,
                published_version_no=max(published) if published else None,
                campaigns=sum(1 for c in campaigns if c["q"] == q["id"]),
            )
        )
    return lines


async def version_in_use(version_id: int) -> bool:
    return bool(await Campaign.exists().where(Campaign.version == version_id))
