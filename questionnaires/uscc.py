"""Unified social credit code (统一社会信用代码) checks, GB 32100-2015.

A code has 18 characters from the 31-character set ``0-9 A-H J-N P-R T-U W-Y``
(the letters I, O, Z, S and V are never used). Each character stands for its index
in that set (0..30). The 18th character is a check character over the first 17:

    check = 31 - (sum(value_i * weight_i) mod 31), and 31 becomes 0,
    weights = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28  (3^(i-1) mod 31)

Functions here are strict: they judge the string exactly as given. Callers that
accept human input (roster import) normalise first with :func:`normalize_uscc`.
"""

from __future__ import annotations

import unicodedata

USCC_LENGTH = 18
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_VALUE_OF = {char: value for value, char in enumerate(USCC_CHARSET)}
_MODULUS = len(USCC_CHARSET)


def normalize_uscc(raw: str) -> str:
    """Full-width to half-width, drop all whitespace, upper-case (as typed in Excel)."""
    half_width = unicodedata.normalize("NFKC", raw)
    return "".join(half_width.split()).upper()


def uscc_check_character(first17: str) -> str:
    """Return the check character for the first 17 characters of a code.

    Raises ValueError (Chinese message) when ``first17`` is not 17 valid characters.
    """
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"计算校验位需要17位本体代码，实际为{len(first17)}位")
    bad = _first_illegal_position(first17)
    if bad is not None:
        raise ValueError(f"第{bad + 1}位字符“{first17[bad]}”不是统一社会信用代码允许的字符")
    pairs = zip(first17, USCC_WEIGHTS, strict=True)
    total = sum(_VALUE_OF[char] * weight for char, weight in pairs)
    return USCC_CHARSET[(_MODULUS - total % _MODULUS) % _MODULUS]


def explain_uscc_error(code: str) -> str | None:
    """Return a Chinese explanation of what is wrong with ``code``, or None if it is valid."""
    if not code:
        return "统一社会信用代码为空"
    if len(code) != USCC_LENGTH:
        return f"统一社会信用代码应为18位，实际为{len(code)}位"
    bad = _first_illegal_position(code)
    if bad is not None:
        return (
            f"统一社会信用代码第{bad + 1}位字符“{code[bad]}”不合法"
            "（只允许数字和除I、O、Z、S、V以外的大写字母）"
        )
    expected = uscc_check_character(code[:-1])
    if code[-1] != expected:
        return f"统一社会信用代码校验位错误：第18位应为“{expected}”，实际为“{code[-1]}”"
    return None


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` is exactly 18 legal characters with a correct check character."""
    return explain_uscc_error(code) is None


def _first_illegal_position(text: str) -> int | None:
    for position, char in enumerate(text):
        if char not in _VALUE_OF:
            return position
    return None
