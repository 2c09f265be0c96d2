"""Second-factor state of staff accounts: sealed TOTP secrets, replay guard, recovery codes.

Values arrive sealed or hashed (services/secretbox.py); nothing here sees a plain secret.
The single-use rules are enforced by conditional UPDATEs, so two concurrent requests with the
same code cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from survey_app.db.queries._rows import aware, utcnow
from survey_app.db.tables import MfaRecoveryCode, User


@dataclass(frozen=True)
class MfaState:
    user_id: int
    sealed_secret: str  # "" when not enrolled
    sealed_pending: str  # "" when no enrolment is waiting for its first code
    enabled_at: dt.datetime | None
    last_step: int
    unused_codes: int

    @property
    def enrolled(self) -> bool:
        return bool(self.sealed_secret)


async def mfa_state(user_id: int) -> MfaState | None:
    row = (
        await User.select(
            User.id, User.mfa_secret, User.mfa_pending_secret, User.mfa_enabled_at,
            User.mfa_last_step,
        )
        .where(User.id == user_id)
        .first()
    )
    if row is None:
        return None
    return MfaState(
        user_id=row["id"],
        sealed_secret=row["mfa_secret"] or "",
        sealed_pending=row["mfa_pending_secret"] or "",
        enabled_at=aware(row["mfa_enabled_at"]),
        last_step=int(row["mfa_last_step"] or 0),
        unused_codes=await count_unused_codes(user_id),
    )


async def enrolled_user_ids() -> set[int]:
    rows = await User.select(User.id).where(User.mfa_secret != "")
    return {int(r["id"]) for r in rows}


async def set_pending_secret(user_id: int, sealed: str) -> None:
    await User.update({User.mfa_pending_secret: sealed}).where(User.id == user_id)


async def activate_pending_secret(user_id: int, sealed: str, step: int) -> bool:
    """Make the pending secret the active one, if it is still the one the code was checked
    against; the code's step is recorded so that it cannot be used again to log in."""
    rows = await User.update(
        {
            User.mfa_secret: sealed,
            User.mfa_pending_secret: "",
            User.mfa_enabled_at: utcnow(),
            User.mfa_last_step: step,
        }
    ).where((User.id == user_id) & (User.mfa_pending_secret == sealed)).returning(User.id)
    return bool(rows)


async def set_active_secret(user_id: int, sealed: str) -> None:
    """Enrol without the interactive confirmation (tests' and operators' fixtures)."""
    await User.update(
        {
            User.mfa_secret: sealed,
            User.mfa_pending_secret: "",
            User.mfa_enabled_at: utcnow(),
            User.mfa_last_step: 0,
        }
    ).where(User.id == user_id)


async def accept_step(user_id: int, step: int) -> bool:
    """Record `step` as used if it is newer than the last accepted one (else it is a replay)."""
    rows = await User.update({User.mfa_last_step: step}).where(
        (User.id == user_id) & (User.mfa_last_step < step)
    ).returning(User.id)
    return bool(rows)


async def clear_mfa(user_id: int) -> None:
    async with User._meta.db.transaction():
        await User.update(
            {
                User.mfa_secret: "",
                User.mfa_pending_secret: "",
                User.mfa_enabled_at: None,
                User.mfa_last_step: 0,
            }
        ).where(User.id == user_id)
        await MfaRecoveryCode.delete().where(MfaRecoveryCode.user == user_id)


async def replace_recovery_codes(user_id: int, code_hashes: list[str]) -> None:
    async with MfaRecoveryCode._meta.db.transaction():
        await MfaRecoveryCode.delete().where(MfaRecoveryCode.user == user_id)
        await MfaRecoveryCode.insert(
            *(MfaRecoveryCode(user=user_id, code_hash=h) for h in code_hashes)
        )


async def use_recovery_code(user_id: int, code_hash: str) -> bool:
    rows = await MfaRecoveryCode.update({MfaRecoveryCode.used_at: utcnow()}).where(
        (MfaRecoveryCode.user == user_id)
        & (MfaRecoveryCode.code_hash == code_hash)
        & MfaRecoveryCode.used_at.is_null()
    ).returning(MfaRecoveryCode.id)
    return bool(rows)


async def count_unused_codes(user_id: int) -> int:
    return int(
        await MfaRecoveryCode.count().where(
            (MfaRecoveryCode.user == user_id) & MfaRecoveryCode.used_at.is_null()
        )
    )
