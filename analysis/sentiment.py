"""Lexicon-based sentiment of Chinese opinions in [-1, 1], with negation, degree adverbs and
contrast ("服务还行，但是效率太低" is negative). No model download: the lexicons are plain
text files in ``analysis/text/resources/sentiment_*.txt`` that analysts may extend.

Matching is by longest dictionary match over characters rather than over jieba tokens, so it
does not depend on how a sentence happens to be segmented ("不满意", "不错" and "不" + "好"
all come out right).

Beyond single words: a courtesy (谢谢, 辛苦了) is never praise on a complaint and alone stays
neutral; a request or question (建议, 希望, 请问 …？) judges nothing; a reported promise
(说是, 号称) is not praise; what was (以前, 原以为) counts little; and regular patterns in
``sentiment_patterns.txt`` read durations and repetitions ("当天就拿到了", "跑了五趟").
Three classes: ``sentiment_class`` (±NEUTRAL_BAND).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from analysis.text.normalize import normalize_text
from analysis.text.resources import RESOURCE_DIR, read_entry_lines

Kind = Literal[
    "sentiment", "negation", "degree", "contrast", "neutral", "polite", "request", "hearsay",
    "past",
]
_MODIFIER_KINDS = ("contrast", "neutral", "polite", "request", "hearsay", "past")

# What comes before 但是 counts this much relative to what comes after it.
_BEFORE_CONTRAST = 0.5
# tanh(raw / scale): one plain "满意" (1.5) gives ≈0.6, "非常满意" gives ≈0.9.
_SCALE = 2.0
# A courtesy alone (谢谢, 辛苦了) stays inside the neutral band; it never offsets a complaint.
_POLITE_VALUE = 0.25
# How much a clause about the past ("以前担心手续繁琐") counts.
_PAST_WEIGHT = 0.3
_CLAUSE_SPLIT = re.compile(r"([，。！？；,.!?;~…\s]+)")
_SENTENCE_END = re.compile(r"[。！？!?]")
_QUESTION_END = re.compile(r"(?:吗|呢|么)$")
_QUESTION_WORDS = re.compile(r"怎么办理|如何|哪些|哪里|什么时候|多长时间|多少天|怎么申请|怎么计算|怎么下载")
_NUMBER = r"(?:[一二两三四五六七八九十百几半\d]+|十几|几十)(?:个)?(?:多)?(?:个)?"
_TIME_UNIT = r"(?:工作日|天|小时|分钟|周|星期|礼拜|月|年)"


@dataclass(frozen=True)
class _Entry:
    kind: Kind
    value: float


@dataclass(frozen=True)
class _Lexicon:
    entries: dict[str, _Entry]
    # Entry lengths by first character, longest first: most characters start no entry, so
    # most positions cost one dict lookup.
    lengths_by_first: dict[str, tuple[int, ...]]
    patterns: tuple[tuple[re.Pattern[str], float], ...]


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    entries: dict[str, _Entry] = {}
    for name, sign in (("sentiment_positive.txt", 1.0), ("sentiment_negative.txt", -1.0)):
        for line in read_entry_lines(RESOURCE_DIR / name):
            word, *weight = line.split()
            entries[word] = _Entry("sentiment", sign * float(weight[0] if weight else 1.0))
    for line in read_entry_lines(RESOURCE_DIR / "sentiment_modifiers.txt"):
        kind, word, *factor = line.split()
        if kind == "negation":
            entries[word] = _Entry("negation", -float(factor[0] if factor else 1.0))
        elif kind == "degree":
            entries[word] = _Entry("degree", float(factor[0]))
        elif kind in _MODIFIER_KINDS:
            entries[word] = _Entry(kind, 0.0)  # type: ignore[arg-type]
    lengths: dict[str, set[int]] = {}
    for word in entries:
        lengths.setdefault(word[0], set()).add(len(word))
    patterns = []
    for line in read_entry_lines(RESOURCE_DIR / "sentiment_patterns.txt"):
        value_text, source = line.split(maxsplit=1)
        source = source.replace("{N}", _NUMBER).replace("{T}", _TIME_UNIT)
        patterns.append((re.compile(source), float(value_text)))
    return _Lexicon(
        entries,
        {first: tuple(sorted(ls, reverse=True)) for first, ls in lengths.items()},
        tuple(patterns),
    )


def score_sentiment(texts: Sequence[str]) -> list[float]:
    """Sentiment of each text in [-1, 1]; 0 when no sentiment word is found."""
    return [_score_one(normalize_text(text)) for text in texts]


def _score_one(text: str) -> float:
    lexicon = _lexicon()
    total = 0.0
    polite = False
    negative = False
    # A request's purpose clause is not praise: "建议把指南放到公众号上，方便查看".
    after_request = False
    parts = _CLAUSE_SPLIT.split(text)
    for clause, delimiter in zip(parts[::2], [*parts[1::2], ""], strict=True):
        if not clause:
            continue
        hits = _pattern_hits(clause, lexicon)
        # A question asks; it does not judge ("请问新办企业可以享受哪些优惠？").
        mode = "request" if "？" in delimiter or "?" in delimiter or _QUESTION_END.search(
            clause
        ) or _QUESTION_WORDS.search(clause) else ""
        praise_muted = after_request
        factor = 1.0  # degree and negation waiting for the next sentiment word
        position = 0
        while position < len(clause):
            if position in hits:
                end, value = hits[position]
                if not (mode == "hearsay" and value > 0):
                    total += value
                    negative = negative or value < 0
                position, factor = end, 1.0
                continue
            entry, length = _longest_match(clause, position, lexicon)
            position += length
            if entry is None or entry.kind == "neutral":
                continue
            if entry.kind == "sentiment":
                value = entry.value * factor
                factor = 1.0
                if mode == "request" or ((mode in ("hearsay",) or praise_muted) and value > 0):
                    continue
                if mode == "past":
                    value *= _PAST_WEIGHT
                total += value
                negative = negative or value < 0
            elif entry.kind in ("negation", "degree"):
                factor *= entry.value
            elif entry.kind == "polite":
                polite = True
            elif entry.kind == "contrast":  # the opinion's point is what follows
                total *= _BEFORE_CONTRAST
                mode = "" if mode == "past" else mode
                praise_muted = False
            elif not mode:  # request, hearsay, past: for the rest of the clause
                mode = entry.kind
        after_request = mode == "request" and not _SENTENCE_END.search(delimiter)
    if polite and not negative:
        total += _POLITE_VALUE
    return round(math.tanh(total / _SCALE), 4)


def _pattern_hits(clause: str, lexicon: _Lexicon) -> dict[int, tuple[int, float]]:
    """Start → (end, weight) of the non-overlapping pattern matches in a clause."""
    hits: dict[int, tuple[int, float]] = {}
    taken: list[tuple[int, int]] = []
    for pattern, weight in lexicon.patterns:
        for match in pattern.finditer(clause):
            start, end = match.span()
            if end > start and all(end <= a or start >= b for a, b in taken):
                hits[start] = (end, weight)
                taken.append((start, end))
    return hits


def _longest_match(clause: str, position: int, lexicon: _Lexicon) -> tuple[_Entry | None, int]:
    for length in lexicon.lengths_by_first.get(clause[position], ()):
        entry = lexicon.entries.get(clause[position : position + length])
        if entry is not None:
            return entry, length
    return None, 1


# Scores within ±NEUTRAL_BAND are neutral: the band absorbs a lone mild word.
NEUTRAL_BAND = 0.15
SentimentClass = Literal["positive", "neutral", "negative"]


def sentiment_class(score: float) -> SentimentClass:
    """The three-class reading of a score."""
    if score > NEUTRAL_BAND:
        return "positive"
    if score < -NEUTRAL_BAND:
        return "negative"
    return "neutral"
