"""Logging in and out, lockout, sessions, and account management (with audit events).

A user who must use a second factor (a role in SURVEY_MFA_ROLES, or anyone who enrolled) gets
a "half" session after the password: it reaches only the second step (services/mfa.py), which
replaces it with a new session id once the code is right.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from survey_app.db.queries import audit, sessions, users
from survey_app.db.queries import units as unit_queries
from survey_app.db.queries._rows import utcnow
from survey_app.errors import InvalidInput
from survey_app.roles import ALL_ROLES, ROLE_LABELS, UNIT_VIEWER
from survey_app.services import passwords

SESSION_COOKIE = "sid"
# last_seen_at is written at most this often, not on every request.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


class AccountError(InvalidInput):
    """A Chinese message for staff: what is wrong with an account request."""


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None
    must_change_password: bool
    session_id: int
    mfa_pending: bool = False  # password checked, second factor (or enrolment) outstanding
    mfa_enrolled: bool = False
    mfa_required: bool = False  # the role must use MFA (SURVEY_MFA_ROLES)
    step_up_until: dt.datetime | None = None  # sensitive actions allowed until then

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def step_up_ok(self) -> bool:
        return self.step_up_until is not None and utcnow() < self.step_up_until


@dataclass(frozen=True)
class LoginOutcome:
    session_token: str | None
    error: str | None
    must_change_password: bool = False
    second_factor: str | None = None  # "verify" (enter a code) or "enrol" (set one up first)


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


async def open_session(user_id: int, ip: str, *, mfa_verified: bool) -> str:
    """A new session (a new id, never a reused one) whose credentials were checked just now."""
    token = new_session_token()
    await sessions.insert_session(
        hash_session_token(token), user_id, ip, mfa_verified=mfa_verified,
        authenticated_at=utcnow(),
    )
    return token


# One message for a wrong password, an unknown user name, an inactive or a locked account:
# the answer to /login never tells which user names exist (ASVS 2.2.x / issue 17).
BUSY = "登录的人较多，请稍候几秒再试。"
GENERIC_LOGIN_ERROR = "用户名或密码错误。连续输错多次后账号会暂时锁定，请稍后再试或联系管理员。"


async def reserve_attempt(user_id: int, *, max_failures: int, lockout_minutes: int) -> int | None:
    """Pessimistic attempt accounting (issue 17): count the attempt as a failure in one
    conditional UPDATE … RETURNING before the credential is checked. None: the account is
    locked and the credential must not be checked at all. Only a success (or the lock's
    expiry) resets the count; a failure never writes the lock column again."""
    now = utcnow()
    return await users.reserve_attempt(
        user_id, max_failures, now, now + dt.timedelta(minutes=lockout_minutes)
    )


async def record_failure(
    user: users.UserRecord, ip: str, action: str, reason: str, *, attempt: int, max_failures: int,
) -> bool:
    """Audit a wrong password or code whose attempt was reserved (`attempt` is its number);
    True when that attempt locked the account."""
    locked = attempt >= max_failures
    await audit.record_event(
        action, actor_id=user.id, actor_name=user.username, success=False, ip=ip,
        detail={"reason": reason, "failures": attempt, "locked": locked},
    )
    return locked


def is_locked(user: users.UserRecord) -> bool:
    return bool(user.locked_until and user.locked_until > utcnow())


async def log_in(
    username: str, password: str, ip: str, *, max_failures: int, lockout_minutes: int,
    mfa_roles: frozenset[str] = frozenset(),
) -> LoginOutcome:
    try:
        return await _log_in(username, password, ip, max_failures=max_failures,
                             lockout_minutes=lockout_minutes, mfa_roles=mfa_roles)
    except passwords.HashingBusy:
        return LoginOutcome(None, BUSY)


async def _log_in(
    username: str, password: str, ip: str, *, max_failures: int, lockout_minutes: int,
    mfa_roles: frozenset[str],
) -> LoginOutcome:
    user = await users.find_user_by_username(username.strip())
    if user is None:
        # The same hashing cost as a real account: response times reveal no user names.
        await passwords.verify_password_async(passwords.DUMMY_HASH, password)
        await audit.record_event(
            "login", actor_id=None, actor_name=username[:64], success=False, ip=ip,
            detail={"reason": "unknown_user"},
        )
        return LoginOutcome(None, GENERIC_LOGIN_ERROR)
    attempt = await reserve_attempt(
        user.id, max_failures=max_failures, lockout_minutes=lockout_minutes
    )
    if attempt is None:
        await passwords.verify_password_async(passwords.DUMMY_HASH, password)
        await audit.record_event(
            "login", actor_id=user.id, actor_name=user.username, success=False, ip=ip,
            detail={"reason": "locked"},
        )
        return LoginOutcome(None, GENERIC_LOGIN_ERROR)
    right = await passwords.verify_password_async(user.password_hash, password)
    if not user.active or not right:
        await record_failure(
            user, ip, "login", "inactive" if not user.active else "bad_password",
            attempt=attempt, max_failures=max_failures,
        )
        return LoginOutcome(None, GENERIC_LOGIN_ERROR)

    if user.role in mfa_roles or user.mfa_enrolled:
        # Half a login: the reserved attempt is NOT given back here, so wrong codes after a
        # right password keep counting towards the lockout across attempts.
        token = new_session_token()
        await sessions.insert_session(hash_session_token(token), user.id, ip)
        step = "verify" if user.mfa_enrolled else "enrol"
        await audit.record_event(
            "login", actor_id=user.id, actor_name=user.username, ip=ip,
            detail={"second_factor": step},
        )
        return LoginOutcome(token, None, user.must_change_password, second_factor=step)

    await users.record_successful_login(user.id)
    token = await open_session(user.id, ip, mfa_verified=False)  # a fresh id at every login
    await audit.record_event("login", actor_id=user.id, actor_name=user.username, ip=ip)
    return LoginOutcome(token, None, user.must_change_password)


async def load_current_user(
    token: str, idle_minutes: int, *, mfa_roles: frozenset[str] = frozenset(),
    step_up_minutes: int = 10, max_hours: int = 12,
) -> CurrentUser | None:
    session = await sessions.find_session(hash_session_token(token))
    if session is None:
        return None
    now = utcnow()
    idle = now - session.last_seen_at > dt.timedelta(minutes=idle_minutes)
    started = session.created_at or session.last_seen_at
    if idle or now - started > dt.timedelta(hours=max_hours):  # absolute lifetime
        await sessions.delete_session(session.id)
        return None
    user = await users.find_user(session.user_id)
    if user is None or not user.active:
        await sessions.delete_session(session.id)
        return None
    if now - session.last_seen_at > TOUCH_INTERVAL:
        await sessions.touch_session(session.id)
    required = user.role in mfa_roles
    pending = (required or user.mfa_enrolled) and session.mfa_verified_at is None
    step_up_until = (
        session.reauth_at + dt.timedelta(minutes=step_up_minutes)
        if session.reauth_at and not pending else None
    )
    return CurrentUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        role=user.role,
        unit_id=user.unit_id,
        unit_name=user.unit_name,
        must_change_password=user.must_change_password,
        session_id=session.id,
        mfa_pending=pending,
        mfa_enrolled=user.mfa_enrolled,
        mfa_required=required,
        step_up_until=step_up_until,
    )


async def log_out(user: CurrentUser, ip: str) -> None:
    await sessions.delete_session(user.session_id)
    await audit.record_event("logout", actor_id=user.id, actor_name=user.username, ip=ip)


def _check_role(role: str, unit_id: int | None) -> None:
    if role not in ALL_ROLES:
        raise AccountError(f"未知角色：{role}（可选：{'、'.join(ALL_ROLES)}）")
    if role == UNIT_VIEWER and unit_id is None:
        raise AccountError("被考评单位账号必须绑定一个单位")
    if role != UNIT_VIEWER and unit_id is not None:
        raise AccountError("只有被考评单位账号可以绑定单位")


async def create_account(
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    unit_code: str | None = None,
    must_change_password: bool = True,
    actor: CurrentUser | None = None,
    ip: str = "",
) -> int:
    username = username.strip()
    if not (3 <= len(username) <= 64) or not all(c.isalnum() or c in "._-" for c in username):
        raise AccountError("用户名需为 3–64 位字母、数字或 . _ -")
    if await users.find_user_by_username(username):
        raise AccountError(f"用户名 {username} 已存在")
    unit_id = None
    if unit_code:
        unit_id = await users.unit_id_by_code(unit_code)
        if unit_id is None:
            raise AccountError(f"单位代码 {unit_code} 不存在")
    _check_role(role, unit_id)
    problems = passwords.password_problems(password, username)
    if problems:
        raise AccountError("；".join(problems))
    user_id = await users.insert_user(
        username, display_name, await passwords.hash_password_async(password), role, unit_id,
        must_change_password,
    )
    await audit.record_event(
        "user.create", actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "cli", target=username, ip=ip,
        detail={"role": role, "unit": unit_code or ""},
    )
    return user_id


async def change_role(
    user_id: int, role: str, unit_code: str | None, *, actor: CurrentUser, ip: str
) -> bool:
    """Save a role (and unit); False when both are as they were: then nothing is logged and
    the account's sessions go on (ending them would log out someone whose rights are the same)."""
    target = await users.find_user(user_id)
    if target is None:
        raise AccountError("用户不存在")
    unit_id = await users.unit_id_by_code(unit_code) if unit_code else None
    if unit_code and unit_id is None:
        raise AccountError(f"单位代码 {unit_code} 不存在")
    _check_role(role, unit_id)
    if target.id == actor.id and role != target.role:
        raise AccountError("不能修改自己的角色")
    if role == target.role and unit_id == target.unit_id:
        return False
    before = await unit_queries.find_unit(target.unit_id) if target.unit_id else None
    await users.set_role(user_id, role, unit_id)
    await sessions.delete_user_sessions(user_id)  # new rights take effect at next login
    detail: dict[str, object] = {"from": target.role, "to": role, "unit": unit_code or ""}
    if unit_id != target.unit_id:
        detail["unit_before"] = before.code if before else ""
    await audit.record_event(
        "user.role", actor_id=actor.id, actor_name=actor.username, target=target.username,
        ip=ip, detail=detail,
    )
    return True


async def change_password(user: CurrentUser, current: str, new: str, ip: str) -> None:
    record = await users.find_user(user.id)
    try:
        right = record is not None and await passwords.verify_password_async(
            record.password_hash, current
        )
    except passwords.HashingBusy:
        raise AccountError(BUSY) from None
    if record is None or not right:
        raise AccountError("当前密码不正确")
    if current == new:
        raise AccountError("新密码不能与当前密码相同")
    problems = passwords.password_problems(new, user.username)
    if problems:
        raise AccountError("；".join(problems))
    await users.set_password(user.id, await passwords.hash_password_async(new), must_change=False)
    # Whoever else holds a session of this account (a stolen cookie, a forgotten browser)
    # is signed out: only the session that changed the password lives on (ASVS 3.3.3).
    ended = await sessions.delete_other_sessions(user.id, user.session_id)
    await audit.record_event(
        "user.password", actor_id=user.id, actor_name=user.username, target=user.username, ip=ip,
        detail={"other_sessions_ended": ended},
    )
