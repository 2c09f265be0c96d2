"""USCC (GB 32100-2015) check-character tests against real published codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.uscc import (
    USCC_CHARSET,
    USCC_WEIGHTS,
    explain_uscc_error,
    is_valid_uscc,
    normalize_uscc,
    uscc_check_character,
)

# Codes printed on real business licences and used as "valid" examples in public
# validator test suites (e.g. Hutool's Validator tests).
REAL_CODES = [
    "91350100M000100Y43",
    "91370100780603055K",
    "91310110666007217T",
    "91350500676532779B",
    "91510100350611266D",
    "91330101589882738D",
    "91510100MA6BKY6U36",
    "9144030071526726XG",  # Tencent Technology (Shenzhen) Co., Ltd.
    "914403001922038216",  # Huawei Technologies Co., Ltd.
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert explain_uscc_error(code) is None
    assert uscc_check_character(code[:17]) == code[17]


def test_charset_and_weights_follow_the_standard() -> None:
    assert len(USCC_CHARSET) == 31
    assert not set("IOZSV") & set(USCC_CHARSET)
    # The weights are 3^(i-1) mod 31.
    assert list(USCC_WEIGHTS) == [pow(3, i, 31) for i in range(17)]


def test_check_character_by_hand() -> None:
    # 9 1 3 5 0 1 0 0 M(21) 0 0 0 1 0 0 Y(30) 4
    # weighted sum = 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640
    # 1640 mod 31 = 28, 31 - 28 = 3  ->  '3'
    assert uscc_check_character("91350100M000100Y4") == "3"


def test_remainder_zero_maps_to_zero() -> None:
    # 17 zeros: sum = 0, 31 - 0 = 31 -> '0'
    assert uscc_check_character("0" * 17) == "0"
    assert is_valid_uscc("0" * 18)


def test_wrong_check_character_is_explained() -> None:
    message = explain_uscc_error("91350100M000100Y44")
    assert message is not None
    assert "第18位应为“3”" in message
    assert not is_valid_uscc("91350100M000100Y44")


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("", "为空"),
        ("91350100M000100Y4", "实际为17位"),
        ("91350100M000100Y433", "实际为19位"),
        ("91350100I000100Y43", "第9位字符“I”不合法"),
        ("91350100m000100Y43", "第9位字符“m”不合法"),
        ("S1350100M000100Y43", "第1位字符“S”不合法"),
    ],
)
def test_format_errors_are_explained(code: str, fragment: str) -> None:
    message = explain_uscc_error(code)
    assert message is not None
    assert fragment in message
    assert not is_valid_uscc(code)


def test_check_character_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="17位"):
        uscc_check_character("123")
    with pytest.raises(ValueError, match="第3位"):
        uscc_check_character("91O50100M000100Y4")


def test_normalize_handles_excel_typing() -> None:
    assert normalize_uscc(" ９１350100m000100y43 ") == "91350100M000100Y43"
    assert normalize_uscc("9135 0100\tM000100Y43") == "91350100M000100Y43"


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17))
def test_any_body_with_its_check_character_is_valid(body: str) -> None:
    assert is_valid_uscc(body + uscc_check_character(body))


@given(
    st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17),
    st.integers(min_value=0, max_value=16),
    st.integers(min_value=1, max_value=30),
)
def test_single_character_change_is_detected(body: str, position: int, shift: int) -> None:
    code = body + uscc_check_character(body)
    changed_value = (USCC_CHARSET.index(code[position]) + shift) % 31
    changed = code[:position] + USCC_CHARSET[changed_value] + code[position + 1 :]
    # Weights are non-zero mod the prime 31, so any single substitution changes the check.
    assert not is_valid_uscc(changed)
