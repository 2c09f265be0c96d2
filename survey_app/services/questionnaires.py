"""Questionnaire authoring: import, drafts, publishing. A published version never changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import lru_cache
from typing import Any

from questionnaires.canonical import to_canonical_dict
from questionnaires.definition import from_canonical_dict, parse_definition
from questionnaires.diff import diff_versions
from questionnaires.flow import CHINA_TIME
from questionnaires.model import DefinitionError, Questionnaire
from questionnaires.shipped import shipped_questionnaires
from questionnaires.xlsform import read_xlsform
from survey_app.db.queries import audit
from survey_app.db.queries import questionnaires as queries
from survey_app.db.queries.questionnaires import VersionRecord as VersionRecord  # for the pages
from survey_app.errors import Conflict, InvalidInput
from survey_app.services.auth import CurrentUser

AUDIENCES = {"enterprise": "企业", "resident": "居民"}


class DraftChanged(Conflict):
    """A draft was saved from a revision that is no longer the stored one: someone (another tab,
    another administrator, the YAML editor) changed it meanwhile. Nothing was written."""

    def __init__(self, by: str, at: dt.datetime | None) -> None:
        super().__init__("这份草稿已在别处修改，没有保存")
        self.by = by  # who saved the stored revision ("" when the log does not say)
        self.at = at


class AuthoringError(InvalidInput):
    """A Chinese message (and optional located problems) for the questionnaire author."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def definition_hash(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@lru_cache(maxsize=256)
def _parse_cached(definition_json: str) -> Questionnaire:
    return from_canonical_dict(json.loads(definition_json))


_published: dict[tuple[int, str], tuple[queries.VersionRecord, Questionnaire]] = {}


async def questionnaire_for_version(
    version_id: int, definition_hash: str | None = None
) -> tuple[queries.VersionRecord, Questionnaire]:
    """The version row and its parsed questionnaire.

    A published version never changes, so with its hash known (respondent pages get it in the
    same query as the invitation) it comes from memory; otherwise the row is read and parsed
    (parsing cached by content).
    """
    if definition_hash is not None:
        cached = _published.get((version_id, definition_hash))
        if cached is not None:
            return cached
    version = await queries.find_version(version_id)
    if version is None:
        raise AuthoringError("问卷版本不存在")
    result = version, _parse_cached(json.dumps(version.definition, sort_keys=True))
    if version.status == "published" and len(_published) < 1000:
        _published[(version_id, version.definition_hash)] = result
    return result


def parse_upload(filename: str, data: bytes) -> Questionnaire:
    """A YAML, JSON or XLSForm file → questionnaire, with located Chinese errors."""
    name = filename.lower()
    try:
        if name.endswith((".xlsx", ".xls")):
            return read_xlsform(data)
        text = data.decode("utf-8-sig")
        return parse_definition(text, "json" if name.endswith(".json") else "yaml")
    except DefinitionError as error:
        raise AuthoringError(
            "问卷定义有误", [f"{p.location}：{p.message}" for p in error.problems]
        ) from None
    except UnicodeDecodeError:
        raise AuthoringError("文件不是 UTF-8 编码的文本，请另存为 UTF-8 后再上传") from None


def parse_text(text: str) -> Questionnaire:
    try:
        return parse_definition(text, "yaml")
    except DefinitionError as error:
        raise AuthoringError(
            "问卷定义有误", [f"{p.location}：{p.message}" for p in error.problems]
        ) from None


async def create_questionnaire(
    questionnaire: Questionnaire, audience: str, actor: CurrentUser | None, ip: str = ""
) -> int:
    """A new questionnaire with a draft version 1 (or a new draft if the code exists)."""
    if audience not in AUDIENCES:
        raise AuthoringError("调查对象只能是企业或居民")
    existing = await queries.find_questionnaire_id(questionnaire.id)
    if existing is not None:
        if await queries.questionnaire_audience(existing) != audience:
            raise AuthoringError(
                f"问卷代码 {questionnaire.id} 已用于另一类调查对象，请换一个代码"
            )
        return await save_new_draft(existing, questionnaire, actor, ip)
    questionnaire_id = await queries.insert_questionnaire(
        questionnaire.id, questionnaire.title, audience
    )
    return await save_new_draft(questionnaire_id, questionnaire, actor, ip)


async def save_new_draft(
    questionnaire_id: int, questionnaire: Questionnaire, actor: CurrentUser | None, ip: str = ""
) -> int:
    definition = to_canonical_dict(questionnaire)
    version_no = await queries.max_version_no(questionnaire_id) + 1
    version_id = await queries.insert_version(
        questionnaire_id, version_no, definition, definition_hash(definition),
        actor.id if actor else None,
    )
    await queries.update_questionnaire_title(questionnaire_id, questionnaire.title)
    await audit.record_event(
        "questionnaire.draft", actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "system", target=questionnaire.id, ip=ip,
        detail={"version": version_no},
    )
    return version_id


async def last_change(version: VersionRecord) -> tuple[str, dt.datetime | None]:
    """Who stored a version's current definition, and when, from the audit log."""
    for entry in await audit.recent_events_on(
        version.questionnaire_code, ("questionnaire.edit", "questionnaire.draft")
    ):
        if entry.detail.get("version") == version.version_no:
            return entry.actor_name, entry.at
    return "", None


async def edit_draft(
    version_id: int, questionnaire: Questionnaire, actor: CurrentUser, ip: str = "", *,
    base_hash: str | None = None, overwrite: bool = False,
) -> int:
    """Save an edit: a draft is edited in place, a published version gets a new draft.

    `base_hash` is the revision the editing page started from: a draft changed since then is
    not overwritten (DraftChanged) unless `overwrite` says the author chose to, which the audit
    entry records with whose change was replaced."""
    version, _ = await questionnaire_for_version(version_id)
    if version.status != "draft":
        return await save_new_draft(version.questionnaire_id, questionnaire, actor, ip)
    definition = to_canonical_dict(questionnaire)
    detail: dict[str, Any] = {"version": version.version_no}
    if base_hash is not None and base_hash != version.definition_hash and overwrite:
        by, at = await last_change(version)
        when = f"，{at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}" if at else ""
        detail["overwrote"] = f"{by or '未知'}{when} 保存的内容"
    expected = None if overwrite else base_hash
    if not await queries.replace_draft_definition(
        version_id, definition, definition_hash(definition), expected_hash=expected
    ):
        current, _ = await questionnaire_for_version(version_id)
        if current.status == "draft":  # not published: changed since the page's revision
            raise DraftChanged(*await last_change(current))
        raise AuthoringError("该版本刚刚已被发布，修改未保存；请重新打开编辑页面")
    await queries.update_questionnaire_title(version.questionnaire_id, questionnaire.title)
    await audit.record_event(
        "questionnaire.edit", actor_id=actor.id, actor_name=actor.username,
        target=version.questionnaire_code, ip=ip, detail=detail,
    )
    return version_id


async def publish(version_id: int, actor: CurrentUser | None, ip: str = "") -> None:
    version, _ = await questionnaire_for_version(version_id)
    if version.status != "draft" or not await queries.mark_published(version_id):
        raise AuthoringError("该版本已发布，不能再次发布")
    await audit.record_event(
        "questionnaire.publish", actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "system", target=version.questionnaire_code,
        ip=ip, detail={"version": version.version_no},
    )


async def changes_since_previous(version_id: int) -> list[str]:
    version, current = await questionnaire_for_version(version_id)
    older = [v for v in await queries.versions_of(version.questionnaire_id)
             if v.version_no < version.version_no]
    if not older:
        return []
    _, previous = await questionnaire_for_version(older[0].id)
    return diff_versions(previous, current)


async def install_shipped(actor: CurrentUser | None = None) -> dict[str, int]:
    """Import and publish the shipped questionnaires; returns code → published version id."""
    published = {}
    for code, questionnaire in shipped_questionnaires().items():
        audience = "enterprise" if code.startswith("enterprise") else "resident"
        version_id = await create_questionnaire(questionnaire, audience, actor)
        await publish(version_id, actor)
        published[questionnaire.id] = version_id
    return published


async def questionnaire_lines() -> list[queries.QuestionnaireLine]:
    """Every questionnaire with its versions, for the list page."""
    return await queries.questionnaire_lines()


async def versions_of(questionnaire_id: int) -> list[queries.VersionRecord]:
    return await queries.versions_of(questionnaire_id)
