"""Masking of personal information in free text (pure; issue 17, finding 3).

`mask_personal_info` replaces, by placeholders such as 【手机号】:

* e-mail addresses;
* licence plates, in either case (粤B12345, 粤b12345, 京A·D12345);
* numbers, however they are written: ASCII, full-width or Chinese numerals (一三八…, 〇/零/幺/两),
  with letters or punctuation around them (VX13812345678, Tel:…) and any separators between
  the digits (138.1234.5678, 138 123 45678, 138-1234-5678, (0755)2345-6789):
  - mobile numbers: 11 digits 1[3-9]…, optionally after +86 / 0086;
  - ID numbers: 18 digits (the last may be X) and the old 15-digit form, with a valid date;
  - landlines with an area code (0 + 2–3 digits + 7–8 digits, with an extension 转123 / -123);
  - local landlines of 7–8 digits when 电话, 座机, 固话, 号码, 联系 or tel stands just before.

How numbers are found: a *view* of the text maps every digit-like character to an ASCII digit,
one character for one, so positions match the original. Runs of digits separated by at most
three separator characters are split into groups (a group is digits of one script), and the
longest window of consecutive groups that forms one of the numbers above is masked; the search
then goes on after it. A long number that is none of these (an order number, an amount) is left
as it is. Masking errs on the side of hiding: an 11-digit amount starting 13… is hidden too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

PHONE_PLACEHOLDER = "【手机号】"
LANDLINE_PLACEHOLDER = "【固定电话】"
ID_NUMBER_PLACEHOLDER = "【身份证号】"
EMAIL_PLACEHOLDER = "【邮箱】"
PLATE_PLACEHOLDER = "【车牌号】"
PLACEHOLDERS = (
    PHONE_PLACEHOLDER,
    LANDLINE_PLACEHOLDER,
    ID_NUMBER_PLACEHOLDER,
    EMAIL_PLACEHOLDER,
    PLATE_PLACEHOLDER,
)

_CHINESE_DIGITS = {
    "0": "〇零○Ｏ", "1": "一壹幺", "2": "二贰两", "3": "三叁", "4": "四肆", "5": "五伍",
    "6": "六陆", "7": "七柒", "8": "八捌", "9": "九玖",
}
# Full-width and Chinese digits -> ASCII digits; every mapping is one character to one.
_DIGIT_VIEW = str.maketrans(
    {chr(0xFF10 + d): str(d) for d in range(10)}
    | {char: digit for digit, chars in _CHINESE_DIGITS.items() for char in chars}
)
_CJK_DIGIT_CHARS = frozenset("".join(_CHINESE_DIGITS.values()))
# Full-width letters and @ . - + fold for the e-mail and plate patterns (one to one as well).
_FULL_WIDTH_FOR_MASKING = {
    ord(char): ord(char) - 0xFEE0 for char in "０１２３４５６７８９＠．－＋" + "".join(
        chr(code) for code in [*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
    )
}

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PROVINCES = "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领]"
_PLATE = re.compile(rf"{_PROVINCES}\s?[A-Za-z][·•.\s\-]?[A-Za-z0-9]{{5,6}}(?![A-Za-z0-9])")
_MAY_BE_PLATE = re.compile(rf"{_PROVINCES}\s?[A-Za-zＡ-Ｚａ-ｚ]")
_SEPARATOR = r"[\s\-‐‑–—―~～_.·•・/,，、:：()（）\[\]]"
_RUN = re.compile(rf"[0-9](?:{_SEPARATOR}{{0,3}}[0-9])*")
_GROUP = re.compile(r"[0-9]+")

_MOBILE = re.compile(r"(?:0{0,2}86)?1[3-9][0-9]{9}")
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_ID18 = re.compile(rf"[1-9][0-9]{{5}}(?:18|19|20)[0-9]{{2}}{_DATE}[0-9]{{3}}[0-9Xx]")
_ID17 = re.compile(rf"[1-9][0-9]{{5}}(?:18|19|20)[0-9]{{2}}{_DATE}[0-9]{{3}}")  # + an X
_ID15 = re.compile(rf"[1-9][0-9]{{5}}[0-9]{{2}}{_DATE}[0-9]{{3}}")
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}[2-9][0-9]{6,7}")
_LOCAL_LANDLINE = re.compile(r"[2-9][0-9]{6,7}")
_LANDLINE_WORDS = re.compile(r"电话|座机|固话|号码|联系|tel", re.IGNORECASE)
_LONGEST = 18  # digits in the longest number masked (an ID number; 0086 + mobile is 15)
_WORD_DISTANCE = 8  # characters between such a word and the number
_EXTENSION = re.compile(rf"(?:转|分机|ext\.?|{_SEPARATOR}{{1,2}})[0-9]{{1,5}}(?![0-9])",
                        re.IGNORECASE)
_DIGIT_LIKE = "[0-9０-９" + "".join(sorted(_CJK_DIGIT_CHARS)) + "]"
# Cheap pre-check on the raw text: at least 7 digit-like characters in one run (the shortest
# number masked), an @ or a plate; most opinions have none and return at once.
_MAY_HOLD_NUMBER = re.compile(rf"{_DIGIT_LIKE}(?:{_SEPARATOR}{{0,3}}{_DIGIT_LIKE}){{6,}}|[@＠]")


def mask_personal_info(text: str) -> str:
    """The text with every personal number, e-mail address and plate replaced (module doc)."""
    if not _MAY_HOLD_NUMBER.search(text) and not _MAY_BE_PLATE.search(text):
        return text
    text = text.translate(_FULL_WIDTH_FOR_MASKING)
    text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    text = _PLATE.sub(PLATE_PLACEHOLDER, text)
    return _mask_numbers(text)


def _kind(digits: str, text: str, start: int, end: int) -> str | None:
    """Which personal number `digits` (found at text[start:end]) is, if any."""
    if _MOBILE.fullmatch(digits):
        return PHONE_PLACEHOLDER
    if _ID18.fullmatch(digits) or _ID15.fullmatch(digits):
        return ID_NUMBER_PLACEHOLDER
    if _ID17.fullmatch(digits) and text[end:end + 1] in ("X", "x"):
        return ID_NUMBER_PLACEHOLDER
    if _LANDLINE.fullmatch(digits):
        return LANDLINE_PLACEHOLDER
    if _LOCAL_LANDLINE.fullmatch(digits) and _LANDLINE_WORDS.search(
        text[max(0, start - _WORD_DISTANCE):start]
    ):
        return LANDLINE_PLACEHOLDER
    return None


def _groups(view: str, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of digit groups in view[start:end]; a change of script also starts a group."""
    spans = []
    for match in _GROUP.finditer(view, start, end):
        group_start = match.start()
        for index in range(match.start() + 1, match.end()):
            if (text[index] in _CJK_DIGIT_CHARS) != (text[index - 1] in _CJK_DIGIT_CHARS):
                spans.append((group_start, index))
                group_start = index
        spans.append((group_start, match.end()))
    return spans


def _mask_numbers(text: str) -> str:
    view = text.translate(_DIGIT_VIEW)
    replacements: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(view):
        groups = _groups(view, text, run.start(), run.end())
        first = 0
        while first < len(groups):
            found = None
            digits = ""
            for last in range(first + 1, len(groups) + 1):  # the longest match wins
                start, end = groups[first][0], groups[last - 1][1]
                digits += view[groups[last - 1][0]:end]
                if len(digits) > _LONGEST:
                    break
                kind = _kind(digits, text, start, end)
                if kind is not None:
                    found = (start, end, kind, last)
            if found is None:
                first += 1
                continue
            start, end, kind, first = found
            if kind == ID_NUMBER_PLACEHOLDER and text[end:end + 1] in ("X", "x"):
                end += 1
            if kind == LANDLINE_PLACEHOLDER and (extension := _EXTENSION.match(view, end)):
                end = extension.end()
                while first < len(groups) and groups[first][0] < end:
                    first += 1
            start = _with_prefix(text, start, kind)
            replacements.append((start, end, kind))
    for start, end, kind in reversed(replacements):
        text = text[:start] + kind + text[end:]
    return text


def _with_prefix(text: str, start: int, kind: str) -> int:
    """Include a leading + (country code), or the opening bracket of an area code."""
    before = text[start - 1:start]
    if before == "+" or (kind == LANDLINE_PLACEHOLDER and before in ("(", "（")):
        return start - 1
    return start


def mask_text_answers(answers: Mapping[str, object], text_names: Iterable[str]) -> dict[str, object]:
    """A copy of typed answers with personal information masked in the free-text answers
    (`text_names`: the questions answered in free text); other answers are codes and stay."""
    names = frozenset(text_names)
    return {
        name: mask_personal_info(value) if name in names and isinstance(value, str) else value
        for name, value in answers.items()
    }
