"""TOTP one-time codes (RFC 6238 over RFC 4226 HOTP), as authenticator apps compute them.

SHA-1, 6 digits, 30-second steps: the parameters every common app (微信小程序“腾讯身份验证器”,
Google/Microsoft Authenticator, FreeOTP) uses by default. Pure functions, no I/O; the caller
keeps the last accepted step per user so that a code is accepted at most once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # accept the previous and the next step too (clock drift, typing time)
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends for HMAC-SHA-1

_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def to_base32(secret: bytes) -> str:
    """The form authenticator apps take: upper-case base32 without padding."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def from_base32(text: str) -> bytes:
    cleaned = text.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def time_step(unix_time: float, step_seconds: int = STEP_SECONDS) -> int:
    return int(unix_time // step_seconds)


def hotp(secret: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 §5.3: HMAC over the 8-byte counter, dynamic truncation, modulo 10^digits."""
    mac = hmac.new(secret, struct.pack(">Q", counter), _DIGESTS[digest]).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFF_FFFF
    return str(value % 10**digits).zfill(digits)


def totp(secret: bytes, unix_time: float, digits: int = DIGITS, digest: str = "sha1",
         step_seconds: int = STEP_SECONDS) -> str:
    return hotp(secret, time_step(unix_time, step_seconds), digits, digest)


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalise_code(code: str) -> str:
    """Users type codes with spaces or full-width digits (中文输入法). Anything but digits,
    spaces and hyphens makes the code invalid (returned as "")."""
    text = "".join(code[:64].translate(_FULL_WIDTH_DIGITS).split()).replace("-", "")
    return text if text.isascii() and text.isdigit() else ""


def matching_step(secret: bytes, code: str, unix_time: float, window: int = WINDOW) -> int | None:
    """The newest time step within ±window of now whose code equals `code`, or None.

    The caller accepts the code only if that step is newer than the last step it accepted for
    the user, and then records it: every code, including a neighbouring step's, works once.
    """
    code = normalise_code(code)
    if len(code) != DIGITS:
        return None
    now = time_step(unix_time)
    found = None
    for step in range(now - window, now + window + 1):
        # every candidate is compared, in constant time: timing tells nothing about which matched
        if hmac.compare_digest(hotp(secret, step), code):
            found = step
    return found


def provisioning_uri(secret: bytes, account: str, issuer: str) -> str:
    """The otpauth:// URI of the Key URI Format that authenticator apps scan as a QR code."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({
        "secret": to_base32(secret), "issuer": issuer, "algorithm": "SHA1",
        "digits": DIGITS, "period": STEP_SECONDS,
    }, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"
