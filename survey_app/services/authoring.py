"""Questionnaire authoring for the admin pages, on top of services/questionnaires.py.

That module owns drafts, publishing and diffs; this one adds what authors meet on the pages:
shipped templates, upload limits and import warnings, edits that keep the questionnaire code,
a check against the unit register before publishing, and audited exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from questionnaires.canonical import dump_yaml, to_canonical_dict
from questionnaires.definition import from_canonical_dict
from questionnaires.model import DefinitionError, Questionnaire
from questionnaires.shipped import shipped_questionnaires
from questionnaires.xlsform import read_xlsform_report, write_xlsform
from survey_app.db.queries import audit
from survey_app.db.queries import authoring as queries
from survey_app.db.queries import questionnaires as versions
from survey_app.db.queries.authoring import QuestionnaireRecord, VersionUsage
from survey_app.db.queries.questionnaires import VersionRecord
from survey_app.services import questionnaires
from survey_app.services.auth import CurrentUser
from survey_app.services.questionnaires import AuthoringError, definition_hash

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx", ".xls")
XLSFORM_SUFFIXES = (".xlsx", ".xls")
MAX_TITLE_CHARS = 200  # the questionnaire.title column
ExportFormat = Literal["yaml", "xlsx"]
_MEDIA_TYPES = {
    "yaml": "application/yaml; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class TemplateChoice:
    id: str
    title: str
    audience: str
    questions: int


@dataclass(frozen=True)
class Imported:
    """A definition read from a template, file or text, with what the import skipped."""

    questionnaire: Questionnaire
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SavedEdit:
    version: VersionRecord
    new_version: bool  # a published version was edited, so a new draft was made
    unchanged: bool  # the text defined exactly what was stored; nothing was written


@dataclass(frozen=True)
class VersionSummary:
    record: VersionRecord
    changes: tuple[str, ...]  # from the previous version, in Chinese
    usage: VersionUsage
    unknown_units: tuple[str, ...]  # referenced unit codes missing from the unit register


@dataclass(frozen=True)
class Overview:
    questionnaire: QuestionnaireRecord
    versions: tuple[VersionSummary, ...]  # newest first


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    media_type: str


def _located(error: DefinitionError) -> list[str]:
    return [str(problem) for problem in error.problems]


@cache
def _templates() -> dict[str, Questionnaire]:
    return shipped_questionnaires()


def template_audience(template_id: str) -> str:
    # The shipped library names its questionnaires enterprise-… or resident-…/livelihood-….
    return "enterprise" if template_id.startswith("enterprise") else "resident"


def shipped_templates() -> list[TemplateChoice]:
    return [
        TemplateChoice(q.id, q.title, template_audience(q.id), sum(1 for _ in q.iter_questions()))
        for q in _templates().values()
    ]


def from_template(template_id: str, code: str = "", title: str = "") -> Imported:
    """A shipped questionnaire, optionally under a new code and title (a new questionnaire)."""
    template = _templates().get(template_id)
    if template is None:
        raise AuthoringError("请选择一个问卷模板")
    definition = {
        **to_canonical_dict(template),
        "id": code.strip() or template.id,
        "title": title.strip() or template.title,
    }
    try:
        return _checked(Imported(from_canonical_dict(definition)))
    except DefinitionError as error:
        raise AuthoringError("问卷代码或标题有误", _located(error)) from None


def editable_text(filename: str, data: bytes) -> str:
    """The text of a YAML/JSON upload, to put back in the text box when it has errors."""
    if filename.lower().endswith(XLSFORM_SUFFIXES):
        return ""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ""


def read_upload(filename: str, data: bytes) -> Imported:
    """A .yaml/.yml/.json/.xlsx upload of at most 5 MB → questionnaire, or located errors."""
    if not filename.lower().endswith(UPLOAD_SUFFIXES):
        raise AuthoringError("只能上传 .yaml、.yml、.json、.xlsx 或 .xls（XLSForm）文件")
    if len(data) > MAX_UPLOAD_BYTES:
        raise AuthoringError(f"文件过大：不能超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    if not data:
        raise AuthoringError("上传的文件是空的")
    if not filename.lower().endswith(XLSFORM_SUFFIXES):
        return _checked(Imported(questionnaires.parse_upload(filename, data)))
    try:
        report = read_xlsform_report(data)
    except DefinitionError as error:
        # The notes on skipped or converted rows explain many problems: keep them.
        notes = [f"提示：{w}" for w in getattr(error, "warnings", ())]
        raise AuthoringError("XLSForm 文件有误", _located(error) + notes) from None
    return _checked(Imported(report.questionnaire, tuple(str(w) for w in report.warnings)))


def read_text(text: str) -> Imported:
    if not text.strip():
        raise AuthoringError("问卷定义是空的，请填写 YAML 内容")
    return _checked(Imported(questionnaires.parse_text(text)))


def _checked(imported: Imported) -> Imported:
    # The database column is shorter than anything the definition checks allow.
    if len(imported.questionnaire.title) > MAX_TITLE_CHARS:
        raise AuthoringError("问卷定义有误", [f"问卷的 title：标题不能超过 {MAX_TITLE_CHARS} 个字"])
    return imported


async def unknown_unit_codes(questionnaire: Questionnaire) -> tuple[str, ...]:
    referenced = questionnaire.referenced_unit_codes()
    return tuple(sorted(referenced - await queries.known_unit_codes(referenced)))


async def save_edit(
    version_id: int, text: str, actor: CurrentUser, ip: str, *,
    base_hash: str | None = None, overwrite: bool = False,
) -> SavedEdit:
    """Save edited YAML: a draft in place, a published version as a new draft; like the
    builder, refused (DraftChanged) when the draft changed since the editor page was opened."""
    return await save_questionnaire(
        version_id, read_text(text).questionnaire, actor, ip,
        base_hash=base_hash, overwrite=overwrite,
    )


async def save_questionnaire(
    version_id: int, edited: Questionnaire, actor: CurrentUser, ip: str, *,
    base_hash: str | None = None, overwrite: bool = False,
) -> SavedEdit:
    """Save an edited questionnaire (from the YAML editor or the builder); edit_draft audits.
    With `base_hash` (the revision the page started from), questionnaires.DraftChanged when
    the draft was changed elsewhere since, unless `overwrite`."""
    version, _ = await questionnaires.questionnaire_for_version(version_id)
    if edited.id != version.questionnaire_code:
        raise AuthoringError("问卷代码不能修改", [
            f"问卷的 id：应为 {version.questionnaire_code}（要另建问卷，请使用“新建问卷”）"
        ])
    _checked(Imported(edited))
    expected_hash = definition_hash(to_canonical_dict(edited))
    if expected_hash == version.definition_hash:
        return SavedEdit(version, new_version=False, unchanged=True)
    saved_id = await questionnaires.edit_draft(
        version_id, edited, actor, ip, base_hash=base_hash, overwrite=overwrite
    )
    saved = await versions.find_version(saved_id)
    # edit_draft leaves a version that was published meanwhile untouched; say so, not "saved".
    if saved is None or saved.definition_hash != expected_hash:
        raise AuthoringError("该版本刚刚已被发布，修改没有保存；请再次保存以生成新的草稿版本")
    return SavedEdit(saved, new_version=saved_id != version_id, unchanged=False)


async def publish_checked(version_id: int, actor: CurrentUser, ip: str) -> VersionRecord:
    """Publish a draft, refusing while it rates units the register does not know."""
    version, questionnaire = await questionnaires.questionnaire_for_version(version_id)
    missing = await unknown_unit_codes(questionnaire)
    if missing:
        await audit.record_event(
            "questionnaire.publish", actor_id=actor.id, actor_name=actor.username,
            target=version.questionnaire_code, success=False, ip=ip,
            detail={"version": version.version_no, "unknown_units": list(missing)},
        )
        raise AuthoringError(
            "不能发布：问卷引用了单位名录中没有的单位代码。请先在“单位”中添加这些单位，或修改问卷。",
            [f"单位代码 {code}：单位名录中不存在" for code in missing],
        )
    await questionnaires.publish(version_id, actor, ip)
    published = await versions.find_version(version_id)
    assert published is not None
    return published


async def overview(questionnaire_id: int) -> Overview | None:
    """A questionnaire with each version's changes, usage and unit-register problems."""
    record = await queries.find_questionnaire(questionnaire_id)
    if record is None:
        return None
    usage = await queries.version_usage(questionnaire_id)
    summaries = []
    for version in await versions.versions_of(questionnaire_id):
        _, questionnaire = await questionnaires.questionnaire_for_version(version.id)
        summaries.append(VersionSummary(
            record=version,
            changes=tuple(await questionnaires.changes_since_previous(version.id)),
            usage=usage.get(version.id, VersionUsage()),
            unknown_units=await unknown_unit_codes(questionnaire),
        ))
    return Overview(record, tuple(summaries))


async def export_version(
    version_id: int, fmt: ExportFormat, actor: CurrentUser, ip: str
) -> ExportFile:
    """The version as our YAML or as an XLSForm workbook; every export is audited."""
    version, questionnaire = await questionnaires.questionnaire_for_version(version_id)
    content = (
        dump_yaml(questionnaire).encode("utf-8") if fmt == "yaml" else write_xlsform(questionnaire)
    )
    await audit.record_event(
        "questionnaire.export", actor_id=actor.id, actor_name=actor.username,
        target=version.questionnaire_code, ip=ip,
        detail={"version": version.version_no, "format": fmt},
    )
    return ExportFile(
        f"{version.questionnaire_code}-v{version.version_no}.{fmt}", content, _MEDIA_TYPES[fmt]
    )
