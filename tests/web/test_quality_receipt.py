"""Trial finding: a response known to be bad (a respondent filled in twice on paper) could not be
excluded unless the system had flagged it. The office finds it by its 回执编号 on the quality
page and excludes it with a reason (and restores it), audited, with the same effect on scores."""

from __future__ import annotations

from survey_app.db.queries import audit
from survey_app.db.tables import Response, UnitScore
from survey_app.jobs.runner import run_next_job
from survey_app.services.submissions import receipt_code
from tests.conftest import post_form
from tests.db.test_scores_seed import first_row
from tests.web.test_scores_pages import _office_computes

PHONE = "13812345678"


async def _n_total() -> int:
    latest = await first_row(UnitScore.select(UnitScore.run).order_by(UnitScore.id, ascending=False))
    rows = await UnitScore.select(UnitScore.n).where(UnitScore.run == latest["run"])
    return sum(r["n"] for r in rows)


async def _recompute(client) -> int:  # type: ignore[no-untyped-def]
    await post_form(client, "/scores", "/scores/compute", {"period": "2026-Q3", "audience": "enterprise"})
    assert await run_next_job("test")
    return await _n_total()


async def test_office_excludes_and_restores_a_response_by_its_receipt(client, make_user, make_unit) -> None:
    _, seeded = await _office_computes(client, make_user, make_unit)
    before = await _n_total()
    target = await first_row(
        Response.select(Response.id, Response.submission_id, Response.answers)
        .where((Response.campaign == seeded.campaign_id) & (Response.quality_flags == ""))
        .order_by(Response.id)
    )
    # a free-text answer that slipped through with a phone number must never be shown
    answers = dict(target["answers"]) if isinstance(target["answers"], dict) else {}
    await Response.update({Response.answers: {**answers, "备注": f"联系 {PHONE}"}}).where(
        Response.id == target["id"]
    )
    code = receipt_code(target["id"], target["submission_id"])
    quality_url = f"/scores/quality/{seeded.campaign_id}"

    listing = await client.get(quality_url)
    assert "回执编号" in listing.text and 'name="receipt"' in listing.text

    wrong = await client.get(quality_url, params={"receipt": code[:-1] + ("0" if code[-1] != "0" else "1")})
    assert wrong.status_code == 200 and "没有找到回执编号" in wrong.text

    found = await client.get(quality_url, params={"receipt": code.lower()})  # typed in any case
    assert found.status_code == 200
    assert code in found.text and "有效" in found.text and "2026" in found.text
    assert PHONE not in found.text and target["submission_id"] not in found.text
    assert 'value="exclude"' in found.text

    action = f"/scores/quality/responses/{target['id']}"
    short = await post_form(
        client,
        f"{quality_url}?receipt={code}",
        action,
        {"decision": "exclude", "reason": "重", "receipt": code},
    )
    assert short.status_code == 400 and "请填写剔除的理由（至少 2 个字）" in short.text
    assert code in short.text and 'value="重"' in short.text  # the lookup and the typed reason stay

    done = await post_form(
        client,
        f"{quality_url}?receipt={code}",
        action,
        {"decision": "exclude", "reason": "企业来电反映纸质问卷重复填写", "receipt": code},
    )
    assert done.status_code in (302, 303) and code in done.headers["location"]
    row = await first_row(Response.select().where(Response.id == target["id"]))
    assert row["status"] == "excluded" and row["exclusion_reason"] == "企业来电反映纸质问卷重复填写"
    event = (await audit.recent_events(action="response.exclude"))[0]
    assert event.actor_name == "office1" and event.detail["receipt"] == code
    assert event.detail["reason"] == "企业来电反映纸质问卷重复填写"
    shown = await client.get(done.headers["location"])
    assert "已剔除" in shown.text and 'value="restore"' in shown.text
    assert "企业来电反映纸质问卷重复填写" in (await client.get(quality_url)).text  # listed too

    assert await _recompute(client) < before  # the same effect as a reviewed exclusion

    restored = await post_form(
        client, quality_url, action, {"decision": "restore", "reason": "核实后并非重复", "receipt": code}
    )
    assert restored.status_code in (302, 303)
    row = await first_row(Response.select().where(Response.id == target["id"]))
    assert row["status"] == "complete" and row["exclusion_reason"] == ""
    assert (await audit.recent_events(action="response.restore"))[0].detail["receipt"] == code
    assert await _recompute(client) == before


async def test_unflagged_exclusion_still_needs_the_receipt(client, make_user, make_unit) -> None:
    """Without the code a respondent quoted, an unflagged response is not excluded by id."""
    _, seeded = await _office_computes(client, make_user, make_unit)
    target = await first_row(
        Response.select(Response.id).where(Response.quality_flags == "").order_by(Response.id)
    )
    quality_url = f"/scores/quality/{seeded.campaign_id}"
    refused = await post_form(
        client, quality_url, f"/scores/quality/responses/{target['id']}",
        {"decision": "exclude", "reason": "重复填写", "receipt": "000001-ABCDEF12"},
    )  # fmt: skip
    assert refused.status_code == 400 and "回执编号与答卷不符" in refused.text
    row = await first_row(Response.select(Response.status).where(Response.id == target["id"]))
    assert row["status"] == "complete"
