"""Second-factor secrets at rest: AES-256-GCM with a key derived from the app's secret key.

A database dump alone (a backup, a stolen replica) does not give the TOTP secrets or let
anyone test recovery codes offline: both need SURVEY_SECRET_KEY, which lives outside the
database (data dir, mode 0600, or the environment). Keys are derived with HKDF-SHA256, one per
purpose, so the CSRF secret and these keys never coincide. Each ciphertext is bound to its
user id (associated data): a secret copied into another user's row does not decrypt.

Changing SURVEY_SECRET_KEY makes the stored secrets unreadable: every enrolled user then has to
be reset (`survey-app reset-mfa`) and enrol again.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_NONCE_BYTES = 12


class SecretUnreadable(ValueError):
    """The stored value was not made with this secret key (or was altered)."""


@functools.lru_cache(maxsize=8)
def _derive(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"survey-app second factor", info=purpose
    ).derive(secret_key.encode("utf-8"))


def _associated(user_id: int) -> bytes:
    return f"app_user:{user_id}".encode("ascii")


def seal(secret_key: str, user_id: int, plaintext: bytes) -> str:
    """`v1.` + base64url(nonce ‖ ciphertext ‖ tag)."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_derive(secret_key, b"totp-secret v1")).encrypt(
        nonce, plaintext, _associated(user_id)
    )
    return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def open_sealed(secret_key: str, user_id: int, stored: str) -> bytes:
    version, _, body = stored.partition(".")
    if version != _VERSION or not body:
        raise SecretUnreadable("unknown format")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        return AESGCM(_derive(secret_key, b"totp-secret v1")).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _associated(user_id)
        )
    except (InvalidTag, ValueError) as problem:
        raise SecretUnreadable("cannot decrypt") from problem


def code_digest(secret_key: str, user_id: int, code: str) -> str:
    """A keyed hash (HMAC-SHA256) of a recovery code, as stored. The codes are random (60
    bits), not chosen by people, so a slow password hash would add nothing but latency; the key
    is what stops an offline search over a dump."""
    key = _derive(secret_key, b"recovery-code v1")
    return hmac.new(key, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()
