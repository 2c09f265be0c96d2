"""Finding 7: staff accounts can be recovered by an administrator (unlock, temporary password,
disable/enable), forms keep their values on error, success is confirmed, and the login page
says whom to contact."""

from __future__ import annotations

import re

from survey_app.db.queries import audit
from survey_app.db.tables import User, UserSession
from tests.conftest import TEST_PASSWORD, login, post_form


async def _admin(client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin1", "admin")
    await login(client, "admin1")


async def test_a_locked_account_is_unlocked_by_an_admin(client, app, make_user) -> None:
    import httpx

    analyst_id = await make_user("analyst1", "analyst")
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as other:
        for _ in range(5):
            await login(other, "analyst1", "Wrong-Passw0rd!!")
        assert "锁定" in (await login(other, "analyst1")).text
        await _admin(client, make_user)
        listing = await client.get("/admin/users")
        assert "已锁定" in listing.text and f"/admin/users/{analyst_id}/unlock" in listing.text
        done = await post_form(client, "/admin/users", f"/admin/users/{analyst_id}/unlock", {})
        assert done.status_code in (302, 303)
        assert "已解锁账号" in (await client.get(done.headers["location"])).text
        again = await login(other, "analyst1")
        assert again.status_code in (302, 303)
    assert "user.unlock" in [e.action for e in await audit.recent_events()]


async def test_password_reset_gives_a_temporary_password_to_change_at_next_login(
        client, app, make_user) -> None:
    import httpx

    analyst_id = await make_user("analyst1", "analyst")
    await _admin(client, make_user)
    response = await post_form(client, "/admin/users",
                               f"/admin/users/{analyst_id}/password-reset", {})
    assert response.status_code == 200
    match = re.search(r'<code class="token-once">([^<]+)</code>', response.text)
    assert match, "the temporary password is shown once"
    temporary = match.group(1)
    row = await User.select(User.must_change_password).where(User.id == analyst_id).first()
    assert row["must_change_password"]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as other:
        assert (await login(other, "analyst1", TEST_PASSWORD)).status_code == 400
        first = await login(other, "analyst1", temporary)
        assert first.headers["location"] == "/account/password"
    events = await audit.recent_events(action="user.password_reset")
    assert events and events[0].target == "analyst1" and temporary not in str(events[0].detail)


async def test_disable_ends_sessions_and_refuses_login_then_enable(client, app, make_user) -> None:
    import httpx

    analyst_id = await make_user("analyst1", "analyst")
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50003))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as other:
        await login(other, "analyst1")
        assert (await other.get("/themes")).status_code == 200
        await _admin(client, make_user)
        off = await post_form(client, "/admin/users", f"/admin/users/{analyst_id}/active",
                              {"active": "0"})
        assert off.status_code in (302, 303)
        assert await UserSession.count().where(UserSession.user == analyst_id) == 0
        assert (await other.get("/themes", follow_redirects=False)).status_code in (302, 303)
        assert (await login(other, "analyst1")).status_code == 400
        await post_form(client, "/admin/users", f"/admin/users/{analyst_id}/active",
                        {"active": "1"})
        assert (await login(other, "analyst1")).status_code in (302, 303)
    actions = [e.action for e in await audit.recent_events()]
    assert "user.disable" in actions and "user.enable" in actions


async def test_an_admin_cannot_disable_themselves(client, make_user) -> None:
    await _admin(client, make_user)
    own = (await User.select(User.id).where(User.username == "admin1").first())["id"]
    refused = await post_form(client, "/admin/users", f"/admin/users/{own}/active", {"active": "0"})
    assert refused.status_code == 400 and "不能停用自己的账号" in refused.text


async def test_a_weak_password_keeps_every_other_field(client, make_user, make_unit) -> None:
    await make_unit("U07", "区行政审批局")
    await _admin(client, make_user)
    response = await post_form(client, "/admin/users", "/admin/users", {
        "username": "viewer7", "password": "short", "role": "unit_viewer",
        "display_name": "李四", "unit_code": "U07"})
    assert response.status_code == 400
    assert "至少需要 12 个字符" in response.text
    assert 'value="viewer7"' in response.text and 'value="李四"' in response.text
    assert '<option value="unit_viewer" selected>' in response.text
    assert '<option value="U07" selected>' in response.text
    created = await post_form(client, "/admin/users", "/admin/users", {
        "username": "viewer7", "password": "Viewer-Passw0rd-7", "role": "unit_viewer",
        "display_name": "李四", "unit_code": "U07"})
    assert "已创建账号，首次登录时须修改初始密码" in (await client.get(created.headers["location"])).text


async def test_login_page_says_whom_to_contact(client) -> None:
    page = await client.get("/login")
    assert "忘记密码、账号被锁定或停用：请联系本单位的系统管理员" in page.text


async def test_login_page_names_the_configured_contact(db, settings) -> None:
    import dataclasses

    import httpx

    from survey_app.app import create_app

    configured = dataclasses.replace(settings, support_contact="区绩效办 张工 0571-8888 1234")
    transport = httpx.ASGITransport(app=create_app(configured, engine=db),
                                    client=("127.0.0.1", 50004))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as web:
        page = await web.get("/login")
    assert "请联系区绩效办 张工 0571-8888 1234" in page.text


async def test_saving_a_role_unchanged_logs_nothing_and_keeps_the_session(
        client, make_user, make_unit) -> None:
    """Trial: the admin saved their own row as it was; the log said 系统管理员→系统管理员 and
    the admin was logged out."""
    await make_unit("U07", "区行政审批局")
    await make_unit("U08", "区自然资源和规划分局")
    viewer = await make_user("viewer7", "unit_viewer", unit_code="U07")
    await _admin(client, make_user)
    own = (await User.select(User.id).where(User.username == "admin1").first())["id"]
    sessions_before = await UserSession.count()
    saved = await post_form(client, "/admin/users", f"/admin/users/{own}/role",
                            {"role": "admin", "unit_code": ""})
    assert saved.status_code in (302, 303)
    after = await client.get(saved.headers["location"])
    assert after.status_code == 200 and "角色未改变，未作修改" in after.text
    same_viewer = await post_form(client, "/admin/users", f"/admin/users/{viewer}/role",
                                  {"role": "unit_viewer", "unit_code": "U07"})
    assert same_viewer.status_code in (302, 303)
    assert await audit.recent_events(action="user.role") == []
    assert await UserSession.count() == sessions_before

    refused = await post_form(client, "/admin/users", f"/admin/users/{own}/role",
                              {"role": "analyst", "unit_code": ""})
    assert refused.status_code == 400 and "不能修改自己的角色" in refused.text

    moved = await post_form(client, "/admin/users", f"/admin/users/{viewer}/role",
                            {"role": "unit_viewer", "unit_code": "U08"})
    assert moved.status_code in (302, 303)
    events = await audit.recent_events(action="user.role")
    assert len(events) == 1 and events[0].target == "viewer7"
    assert events[0].detail["unit"] == "U08" and events[0].detail["unit_before"] == "U07"
    assert (await client.get("/admin/users")).status_code == 200
