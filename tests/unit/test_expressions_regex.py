"""The linear-time regex engine behind regex(): agreement with Python's re, rejection of what
it does not support, and immunity to catastrophic patterns."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from questionnaires.safe_regex import (
    MAX_PATTERN_LENGTH,
    MAX_REPEAT,
    RegexError,
    compile_regex,
)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        (r"^1[3-9]\d{9}$", "13912345678", True),
        (r"^1[3-9]\d{9}$", "12912345678", False),
        (r"\d{6}", "12345", False),
        (r"[\u4e00-\u9fa5]{2,4}", "营商环境", True),
        (r"[\u4e00-\u9fa5]{2,4}", "营商环境好", False),
        (r"[^0-9]+", "abc", True),
        (r"[^0-9]+", "ab1", False),
        (r"\w+@\w+\.com", "a_1@b.com", True),
        (r"(?:ab|cd){1,2}e?", "abcd", True),
        (r"(?:ab|cd){1,2}e?", "ababab", False),
        (r"a.c", "a\nc", False),  # . does not match line breaks
        (r"\s+", "\u3000 \t", True),  # JavaScript's \s includes the ideographic space
        (r"[a\-z]", "-", True),
        (r"[\d\s]+", "1 2", True),
        (r"[\D]", "x", True),
        (r"\x41\u0042", "AB", True),
        (r"", "", True),
        (r"a|", "", True),
        (r"(a*)*", "aaaa", True),
        (r"a{2}", "aa", True),
        (r"a{2,}", "aaaaa", True),
        (r"a{2,}", "a", False),
        (r"a+?b", "aab", True),
    ],
)
def test_matching(pattern: str, subject: str, expected: bool) -> None:
    assert compile_regex(pattern).full_match(subject) is expected


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("(a", "缺少右括号"),
        ("a)", "多余的右括号"),
        (r"(a)\1", "反向引用"),
        ("(?=a)", "(?…)"),
        ("(?<name>a)", "(?…)"),
        ("(?i)a", "(?…)"),
        ("a**", "连续的量词"),
        ("a++", "连续的量词"),
        ("*a", "缺少可重复的内容"),
        ("^*", "^ 或 $"),
        ("a{3,2}", "n 大于 m"),
        ("a{,2}", "格式不正确"),
        (f"a{{{MAX_REPEAT + 1}}}", "重复次数"),
        ("[z-a]", "起点大于终点"),
        (r"\q", "不支持的转义"),
        ("a]", "需要转义"),
        ("[a", "意外结束"),
        ("a" * (MAX_PATTERN_LENGTH + 1), "过长"),
        ("(" * 12 + "a" + ")" * 12, "嵌套"),
        ("((a{100}){100})", "过于复杂"),
        (r"[\d-z]", "单个字符"),
    ],
)
def test_rejected_patterns(pattern: str, fragment: str) -> None:
    with pytest.raises(RegexError) as caught:
        compile_regex(pattern)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("pattern", "subject"),
    [
        ("(a+)+b", "a" * 3000 + "!"),
        ("(a|aa)*c", "a" * 3000 + "!"),
        ("(a|a)*b", "a" * 3000 + "!"),
        ("(.*a){12}", "a" * 3000 + "!"),
        ("a*a*a*a*a*a*a*a*b", "a" * 3000 + "!"),
        ("(x+x+)+y", "x" * 3000 + "!"),
    ],
)
def test_catastrophic_patterns_finish_without_matching(pattern: str, subject: str) -> None:
    # Each of these takes Python's backtracking re longer than the age of the universe on this
    # subject; the NFA simulation finishes in linear time. The charge callback bounds the work.
    work = [0]

    def charge(cost: int) -> None:
        work[0] += cost

    assert compile_regex(pattern).full_match(subject, charge) is False
    program_size = len(compile_regex(pattern).program)
    assert work[0] <= len(subject) * program_size


# --- agreement with Python's re on random patterns of the supported subset ---------------------

ATOMS = st.sampled_from(["a", "b", "c", ".", "[ab]", "[^a]", r"\d", r"\w", "[0-9]", r"\."])


def _patterns(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return ATOMS
    smaller = _patterns(depth - 1)
    quantifier = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,3}", "{0,}"])
    piece = st.tuples(smaller, quantifier).map(lambda t: f"(?:{t[0]}){t[1]}" if t[1] else t[0])
    sequence = st.lists(piece, min_size=1, max_size=3).map("".join)
    return st.one_of(
        sequence,
        st.tuples(sequence, sequence).map(lambda t: f"(?:{t[0]}|{t[1]})"),
    )


@settings(max_examples=300, deadline=None)
@given(pattern=_patterns(2), subject=st.text(alphabet="abc1.x_ ", max_size=10))
def test_agrees_with_python_re(pattern: str, subject: str) -> None:
    assume(len(pattern) <= MAX_PATTERN_LENGTH)
    expected = re.fullmatch(pattern, subject, re.ASCII) is not None
    assert compile_regex(pattern).full_match(subject) is expected
