"""Step-up re-authentication (ASVS 3.7.1): confirm the password, or a current TOTP code for
users with a second factor, before sensitive actions. A confirmation (or the login itself) is
good for SURVEY_STEP_UP_MINUTES on this session only. Wrong attempts count towards the lockout,
so a stolen session cannot be used to guess the password.
"""

from __future__ import annotations

from survey_app.config import Settings
from survey_app.db.queries import audit, sessions, users
from survey_app.services import passwords
from survey_app.services.auth import CurrentUser, record_failure, reserve_attempt
from survey_app.services.mfa import AccountLocked, MfaError, check_current_code


async def confirm_identity(user: CurrentUser, credential: str, settings: Settings, ip: str) -> None:
    record = await users.find_user(user.id)
    if record is None or not record.active:
        raise MfaError("账号不可用")
    # Reserved before the credential is checked (issue 17): concurrent guesses cannot exceed
    # the lockout's allowance.
    attempt = await reserve_attempt(
        user.id, max_failures=settings.login_max_failures, lockout_minutes=settings.lockout_minutes
    )
    if attempt is None:
        await sessions.delete_session(user.session_id)
        raise AccountLocked("账号已锁定，请稍后重新登录")
    if user.mfa_enrolled:
        method = "totp"
        ok, reason = await check_current_code(user, credential, settings)
    else:
        method, reason = "password", "bad_password"
        try:
            ok = await passwords.verify_password_async(record.password_hash, credential)
        except passwords.HashingBusy:
            raise MfaError("确认的人较多，请稍候几秒再试。") from None
    if not ok:
        locked = await record_failure(
            record, ip, "reauth", reason, attempt=attempt, max_failures=settings.login_max_failures,
        )
        if locked:
            await sessions.delete_session(user.session_id)
            raise AccountLocked(f"错误次数过多，账号已锁定 {settings.lockout_minutes} 分钟")
        raise MfaError("验证码不正确或已使用过" if user.mfa_enrolled else "密码不正确")
    await sessions.mark_reauthenticated(user.session_id)
    await users.clear_failed_logins(user.id)
    await audit.record_event(
        "reauth", actor_id=user.id, actor_name=user.username, ip=ip, detail={"method": method}
    )
