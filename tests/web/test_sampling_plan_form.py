"""Finding 5: the sampling form keeps every entered value after an error, and the draw uses
exactly the previewed plan (a fingerprint shown with the preview and the result, and checked)."""

from __future__ import annotations

from survey_app.db.tables import Campaign, Invitation, Respondent
from tests.conftest import post_form
from tests.db.test_sampling_service import load_roster, new_campaign, published_version
from tests.web.test_campaigns import PLAN_FORM, admin, fingerprint_of


async def test_a_neyman_error_keeps_every_value(client, make_user) -> None:
    await admin(client, make_user)
    await load_roster()
    url = f"/campaigns/{await new_campaign(await published_version())}"
    typed = {"strata": ["industry"], "size_mode": "n", "rate_percent": "25", "total_n": "30",
             "allocation": "neyman", "min_per_stratum": "3", "exclude_recent": "2",
             "seed": "987654321", "stddevs": "", "action": "preview"}
    response = await post_form(client, url, f"{url}/plan", typed)
    assert response.status_code == 400 and "奈曼分配需要填写各层的标准差" in response.text
    html = response.text
    assert 'name="seed" min="0" value="987654321"' in html
    assert 'name="min_per_stratum" min="0" value="3"' in html
    assert 'name="exclude_recent" min="0" max="20" value="2"' in html
    assert 'name="total_n" min="1" value="30"' in html
    assert '<option value="neyman" selected>' in html
    assert 'name="size_mode" value="n" checked' in html
    assert 'value="industry" checked' in html and 'value="size_class" checked' not in html


async def test_the_draw_is_the_previewed_plan(client, make_user) -> None:
    await admin(client, make_user)
    await load_roster()
    url = f"/campaigns/{await new_campaign(await published_version())}"
    preview = await post_form(client, url, f"{url}/plan", {**PLAN_FORM, "action": "preview"})
    fingerprint = fingerprint_of(preview.text)
    assert f'id="plan-fingerprint">{fingerprint}<' in preview.text

    # Without a preview there is no draw.
    blind = await post_form(client, url, f"{url}/plan", {**PLAN_FORM, "action": "draw"})
    assert blind.status_code == 400 and "请先预览分配" in blind.text
    # A plan other than the previewed one (another seed) is refused, and nothing is drawn.
    changed = await post_form(client, url, f"{url}/plan", {
        **PLAN_FORM, "seed": "1", "action": "draw", "fingerprint": fingerprint})
    assert changed.status_code == 400 and "与预览时不一致" in changed.text
    assert 'name="seed" min="0" value="1"' in changed.text  # still what was sent
    assert await Invitation.count() == 0

    drawn = await post_form(client, url, f"{url}/plan",
                            {**PLAN_FORM, "action": "draw", "fingerprint": fingerprint})
    assert drawn.status_code in (302, 303)
    result = await client.get(drawn.headers["location"])
    assert f'id="plan-fingerprint">{fingerprint}<' in result.text
    stored = (await Campaign.select(Campaign.sampling_plan, Campaign.seed).first())
    assert stored["seed"] == int(PLAN_FORM["seed"])


async def test_a_roster_change_after_the_preview_is_caught(client, make_user) -> None:
    await admin(client, make_user)
    await load_roster()
    url = f"/campaigns/{await new_campaign(await published_version())}"
    preview = await post_form(client, url, f"{url}/plan", {**PLAN_FORM, "action": "preview"})
    first = await Respondent.select(Respondent.id).first()
    await Respondent.update({Respondent.status: "closed"}).where(Respondent.id == first["id"])
    refused = await post_form(client, url, f"{url}/plan", {
        **PLAN_FORM, "action": "draw", "fingerprint": fingerprint_of(preview.text)})
    assert refused.status_code == 400 and "与预览时不一致" in refused.text
    assert await Invitation.count() == 0
