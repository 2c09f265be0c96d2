"""A theme form returned with an error keeps everything the analyst (or the unit) typed:
the hand-over note, the chosen unit and date, a new name, the themes picked to merge, the
split's count and names, the ticked opinions, a unit's reply and a reviewer's comment."""

from __future__ import annotations

import html
import re

from survey_app.db.tables import Theme, Unit
from tests.conftest import login, post_form
from tests.web.test_themes_handover import _hand_over_parking
from tests.web.test_themes_pages import _analyst_with_themes, _theme_of

NOTE = "请对窗口服务态度问题制定整改措施"


def _textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    text = html.unescape(match.group(1))
    return text[1:] if text.startswith("\n") else text  # as a browser reads it


def _input_value(page: str, action: str, name: str) -> str:
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, f"no form {action}"
    match = re.search(rf'<input name="{name}"[^>]*?value="([^"]*)"', form.group(0))
    assert match, f"no value for {name} in {action}"
    return html.unescape(match.group(1))


def _selected(page: str, action: str) -> set[str]:
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, f"no form {action}"
    return set(re.findall(r'<option value="(\d+)" selected>', form.group(0)))


async def test_handover_past_deadline_keeps_unit_date_and_note(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    tax = await _theme_of(seeded.ids["tax"])
    unit = (await Unit.select(Unit.id).where(Unit.code == "U03").first())["id"]
    past = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/handover",
                           {"unit_id": str(unit), "deadline": "2020-01-01", "note": NOTE})
    assert past.status_code == 400 and "整改期限不能早于今天" in past.text
    assert _textarea(past.text, "note") == NOTE
    assert _selected(past.text, f"/themes/{tax}/handover") == {str(unit)}
    assert 'name="deadline" type="date" value="2020-01-01"' in past.text
    # No unit chosen: the note and the date stay too.
    no_unit = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/handover",
                              {"unit_id": "", "deadline": "2030-05-06", "note": NOTE})
    assert no_unit.status_code == 400 and "请选择承办单位" in no_unit.text
    assert _textarea(no_unit.text, "note") == NOTE
    assert 'name="deadline" type="date" value="2030-05-06"' in no_unit.text
    row = await Theme.select(Theme.status, Theme.handover_note).where(Theme.id == tax).first()
    assert row["status"] == "pending" and row["handover_note"] == ""


async def test_curation_forms_keep_what_was_typed(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    tax = await _theme_of(seeded.ids["tax"])
    parking = await _theme_of(seeded.ids["parking"])
    url = f"/themes/{tax}"

    long_label = "税" * 61
    renamed = await post_form(client, url, f"{url}/rename", {"label": long_label})
    assert renamed.status_code == 400 and "不能超过 60 个字" in renamed.text
    assert _input_value(renamed.text, f"{url}/rename", "label") == long_label

    pinned = await post_form(client, url, f"{url}/pin", {"keyword": "退 税"})
    assert pinned.status_code == 400 and "不含空格" in pinned.text
    assert _input_value(pinned.text, f"{url}/pin", "keyword") == "退 税"

    merged = await post_form(client, url, f"{url}/merge",
                             {"absorb": [str(parking)], "label": long_label})
    assert merged.status_code == 400 and "不能超过 60 个字" in merged.text
    assert _selected(merged.text, f"{url}/merge") == {str(parking)}
    assert _input_value(merged.text, f"{url}/merge", "label") == long_label

    split = await post_form(client, url, f"{url}/split", {"k": "12", "labels": "\n退税慢\n罚单多"})
    assert split.status_code == 400 and "拆分数量须为 2–10" in split.text
    assert _input_value(split.text, f"{url}/split", "k") == "12"
    # A leading blank line (the largest part keeps its default name) survives too.
    assert _textarea(split.text, "labels") == "\n退税慢\n罚单多"


async def test_move_error_keeps_the_ticked_opinions(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    tax = await _theme_of(seeded.ids["tax"])
    ticked = [str(i) for i in seeded.ids["tax"][:2]]
    failed = await post_form(client, f"/themes/{tax}", "/themes/move",
                             {"opinion": ticked, "target": "999999", "source": str(tax)})
    assert failed.status_code == 400 and "主题不存在" in failed.text
    checked = set(re.findall(r'name="opinion" value="(\d+)"[^>]*checked', failed.text))
    assert checked == set(ticked)


async def test_unit_reply_and_review_comment_are_kept(client, make_user) -> None:
    parking, _ = await _hand_over_parking(client, make_user)
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await login(client, "viewer1")
    url = f"/themes/assigned/{parking}"
    typed = "已增设临时停车位 30 个"
    failed = await post_form(client, url, f"{url}/reply", {"reply": typed, "status": ""})
    assert failed.status_code == 400 and "请选择整改状态" in failed.text
    assert _textarea(failed.text, "reply") == typed
    sent = await post_form(client, url, f"{url}/reply", {"reply": typed, "status": "review"})
    assert sent.status_code in (302, 303)

    await login(client, "analyst1")
    comment = "请补充现场照片"
    undecided = await post_form(client, url, f"{url}/review", {"comment": comment})
    assert undecided.status_code == 400 and "请选择验收通过或退回重办" in undecided.text
    assert _textarea(undecided.text, "comment") == comment


async def test_handing_over_again_starts_from_the_note_already_given(client, make_user) -> None:
    # An empty note would replace the instructions the unit has: the form starts from them.
    parking, _ = await _hand_over_parking(client, make_user)
    page = await client.get(f"/themes/{parking}")
    assert "重新转办" in page.text
    assert _textarea(page.text, "note") == "请核实老旧小区停车位"
