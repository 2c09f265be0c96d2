"""Password hashing (argon2id) and the staff password policy.

Policy (shared/research/security.md B1.2/B2): at least 12 characters, at least three of
lower/upper/digit/symbol (为通过等保测评), not the username, not a well-known password.

Hashing costs ~130 ms of CPU and 64 MiB: request handlers use `verify_password_async` and
`hash_password_async`, which run it in a small pool of worker threads (argon2 releases the
GIL), so a stream of logins never stalls the event loop that serves everyone else. At most
HASH_THREADS hashes run at once; the rest wait their turn (the login throttles bound the queue).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

# A small offline list: no external breach API may be called from a government network.
_COMMON = frozenset(
    {
        "password1234", "password123!", "admin1234567", "qwerty123456", "123456789012",
        "1qaz2wsx3edc", "abc123456789", "p@ssw0rd1234", "woaini1314520", "Admin@123456",
        "Passw0rd!234", "Aa123456789!", "zhangwei1234", "Welcome@2026", "Huawei@12345",
    }
)

# One hashing thread: on the 2-core servers this leaves a core to the event loop (see
# bench/login_stall.py); ~7 logins/s is ample for the staff. Past MAX_WAITING verifications
# queued at once, more are refused as busy instead of queueing without bound.
HASH_THREADS = 1
MAX_WAITING = 16
_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="argon2")
_waiting = 0


class HashingBusy(Exception):
    """Too many password checks are already waiting; try again in a moment."""

MIN_LENGTH = 12
MAX_LENGTH = 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password_async(password_hash: str, password: str) -> bool:
    """`verify_password` in the hashing pool, off the event loop. Looked up at call time so
    tests can wrap `verify_password`."""
    global _waiting
    if _waiting >= MAX_WAITING:
        raise HashingBusy
    _waiting += 1
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_pool, verify_password, password_hash, password)
    finally:
        _waiting -= 1


async def hash_password_async(password: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, hash_password, password)


# Verifying against this keeps the response time the same for unknown usernames.
DUMMY_HASH = hash_password("not-a-real-password-used-for-timing")


def password_problems(password: str, username: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少需要 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码不能超过 {MAX_LENGTH} 个字符")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append("密码需包含小写字母、大写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    if password.lower() in {c.lower() for c in _COMMON}:
        problems.append("该密码过于常见，请换一个")
    return problems
