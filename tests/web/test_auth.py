import datetime as dt

from survey_app.db.queries import audit
from survey_app.db.tables import User, UserSession
from tests.conftest import TEST_PASSWORD, csrf_from, login, post_form


async def test_login_success_sets_httponly_session_and_audits(client, make_user) -> None:
    await make_user("office1", "office")
    response = await login(client, "office1")
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "sid=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = await client.get("/")
    assert home.status_code == 200 and "您好" in home.text
    events = await audit.recent_events(action="login")
    assert events[0].success and events[0].actor_name == "office1"


async def test_login_failure_is_generic_and_audited(client, make_user) -> None:
    await make_user("office1", "office")
    response = await login(client, "office1", "Wrong-Passw0rd!!")
    assert response.status_code == 400
    assert "用户名或密码错误" in response.text
    unknown = await login(client, "nobody", "Wrong-Passw0rd!!")
    assert "用户名或密码错误" in unknown.text  # same message: no username enumeration
    events = await audit.recent_events(action="login")
    assert [e.success for e in events] == [False, False]


async def test_lockout_after_five_failures_even_with_right_password(client, make_user) -> None:
    await make_user("office1", "office")
    for _ in range(5):
        await login(client, "office1", "Wrong-Passw0rd!!")
    locked = await login(client, "office1", TEST_PASSWORD)
    assert locked.status_code == 400
    assert "锁定" in locked.text
    row = await User.select(User.failed_logins, User.locked_until).first()
    assert row["failed_logins"] == 5 and row["locked_until"] is not None


async def test_anonymous_is_sent_to_login(client) -> None:
    response = await client.get("/units", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login?next=/units")


async def test_post_without_csrf_token_is_rejected(client, make_user) -> None:
    await make_user("admin1", "admin")
    await login(client, "admin1")
    response = await client.post(
        "/admin/users", data={"username": "x1", "password": "Aa-1234567890", "role": "analyst"}
    )
    assert response.status_code == 403
    assert "刷新页面" in response.text
    assert await User.count() == 1


async def test_logout_ends_the_session_server_side(client, make_user) -> None:
    await make_user("office1", "office")
    await login(client, "office1")
    page = await client.get("/")
    response = await client.post("/logout", data={"_csrf_token": csrf_from(page.text)})
    assert response.status_code in (302, 303)
    assert await UserSession.count() == 0
    again = await client.get("/", follow_redirects=False)
    assert again.status_code in (302, 303)


async def test_idle_session_expires(client, make_user) -> None:
    await make_user("office1", "office")
    await login(client, "office1")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    await UserSession.update({UserSession.last_seen_at: long_ago}).where(UserSession.id > 0)
    response = await client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert await UserSession.count() == 0


async def test_initial_password_must_be_changed_first(client, make_user) -> None:
    await make_user("new1", "analyst", must_change_password=True)
    response = await login(client, "new1")
    assert response.headers["location"] == "/account/password"
    blocked = await client.get("/units", follow_redirects=False)
    assert blocked.headers["location"] == "/account/password"
    changed = await post_form(client, "/account/password", "/account/password", {
        "current_password": TEST_PASSWORD, "new_password": "Brand-New-Pass-42",
        "repeat_password": "Brand-New-Pass-42"})
    assert "密码已修改" in changed.text
    assert (await client.get("/units")).status_code == 200


async def test_weak_new_password_is_explained(client, make_user) -> None:
    await make_user("new1", "analyst")
    await login(client, "new1")
    response = await post_form(client, "/account/password", "/account/password", {
        "current_password": TEST_PASSWORD, "new_password": "short", "repeat_password": "short"})
    assert response.status_code == 400
    assert "至少需要 12 个字符" in response.text


async def test_unit_viewer_is_refused_another_units_page(client, make_unit, make_user) -> None:
    own = await make_unit("U01", "区发展和改革局")
    other = await make_unit("U02", "区市场监督管理局")
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await login(client, "viewer1")
    assert (await client.get(f"/units/{own}")).status_code == 200
    refused = await client.get(f"/units/{other}")
    assert refused.status_code == 404
    assert "区市场监督管理局" not in refused.text


async def test_role_guard_refuses_admin_pages_to_analysts(client, make_user) -> None:
    await make_user("analyst1", "analyst")
    await login(client, "analyst1")
    response = await client.get("/admin/users")
    assert response.status_code == 403
    assert "没有访问此页面的权限" in response.text


async def test_admin_creates_user_and_changes_role_with_audit(client, make_user, make_unit) -> None:
    await make_unit("U01")
    await make_user("admin1", "admin")
    await login(client, "admin1")
    created = await post_form(client, "/admin/users", "/admin/users", {
        "username": "viewer2", "password": "Viewer-Passw0rd-1", "role": "analyst",
        "display_name": "张三", "unit_code": ""})
    assert created.status_code in (200, 302, 303)
    viewer = await User.select(User.id, User.role).where(User.username == "viewer2").first()
    assert viewer["role"] == "analyst"
    await post_form(client, "/admin/users", f"/admin/users/{viewer['id']}/role",
                    {"role": "unit_viewer", "unit_code": "U01"})
    row = await User.select(User.role).where(User.username == "viewer2").first()
    assert row["role"] == "unit_viewer"
    actions = [e.action for e in await audit.recent_events()]
    assert "user.create" in actions and "user.role" in actions


async def test_error_pages_are_chinese_and_security_headers_set(client) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_healthz_and_openapi_schema(client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200 and "openapi" in schema.json()


async def test_every_login_gets_a_new_session_id(client, make_user) -> None:
    await make_user("office1", "office")
    first = (await login(client, "office1")).cookies.get("sid")
    second = (await login(client, "office1")).cookies.get("sid")
    assert first and second and first != second


async def test_cookies_are_secure_behind_tls(db, settings, make_user) -> None:
    import dataclasses

    import httpx

    from survey_app.app import create_app

    app = create_app(dataclasses.replace(settings, secure_cookies=True), engine=db)
    await make_user("office1", "office")
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as tls:
        response = await login(tls, "office1")
    assert "Secure" in response.headers["set-cookie"]
    assert response.headers["strict-transport-security"].startswith("max-age=")
