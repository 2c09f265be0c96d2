"""Two pages saving the same builder draft: the page carries the revision it started from
(the stored definition's hash); a save from an older revision is refused (409, in Chinese, with
who changed the draft and when) and stores nothing, until the author explicitly overwrites,
which is audited."""

import html
import json
import re

import pytest

from survey_app.db.tables import AuditLog, QuestionnaireVersion
from tests.conftest import csrf_from, login, post_form
from tests.web.test_questionnaire_builder import _blank, _state


@pytest.fixture
async def admin(client, make_user):  # type: ignore[no-untyped-def]
    await make_user("admin1", "admin")
    await login(client, "admin1")
    return client


async def _open(client, version_id: int) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    """What a freshly opened builder page holds: its state and its CSRF token."""
    page = await client.get(f"/questionnaires/versions/{version_id}/builder")
    assert page.status_code == 200
    return _state(page.text), csrf_from(page.text)


async def _save(client, version_id: int, definition: dict, revision: str | None,  # type: ignore[no-untyped-def]
                token: str, overwrite: bool = False):
    return await client.post(
        f"/questionnaires/versions/{version_id}/builder",
        content=json.dumps({"definition": definition, "revision": revision,
                            "overwrite": overwrite}),
        headers={"content-type": "application/json", "x-csrftoken": token},
    )


async def _stored(version_id: int) -> dict:
    row = await QuestionnaireVersion.select(QuestionnaireVersion.definition).where(
        QuestionnaireVersion.id == version_id).first()
    stored = row["definition"]
    return json.loads(stored) if isinstance(stored, str) else stored


def _first_question(definition: dict) -> dict:
    return definition["sections"][0]["questions"][0]


async def test_the_second_save_from_the_same_revision_is_refused(admin) -> None:
    version_id = await _blank(admin)
    tab1, token = await _open(admin, version_id)
    tab2, _ = await _open(admin, version_id)
    assert tab1["revision"] and tab1["revision"] == tab2["revision"]

    mine = json.loads(json.dumps(tab1["definition"]))
    _first_question(mine)["hint"] = "按营业执照填写"
    first = await _save(admin, version_id, mine, tab1["revision"], token)
    assert first.status_code == 200, first.text
    assert first.json()["revision"] != tab1["revision"]  # the page goes on from the new one

    theirs = json.loads(json.dumps(tab2["definition"]))
    _first_question(theirs)["label"] = "贵企业的所在街道"
    second = await _save(admin, version_id, theirs, tab2["revision"], token)
    assert second.status_code == 409
    body = second.json()
    assert body["ok"] is False and body["conflict"] is True
    assert body["message"].startswith("没有保存：这份草稿已在别处修改（admin1，")
    assert "您的修改仍在本页" in body["message"] and "仍然保存（覆盖对方的修改）" in body["message"]
    stored = _first_question(await _stored(version_id))
    assert stored["hint"] == "按营业执照填写" and stored["label"] != "贵企业的所在街道"

    # Going on from the revision the first save returned is no conflict.
    mine["title"] = "停车服务调查（修订）"
    again = await _save(admin, version_id, mine, first.json()["revision"], token)
    assert again.status_code == 200, again.text
    assert (await _stored(version_id))["title"] == "停车服务调查（修订）"


async def test_overwriting_is_explicit_and_audited(admin) -> None:
    version_id = await _blank(admin)
    tab1, token = await _open(admin, version_id)
    tab2, _ = await _open(admin, version_id)
    mine = json.loads(json.dumps(tab1["definition"]))
    _first_question(mine)["hint"] = "按营业执照填写"
    assert (await _save(admin, version_id, mine, tab1["revision"], token)).status_code == 200
    theirs = json.loads(json.dumps(tab2["definition"]))
    _first_question(theirs)["label"] = "贵企业的所在街道"
    assert (await _save(admin, version_id, theirs, tab2["revision"], token)).status_code == 409

    forced = await _save(admin, version_id, theirs, tab2["revision"], token, overwrite=True)
    assert forced.status_code == 200, forced.text
    stored = _first_question(await _stored(version_id))
    assert stored["label"] == "贵企业的所在街道" and "hint" not in stored
    rows = await AuditLog.select(AuditLog.action, AuditLog.detail).where(
        AuditLog.action == "questionnaire.edit").order_by(AuditLog.id)
    details = [json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]
               for r in rows]
    assert "overwrote" not in details[0]
    assert details[-1]["overwrote"].startswith("admin1，")

    audit_page = await admin.get("/admin/audit")
    assert "覆盖了别处的修改" in audit_page.text


async def test_a_stale_page_cannot_overwrite_a_published_version(admin) -> None:
    """Publishing is a change too: the stale page's save becomes a new draft, nothing is lost."""
    version_id = await _blank(admin)
    tab, token = await _open(admin, version_id)
    definition = json.loads(json.dumps(tab["definition"]))
    _first_question(definition)["label"] = "您近一年是否办过事"
    response = await post_form(admin, f"/questionnaires/versions/{version_id}/publish",
                               f"/questionnaires/versions/{version_id}/publish", {"confirm": "1"})
    assert response.status_code in (200, 302, 303), response.text
    saved = await _save(admin, version_id, definition, tab["revision"], token)
    assert saved.status_code == 200, saved.text
    assert saved.json()["new_version"] is True and saved.json()["version"] != version_id


def _textarea(page: str) -> str:
    found = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", page, re.S)
    assert found
    return html.unescape(found.group(1))


def _revision_field(page: str) -> str:
    found = re.search(r'name="revision" value="([0-9a-f]*)"', page)
    assert found, "the YAML editor carries the revision it started from"
    return found.group(1)


async def test_the_yaml_editor_does_not_silently_overwrite_a_builder_save(admin) -> None:
    """The YAML editor is the builder's other door to the same draft: an editor page opened
    before a builder save must not wipe that save; what was typed in the editor is kept."""
    version_id = await _blank(admin)
    editor_url = f"/questionnaires/versions/{version_id}/edit"
    editor = await admin.get(editor_url)
    revision, token = _revision_field(editor.text), csrf_from(editor.text)
    yaml_text = _textarea(editor.text)

    tab, builder_token = await _open(admin, version_id)
    mine = json.loads(json.dumps(tab["definition"]))
    _first_question(mine)["hint"] = "按营业执照填写"
    assert (await _save(admin, version_id, mine, tab["revision"], builder_token)).status_code == 200

    typed = yaml_text.replace("title: ", "title: 修订版 ", 1)
    refused = await admin.post(editor_url, data={
        "definition": typed, "revision": revision, "_csrf_token": token})
    assert refused.status_code == 409
    assert "没有保存：这份草稿已在别处修改（admin1，" in refused.text
    assert _textarea(refused.text) == typed  # the editor's text is kept as typed
    assert _revision_field(refused.text) == revision  # still the page's own starting point
    assert "仍然保存（覆盖对方的修改）" in refused.text
    assert _first_question(await _stored(version_id))["hint"] == "按营业执照填写"

    forced = await admin.post(editor_url, data={
        "definition": typed, "revision": revision, "overwrite": "1",
        "_csrf_token": csrf_from(refused.text)})
    assert forced.status_code in (302, 303), forced.text
    stored = await _stored(version_id)
    assert stored["title"].startswith("修订版 ") and "hint" not in _first_question(stored)
    rows = await AuditLog.select(AuditLog.detail).where(
        AuditLog.action == "questionnaire.edit").order_by(AuditLog.id)
    last = rows[-1]["detail"]
    assert (json.loads(last) if isinstance(last, str) else last)["overwrote"].startswith("admin1，")
