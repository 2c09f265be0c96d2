"""Second factor for staff: TOTP enrolment, the login's second step, recovery codes, resets.

* Enrolment: a new 160-bit secret is kept sealed as *pending* until the user proves with a
  code that the authenticator has it; only then does it become the active secret (so a
  half-finished re-enrolment never locks anyone out). 10 recovery codes are shown once.
* Second step: a TOTP code (±1 step, each step at most once) or an unused recovery code. Every
  attempt is reserved before the code is checked: towards the account's lockout (shared with
  the password) and towards the half session's own budget (CODES_PER_HALF_SESSION, after which
  the session ends). Success replaces the half session with a new one.
* Every success and failure is an audit event (`mfa.*`); no code or secret is ever logged.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import segno

from survey_app.config import Settings
from survey_app.db.queries import audit, ratelimit, sessions, users
from survey_app.db.queries import mfa as mfa_queries
from survey_app.errors import InvalidInput
from survey_app.services import secretbox, totp
from survey_app.services.auth import (
    AccountError,
    CurrentUser,
    open_session,
    record_failure,
    reserve_attempt,
)

ISSUER = "满意度调查平台"
RECOVERY_CODE_COUNT = 10
# 32 symbols without 0/O/1/I: 12 of them carry 60 bits; shown as XXXX-XXXX-XXXX.
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_RECOVERY_LENGTH = 12
MAX_REASON = 200
# A half-logged-in session may try this many codes; then it is ended and the password must be
# entered again (which counts towards the account's lockout too). Counted in the database
# before the code is looked at, so concurrent requests cannot exceed it.
CODES_PER_HALF_SESSION = 3
_HALF_SESSION_WINDOW = 24 * 3600


class MfaError(InvalidInput):
    """A Chinese message for the user: why the code or the request was refused."""


class AccountLocked(MfaError):
    """Too many wrong codes: the account is locked and this session has been ended."""


@dataclass(frozen=True)
class Enrolment:
    secret_base32: str  # grouped by 4 for typing
    uri: str
    qr_svg: str  # made by segno from our own URI: safe to inline


@dataclass(frozen=True)
class Verified:
    session_token: str  # the new session that replaces the half one
    method: str  # "totp" or "recovery"
    codes_left: int


def _now() -> float:
    return time.time()


def _group(text: str, size: int = 4) -> str:
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_recovery_code(text: str) -> str:
    return "".join(text[:64].split()).replace("-", "").upper()


def _event(action: str, user: CurrentUser, ip: str, success: bool = True, **detail: object):  # type: ignore[no-untyped-def]
    return audit.record_event(
        action, actor_id=user.id, actor_name=user.username, target=user.username,
        success=success, ip=ip, detail=dict(detail) if detail else None,
    )


async def _state(user_id: int) -> mfa_queries.MfaState:
    state = await mfa_queries.mfa_state(user_id)
    if state is None:
        raise MfaError("用户不存在")
    return state


async def status(user_id: int) -> mfa_queries.MfaState:
    return await _state(user_id)


# --- enrolment ------------------------------------------------------------------------------


async def pending_enrolment(user: CurrentUser, settings: Settings) -> Enrolment:
    """The secret waiting for its first code, created on first call (kept across reloads)."""
    state = await _state(user.id)
    secret = None
    if state.sealed_pending:
        try:
            secret = secretbox.open_sealed(settings.secret_key, user.id, state.sealed_pending)
        except secretbox.SecretUnreadable:
            secret = None  # made under another secret key: start afresh
    if secret is None:
        secret = totp.new_secret()
        await mfa_queries.set_pending_secret(
            user.id, secretbox.seal(settings.secret_key, user.id, secret)
        )
    uri = totp.provisioning_uri(secret, user.username, ISSUER)
    return Enrolment(
        secret_base32=_group(totp.to_base32(secret)), uri=uri,
        qr_svg=segno.make(uri, error="m").svg_inline(border=2, omitsize=True),
    )


async def enrol_with_secret(user_id: int, secret: bytes, settings: Settings) -> None:
    """Enrol a known secret without the interactive confirmation (test fixtures, scripts)."""
    await mfa_queries.set_active_secret(user_id, secretbox.seal(settings.secret_key, user_id, secret))


async def start_renewal(user: CurrentUser, settings: Settings, ip: str) -> None:
    """Begin moving to a new device: a new pending secret; the active one stays valid."""
    state = await _state(user.id)
    if not state.enrolled:
        raise MfaError("尚未启用两步验证")
    secret = totp.new_secret()
    await mfa_queries.set_pending_secret(user.id, secretbox.seal(settings.secret_key, user.id, secret))
    await _event("mfa.renew", user, ip)


async def confirm_enrolment(
    user: CurrentUser, code: str, settings: Settings, ip: str
) -> tuple[list[str], str]:
    """Activate the pending secret if `code` is right. Returns the new recovery codes (shown
    once) and the token of the new session that replaces the current one."""
    state = await _state(user.id)
    if not state.sealed_pending:
        raise MfaError("没有待确认的验证器，请刷新页面重新扫描二维码")
    try:
        secret = secretbox.open_sealed(settings.secret_key, user.id, state.sealed_pending)
    except secretbox.SecretUnreadable:
        raise MfaError("待确认的验证器已失效，请刷新页面重新扫描二维码") from None
    step = totp.matching_step(secret, code, _now())
    if step is None:
        # Not counted towards the lockout: the user proves they hold a secret just shown to
        # them, which guards nothing yet. Audited all the same.
        await _event("mfa.enrol", user, ip, success=False, reason="bad_code")
        raise MfaError("验证码不正确：请确认手机时间准确，并输入验证器当前显示的 6 位数字")
    if not await mfa_queries.activate_pending_secret(user.id, state.sealed_pending, step):
        raise MfaError("验证器已被更改，请刷新页面重新开始")
    codes = await _issue_recovery_codes(user.id, settings)
    await _event("mfa.enrol", user, ip, renewal=state.enrolled)
    # A new session id whenever the second factor is (re)established; it is now verified.
    token = await open_session(user.id, ip, mfa_verified=True)
    await sessions.delete_session(user.session_id)
    if user.mfa_pending:  # this finished a login: reset the failure count, note the time
        await users.record_successful_login(user.id)
    return codes, token


async def _issue_recovery_codes(user_id: int, settings: Settings) -> list[str]:
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    await mfa_queries.replace_recovery_codes(
        user_id,
        [secretbox.code_digest(settings.secret_key, user_id, normalise_recovery_code(c)) for c in codes],
    )
    return codes


async def regenerate_recovery_codes(user: CurrentUser, settings: Settings, ip: str) -> list[str]:
    state = await _state(user.id)
    if not state.enrolled:
        raise MfaError("尚未启用两步验证")
    codes = await _issue_recovery_codes(user.id, settings)
    await _event("mfa.recovery_codes", user, ip, count=len(codes))
    return codes


async def disable(user: CurrentUser, ip: str) -> None:
    if user.mfa_required:
        raise MfaError("您的角色必须使用两步验证，不能关闭；更换手机请使用“更换验证器”")
    await mfa_queries.clear_mfa(user.id)
    await _event("mfa.disable", user, ip)


# --- the login's second step ----------------------------------------------------------------


async def _half_session_attempt(session_id: int) -> int:
    """The number of this code attempt on the half session (counted before it is checked)."""
    return await ratelimit.count_hit(
        f"mfa-half:{session_id}", int(_now()) + _HALF_SESSION_WINDOW
    )


async def verify_second_factor(user: CurrentUser, code: str, settings: Settings, ip: str) -> Verified:
    record = await users.find_user(user.id)
    if record is None or not record.active:
        raise MfaError("账号不可用")
    session_attempt = await _half_session_attempt(user.session_id)
    if session_attempt > CODES_PER_HALF_SESSION:
        await sessions.delete_session(user.session_id)
        await _event("mfa.verify", user, ip, success=False, reason="half_session_spent")
        raise AccountLocked("验证码错误次数过多，请重新登录")
    attempt = await reserve_attempt(
        user.id, max_failures=settings.login_max_failures, lockout_minutes=settings.lockout_minutes
    )
    if attempt is None:
        await sessions.delete_session(user.session_id)
        await _event("mfa.verify", user, ip, success=False, reason="locked")
        raise AccountLocked("登录失败次数过多，账号已暂时锁定，请稍后重新登录")
    state = await _state(user.id)
    if not state.enrolled:
        raise MfaError("尚未设置两步验证")
    method, reason = await _check_code(user.id, state, code, settings, allow_recovery=True)
    if method is None:
        locked = await record_failure(
            record, ip, "mfa.verify", reason, attempt=attempt,
            max_failures=settings.login_max_failures,
        )
        if locked:  # end every half login of this account, not just this one
            await sessions.delete_unverified_sessions(user.id)
            await sessions.delete_session(user.session_id)
            raise AccountLocked(f"验证码错误次数过多，账号已锁定 {settings.lockout_minutes} 分钟")
        if session_attempt >= CODES_PER_HALF_SESSION:
            await sessions.delete_session(user.session_id)
            raise AccountLocked("验证码错误次数过多，请重新登录")
        raise MfaError("验证码不正确或已使用过，请输入验证器上新的 6 位数字，或一个未用过的恢复码")
    await users.record_successful_login(user.id)
    token = await open_session(user.id, ip, mfa_verified=True)
    await sessions.delete_session(user.session_id)
    left = await mfa_queries.count_unused_codes(user.id)
    await _event("mfa.verify", user, ip, method=method, recovery_codes_left=left)
    return Verified(token, method, left)


async def check_current_code(user: CurrentUser, code: str, settings: Settings) -> tuple[bool, str]:
    """A TOTP code (not a recovery code) for step-up: (ok, failure reason)."""
    state = await _state(user.id)
    if not state.enrolled:
        return False, "not_enrolled"
    method, reason = await _check_code(user.id, state, code, settings, allow_recovery=False)
    return method is not None, reason


async def _check_code(
    user_id: int, state: mfa_queries.MfaState, code: str, settings: Settings, *,
    allow_recovery: bool,
) -> tuple[str | None, str]:
    digits = totp.normalise_code(code)
    if len(digits) == totp.DIGITS:
        try:
            secret = secretbox.open_sealed(settings.secret_key, user_id, state.sealed_secret)
        except secretbox.SecretUnreadable:
            return None, "secret_unreadable"
        step = totp.matching_step(secret, digits, _now())
        if step is None:
            return None, "bad_code"
        if step <= state.last_step or not await mfa_queries.accept_step(user_id, step):
            return None, "replayed"
        return "totp", ""
    if allow_recovery:
        recovery = normalise_recovery_code(code)
        if len(recovery) == _RECOVERY_LENGTH and await mfa_queries.use_recovery_code(
            user_id, secretbox.code_digest(settings.secret_key, user_id, recovery)
        ):
            return "recovery", ""
        return None, "bad_recovery_code"
    return None, "bad_code"


# --- administrators -------------------------------------------------------------------------


async def reset_for_user(
    target_id: int, reason: str, *, actor: CurrentUser | None, ip: str = ""
) -> str:
    """Remove another user's second factor (lost phone and codes); they enrol again at their
    next login. Their sessions end now. Returns the target's user name."""
    reason = " ".join(reason.split())
    if not reason:
        raise AccountError("请填写重置原因（记入审计日志）")
    if len(reason) > MAX_REASON:
        raise AccountError(f"重置原因不能超过 {MAX_REASON} 个字")
    target = await users.find_user(target_id)
    if target is None:
        raise AccountError("用户不存在")
    if actor is not None and actor.id == target.id:
        raise AccountError("不能在这里重置自己的两步验证；更换手机请在“两步验证”页更换验证器")
    await mfa_queries.clear_mfa(target.id)
    await sessions.delete_user_sessions(target.id)
    await audit.record_event(
        "mfa.reset", actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "cli", target=target.username, ip=ip,
        detail={"reason": reason, "was_enrolled": target.mfa_enrolled},
    )
    return target.username
