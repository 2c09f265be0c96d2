"""SMS arithmetic for reminder batches (pure).

A message with any character outside GSM 7-bit is sent as UCS-2: 70 characters fit in one SMS,
and a longer one is split into parts of 67 (3 characters of each part carry the concatenation
header). Plain ASCII text fits 160, or 153 per part. Characters outside the BMP count twice in
UCS-2. Platforms may add a signature; the counts are for the text as written.
"""

from __future__ import annotations

import math

UCS2_SINGLE, UCS2_PART = 70, 67
GSM_SINGLE, GSM_PART = 160, 153
# GSM 03.38 basic set (the extension table characters count as two).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€")


def sms_length(text: str) -> int:
    """Characters as the SMS encoding counts them."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        return sum(2 if c in _GSM_EXTENDED else 1 for c in text)
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def sms_segments(text: str) -> int:
    """How many SMS parts the message takes (0 for an empty message)."""
    if not text:
        return 0
    gsm = all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text)
    single, part = (GSM_SINGLE, GSM_PART) if gsm else (UCS2_SINGLE, UCS2_PART)
    length = sms_length(text)
    return 1 if length <= single else math.ceil(length / part)
