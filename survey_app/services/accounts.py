"""Recovering staff accounts (administrators): unlock, reset a password to a temporary one,
disable and enable. Every action is audited and ends the account's sessions where it must.

Unlocking only clears the lock fields (failed count and lock time) through one query function,
so it stays correct whatever the login service counts and when.
"""

from __future__ import annotations

import secrets
import string

from survey_app.db.queries import audit, sessions, users
from survey_app.services import passwords
from survey_app.services.auth import AccountError, CurrentUser

# No look-alikes (0/O, 1/l/I) in a password read out over the phone.
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
_SYMBOLS = "-!#%+"


def temporary_password(username: str) -> str:
    """Random, readable, and always within the password policy."""
    while True:
        body = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        candidate = f"{body[:4]}-{body[4:8]}-{body[8:]}{secrets.choice(_SYMBOLS)}"
        if not passwords.password_problems(candidate, username):
            return candidate


async def _target(user_id: int) -> users.UserRecord:
    target = await users.find_user(user_id)
    if target is None:
        raise AccountError("用户不存在")
    return target


async def unlock(user_id: int, *, actor: CurrentUser, ip: str) -> str:
    target = await _target(user_id)
    await users.clear_failed_logins(user_id)
    await audit.record_event(
        "user.unlock", actor_id=actor.id, actor_name=actor.username, target=target.username,
        ip=ip, detail={"failures": target.failed_logins},
    )
    return target.username


async def reset_password(user_id: int, *, actor: CurrentUser, ip: str) -> tuple[str, str]:
    """(username, temporary password shown once); the user must change it at next login."""
    target = await _target(user_id)
    if target.id == actor.id:
        raise AccountError("不能重置自己的密码，请在“修改密码”页面修改")
    temporary = temporary_password(target.username)
    await users.set_password(user_id, passwords.hash_password(temporary), must_change=True)
    await users.clear_failed_logins(user_id)
    await sessions.delete_user_sessions(user_id)
    await audit.record_event(
        "user.password_reset", actor_id=actor.id, actor_name=actor.username,
        target=target.username, ip=ip,
    )
    return target.username, temporary


async def set_active(user_id: int, active: bool, *, actor: CurrentUser, ip: str) -> str:
    target = await _target(user_id)
    if target.id == actor.id and not active:
        raise AccountError("不能停用自己的账号")
    if target.active == active:
        return target.username
    await users.set_active(user_id, active)
    if not active:
        await sessions.delete_user_sessions(user_id)
    await audit.record_event(
        "user.enable" if active else "user.disable", actor_id=actor.id,
        actor_name=actor.username, target=target.username, ip=ip,
    )
    return target.username


async def list_users() -> list[users.UserRecord]:
    return await users.list_users()
