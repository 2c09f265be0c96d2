"""Lexicon-based sentiment of Chinese opinions in [-1, 1], with negation, degree adverbs and
contrast ("服务还行，但是效率太低" is negative). No model download: the lexicons are plain
text files in ``analysis/text/resources/sentiment_*.txt`` that analysts may extend.

Matching is by longest dictionary match over characters rather than over jieba tokens, so it
does not depend on how a sentence happens to be segmented ("不满意", "不错" and "不" + "好"
all come out right).
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

Kind = Literal["sentiment", "negation", "degree", "contrast", "neutral"]

# What comes before 但是 counts this much relative to what comes after it.
_BEFORE_CONTRAST = 0.5
# tanh(raw / scale): one plain "满意" (1.5) gives ≈0.6, "非常满意" gives ≈0.9.
_SCALE = 2.0
_CLAUSE_SPLIT = re.compile(r"[，。！？；,.!?;~…\s]+")


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
        elif kind in ("contrast", "neutral"):
            entries[word] = _Entry(kind, 0.0)  # type: ignore[arg-type]
    lengths: dict[str, set[int]] = {}
    for word in entries:
        lengths.setdefault(word[0], set()).add(len(word))
    return _Lexicon(
        entries, {first: tuple(sorted(ls, reverse=True)) for first, ls in lengths.items()}
    )


def score_sentiment(texts: Sequence[str]) -> list[float]:
    """Sentiment of each text in [-1, 1]; 0 when no sentiment word is found."""
    return [_score_one(normalize_text(text)) for text in texts]


def _score_one(text: str) -> float:
    lexicon = _lexicon()
    total = 0.0
    for clause in _CLAUSE_SPLIT.split(text):
        factor = 1.0  # degree and negation waiting for the next sentiment word
        position = 0
        while position < len(clause):
            entry, length = _longest_match(clause, position, lexicon)
            position += length
            if entry is None or entry.kind == "neutral":
                continue
            if entry.kind == "sentiment":
                total += entry.value * factor
                factor = 1.0
            elif entry.kind in ("negation", "degree"):
                factor *= entry.value
            else:  # contrast: the opinion's point is what follows
                total *= _BEFORE_CONTRAST
    return round(math.tanh(total / _SCALE), 4)


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
