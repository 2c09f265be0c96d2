"""Staff accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.querystring import QueryString

from survey_app.db.queries._rows import aware, utcnow
from survey_app.db.tables import Unit, User


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None
    active: bool
    failed_logins: int
    locked_until: dt.datetime | None
    must_change_password: bool
    password_hash: str
    last_login_at: dt.datetime | None
    mfa_enabled_at: dt.datetime | None = None

    @property
    def mfa_enrolled(self) -> bool:
        return self.mfa_enabled_at is not None


_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.role,
    User.unit,
    User.unit.name.as_alias("unit_name"),
    User.active,
    User.failed_logins,
    User.locked_until,
    User.must_change_password,
    User.password_hash,
    User.last_login_at,
    User.mfa_enabled_at,
)


def _record(row: dict) -> UserRecord:
    return UserRecord(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        unit_id=row["unit"],
        unit_name=row["unit_name"],
        active=bool(row["active"]),
        failed_logins=row["failed_logins"],
        locked_until=aware(row["locked_until"]),
        must_change_password=bool(row["must_change_password"]),
        password_hash=row["password_hash"],
        last_login_at=aware(row["last_login_at"]),
        mfa_enabled_at=aware(row["mfa_enabled_at"]),
    )


async def find_user_by_username(username: str) -> UserRecord | None:
    row = await User.select(*_COLUMNS).where(User.username == username).first()
    return _record(row) if row else None


async def find_user(user_id: int) -> UserRecord | None:
    row = await User.select(*_COLUMNS).where(User.id == user_id).first()
    return _record(row) if row else None


async def list_users() -> list[UserRecord]:
    rows = await User.select(*_COLUMNS).order_by(User.username)
    return [_record(r) for r in rows]


async def insert_user(
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    unit_id: int | None,
    must_change_password: bool,
) -> int:
    rows = await User.insert(
        User(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            unit=unit_id,
            must_change_password=must_change_password,
        )
    ).returning(User.id)
    return int(rows[0]["id"])


# One statement, so concurrent requests cannot all read the same count: an expired lock
# starts a new count at 1; the attempt that reaches the maximum sets the lock; a locked
# account matches no row (the attempt is refused before the credential is looked at).
_RESERVE_ATTEMPT = (
    "UPDATE app_user SET "
    "failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= {} THEN 1 "
    "ELSE failed_logins + 1 END, "
    "locked_until = CASE "
    "WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= {} THEN 1 "
    "ELSE failed_logins + 1 END) >= {} THEN {} "
    "WHEN locked_until IS NOT NULL AND locked_until <= {} THEN NULL "
    "ELSE locked_until END "
    "WHERE id = {} AND (locked_until IS NULL OR locked_until <= {}) "
    "RETURNING failed_logins"
)


async def reserve_attempt(
    user_id: int, max_failures: int, now: dt.datetime, lock_until: dt.datetime
) -> int | None:
    """Count one attempt as failed BEFORE its credential is checked (success resets the
    count). Returns the attempt's number, or None when the account is locked."""
    rows = await User._meta.db.run_querystring(
        QueryString(_RESERVE_ATTEMPT, now, now, max_failures, lock_until, now, user_id, now)
    )
    return int(rows[0]["failed_logins"]) if rows else None


async def record_successful_login(user_id: int) -> None:
    await User.update(
        {User.failed_logins: 0, User.locked_until: None, User.last_login_at: utcnow()}
    ).where(User.id == user_id)


async def clear_failed_logins(user_id: int) -> None:
    await User.update({User.failed_logins: 0, User.locked_until: None}).where(User.id == user_id)


async def set_password(user_id: int, password_hash: str, must_change: bool) -> None:
    await User.update(
        {
            User.password_hash: password_hash,
            User.must_change_password: must_change,
            User.password_changed_at: utcnow(),
        }
    ).where(User.id == user_id)


async def set_role(user_id: int, role: str, unit_id: int | None) -> None:
    await User.update({User.role: role, User.unit: unit_id}).where(User.id == user_id)


async def set_active(user_id: int, active: bool) -> None:
    await User.update({User.active: active}).where(User.id == user_id)


async def count_users() -> int:
    return int(await User.count())


async def unit_id_by_code(code: str) -> int | None:
    row = await Unit.select(Unit.id).where(Unit.code == code).first()
    return int(row["id"]) if row else None
