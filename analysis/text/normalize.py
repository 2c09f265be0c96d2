"""Normalisation of free-text opinions and masking of personal information.

``clean_opinion`` is what the pipeline stores and shows: normalised, then masked.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from analysis.text.personal import (  # noqa: F401  (re-exported)
    EMAIL_PLACEHOLDER,
    ID_NUMBER_PLACEHOLDER,
    LANDLINE_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    PLACEHOLDERS,
    PLATE_PLACEHOLDER,
    mask_personal_info,
)
from analysis.text.resources import traditional_to_simplified_table

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
# Zero-width and control characters survive NFKC; they only confuse segmentation. Bidi
# embeddings/overrides/isolates (U+202A–202E, U+2066–2069) could make a quoted opinion read
# differently on theme pages and in exports.
_INVISIBLE = re.compile(
    r"[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
_WHITESPACE = re.compile(r"\s+")
_UNTIDY_WHITESPACE = re.compile(r"^\s|\s$|\s\s|[^\S ]")
_KEPT_FULL_WIDTH = frozenset("，！？：；（）")
# ASCII , ! ? ; : typed inside Chinese text become the Chinese forms so that stored opinions
# read uniformly, while "12:30" or "A,B" stay untouched.
_ASCII_PUNCT_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[,!?;:]|[,!?;:](?=[{_CJK}])")
_TO_CHINESE_PUNCT = {",": "，", "!": "！", "?": "？", ";": "；", ":": "："}
_PUNCT_CLASS = r"[，。！？；：、~\-=*_.!?,]"
_REPEATED_PUNCT = re.compile(rf"({_PUNCT_CLASS})\1+")
_ADJACENT_PUNCT = re.compile(rf"{_PUNCT_CLASS}{{2}}")
_ANY_ASCII_PUNCT = re.compile(r"[,!?;:]")


def normalize_text(text: str) -> str:
    """Fold full/half width and other compatibility forms (NFKC, except that Chinese
    ，！？：；（） stay full width), traditional→simplified characters, and tidy punctuation
    and whitespace. Idempotent.

    Every step is guarded by one regex search: this runs on each of up to 1M opinions and
    most of them need few of the steps."""
    compatibility = _compatibility_characters()
    if compatibility.search(text):
        text = compatibility.sub(_fold_compatibility, text)
    traditional = _traditional_characters()
    if traditional.search(text):
        text = text.translate(traditional_to_simplified_table())
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    if _UNTIDY_WHITESPACE.search(text):
        text = _WHITESPACE.sub(" ", text).strip()
    if _ADJACENT_PUNCT.search(text):
        text = _REPEATED_PUNCT.sub(r"\1", text)
    if _ANY_ASCII_PUNCT.search(text):
        text = _ASCII_PUNCT_NEAR_CJK.sub(lambda m: _TO_CHINESE_PUNCT[m.group(0)], text)
    return text


@lru_cache(maxsize=1)
def _compatibility_characters() -> re.Pattern[str]:
    """A character class of every BMP character that NFKC changes, but the full-width
    Chinese punctuation we keep. Built once (~0.1 s); searching it is far cheaper than
    running NFKC over every opinion."""
    chars = [
        chr(code)
        for code in range(0x80, 0x10000)
        if not 0xD800 <= code <= 0xDFFF
        and chr(code) not in _KEPT_FULL_WIDTH
        and unicodedata.normalize("NFKC", chr(code)) != chr(code)
    ]
    return re.compile("[" + "".join(re.escape(char) for char in chars) + "]")


def _fold_compatibility(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group(0))


@lru_cache(maxsize=1)
def _traditional_characters() -> re.Pattern[str]:
    table = traditional_to_simplified_table()
    return re.compile("[" + "".join(re.escape(chr(code)) for code in table) + "]")


def clean_opinion(text: str) -> str:
    """What is stored and shown: normalised text with personal information masked."""
    return mask_personal_info(normalize_text(text))
