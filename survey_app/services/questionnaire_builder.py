"""The browser questionnaire builder: what its page starts from, and saving what it sends.

The server stays authoritative: the page edits the canonical definition as JSON and sends it
whole; it is read by the same parser and checks as a YAML import (questionnaires/builder.py) and
saved through the same path as the YAML editor (a draft in place, a published version as a new
draft; audited as 编辑问卷). Problems come back located by section and question titles.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from questionnaires.builder import (
    BuilderError,
    BuilderProblem,
    blank_definition,
    read_builder_definition,
)
from questionnaires.canonical import to_canonical_dict
from questionnaires.definition import from_canonical_dict
from questionnaires.model import QUESTION_TYPE_LABELS, DefinitionError, Questionnaire
from survey_app.db.queries.questionnaires import VersionRecord
from survey_app.services import authoring, questionnaires, units
from survey_app.services.auth import CurrentUser
from survey_app.services.authoring import SavedEdit
from survey_app.services.questionnaires import AuthoringError


@dataclass(frozen=True)
class BuilderPage:
    version: VersionRecord
    state: dict[str, Any]  # the JSON the page's script starts from


class BuilderRejected(AuthoringError):
    """The draft has problems; each is located by titles, with indices for the page."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("问卷有误，没有保存", [f"{p['location']}：{p['message']}" for p in problems])
        self.located = problems


async def unit_groups() -> list[dict[str, Any]]:
    """Active units by class (in the register's order), for the matrix rows and unit menus."""
    groups: dict[str, list[dict[str, str]]] = {}
    for unit in await units.list_units():
        if unit.active:
            groups.setdefault(unit.category or "未分类", []).append(
                {"code": unit.code, "name": unit.name}
            )
    return [{"category": category, "units": members} for category, members in groups.items()]


async def builder_page(version_id: int) -> BuilderPage:
    version, questionnaire = await questionnaires.questionnaire_for_version(version_id)
    state = {
        "definition": to_canonical_dict(questionnaire),
        "units": await unit_groups(),
        "types": [{"value": str(kind), "label": label}
                  for kind, label in QUESTION_TYPE_LABELS.items()],
        "published": version.status == "published",
        "version": version.id,
        # The revision the page starts from: a save from an older one is refused (two tabs).
        "revision": version.definition_hash,
    }
    return BuilderPage(version, state)


async def preview_draft(version_id: int, data: object) -> Questionnaire:
    """The unsaved draft of a version's builder, checked, for the live preview."""
    await questionnaires.questionnaire_for_version(version_id)  # AuthoringError if none
    return read_draft(data)


def read_draft(data: object) -> Questionnaire:
    """The builder's JSON as a questionnaire, or BuilderRejected with every problem."""
    try:
        return read_builder_definition(data)
    except BuilderError as error:
        raise BuilderRejected([problem.as_json() for problem in error.problems]) from None


async def save_draft(
    version_id: int, data: object, actor: CurrentUser, ip: str, *,
    revision: str | None = None, overwrite: bool = False,
) -> SavedEdit:
    """Save the page's draft; questionnaires.DraftChanged when the stored draft is no longer the
    `revision` the page started from (changed in another tab or by someone else), unless the
    author chose to `overwrite` it."""
    version, _ = await questionnaires.questionnaire_for_version(version_id)
    if isinstance(data, dict):
        data = {**data, "id": version.questionnaire_code}  # the builder never changes the code
    edited = read_draft(data)
    if len(edited.title) > authoring.MAX_TITLE_CHARS:  # the column is shorter than checks allow
        raise BuilderRejected([BuilderProblem(
            "问卷的标题", f"标题不能超过 {authoring.MAX_TITLE_CHARS} 个字", field="title"
        ).as_json()])
    try:
        return await authoring.save_questionnaire(
            version_id, edited, actor, ip, base_hash=revision, overwrite=overwrite
        )
    except AuthoringError as error:  # e.g. the version was published meanwhile
        raise BuilderRejected(
            [BuilderProblem("问卷", message).as_json() for message in error.problems or [str(error)]]
        ) from None


def _new_code() -> str:
    # Codes are internal; clerks need not invent one (survey-20261206-3f9a).
    return f"survey-{dt.date.today():%Y%m%d}-{secrets.token_hex(2)}"


async def create_blank(
    title: str, audience: str, actor: CurrentUser, ip: str, code: str = ""
) -> int:
    """A new questionnaire to build in the browser; returns its draft version id."""
    if not title.strip():
        raise AuthoringError("请填写问卷标题")
    if len(title.strip()) > authoring.MAX_TITLE_CHARS:
        raise AuthoringError(f"问卷标题不能超过 {authoring.MAX_TITLE_CHARS} 个字")
    definition = blank_definition(code.strip() or _new_code(), title.strip())
    try:
        questionnaire = from_canonical_dict(definition)
    except DefinitionError as error:
        raise AuthoringError("问卷代码有误", [str(p) for p in error.problems]) from None
    return await questionnaires.create_questionnaire(questionnaire, audience, actor, ip)
