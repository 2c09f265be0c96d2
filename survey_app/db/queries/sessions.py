"""Server-side staff sessions. Only the SHA-256 of the cookie value is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from survey_app.db.queries._rows import aware, utcnow
from survey_app.db.tables import UserSession


@dataclass(frozen=True)
class SessionRecord:
    id: int
    user_id: int
    last_seen_at: dt.datetime
    mfa_verified_at: dt.datetime | None = None  # None: the second factor is still outstanding
    reauth_at: dt.datetime | None = None  # last password/code confirmation (step-up)
    created_at: dt.datetime | None = None


async def insert_session(
    id_hash: str, user_id: int, ip: str, *, mfa_verified: bool = False,
    authenticated_at: dt.datetime | None = None,
) -> None:
    """`authenticated_at`: when the credentials behind this session were last checked."""
    await UserSession.insert(
        UserSession(
            id_hash=id_hash, user=user_id, ip=ip,
            mfa_verified_at=utcnow() if mfa_verified else None, reauth_at=authenticated_at,
        )
    )


async def find_session(id_hash: str) -> SessionRecord | None:
    row = (
        await UserSession.select(
            UserSession.id, UserSession.user, UserSession.last_seen_at,
            UserSession.mfa_verified_at, UserSession.reauth_at, UserSession.created_at,
        )
        .where(UserSession.id_hash == id_hash)
        .first()
    )
    if row is None:
        return None
    last_seen = aware(row["last_seen_at"])
    assert last_seen is not None
    return SessionRecord(
        id=row["id"], user_id=row["user"], last_seen_at=last_seen,
        mfa_verified_at=aware(row["mfa_verified_at"]), reauth_at=aware(row["reauth_at"]),
        created_at=aware(row["created_at"]) or last_seen,
    )


async def mark_reauthenticated(session_id: int) -> None:
    await UserSession.update({UserSession.reauth_at: utcnow()}).where(
        UserSession.id == session_id
    )


async def touch_session(session_id: int) -> None:
    await UserSession.update({UserSession.last_seen_at: utcnow()}).where(
        UserSession.id == session_id
    )


async def delete_session(session_id: int) -> None:
    await UserSession.delete().where(UserSession.id == session_id)


async def delete_user_sessions(user_id: int) -> None:
    await UserSession.delete().where(UserSession.user == user_id)


async def delete_other_sessions(user_id: int, keep_session_id: int) -> int:
    """End every session of the user but one; returns how many were ended."""
    rows = await UserSession.delete().where(
        (UserSession.user == user_id) & (UserSession.id != keep_session_id)
    ).returning(UserSession.id)
    return len(rows)


async def delete_unverified_sessions(user_id: int) -> None:
    """End a user's half-logged-in sessions (second factor outstanding)."""
    await UserSession.delete().where(
        (UserSession.user == user_id) & UserSession.mfa_verified_at.is_null()
    )


async def delete_idle_sessions(idle_before: dt.datetime) -> None:
    await UserSession.delete().where(UserSession.last_seen_at < idle_before)
