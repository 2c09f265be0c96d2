"""Which words may stand for a theme (keywords, labels) and the analyst's own dictionary.

A keyword must read as a word on its own: two characters or more, not a masked place
(``a1区``, ``西地省``, a lone 市), not a question or function word (请问, 多为, 别先), not
segmentation debris (一到, 不了, 办个: a numeral, negation or adverb glued to a particle or
measure word). These words may still help clustering; they are only kept out of what an
analyst reads.

``TextDictionary`` carries the analyst's edits as plain data: domain words to keep whole,
synonyms (variant → preferred word) and stop words. The pipeline applies it to the tokens
of every run and assignment; the application stores and versions it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from analysis.text import Segmenter
from analysis.text.resources import RESOURCE_DIR, read_entry_lines

LABEL_STOP_WORDS_PATH = RESOURCE_DIR / "label_stop_words.txt"

# Masked or coded places: a1, k8县, a市, 西地省, 某某县.
_MASKED_PLACE = re.compile(
    r"^(?:[a-z]{1,2}\d{0,3}[省市县区镇乡村]|[a-z]{1,2}\d{1,3}|.{1,3}省|.{1,2}[市县]|某+.*)$"
)
_ORDINARY_PLACE_WORDS = frozenset(
    ["城市", "超市", "夜市", "菜市", "上市", "股市", "楼市", "门市", "都市", "集市", "早市", "车市"]
)
# Two-character debris: a numeral, negation or adverb in front, a particle or measure word
# behind. Longer words are left alone (一网通办, 不动产).
_DEBRIS_FIRST = frozenset("一二两三四五六七八九十几不没别很太最也都才又")
_DEBRIS_LAST = frozenset("个了着过得地的为先吗呢吧啊么到次下些")
_DEGREE_FIRST = frozenset("太很挺较")
_ASCII_NOISE = re.compile(r"^(?:https?|www|com|cn|t\.cn|html?|\d.*)$")


@lru_cache(maxsize=1)
def label_stop_words() -> frozenset[str]:
    return frozenset(read_entry_lines(LABEL_STOP_WORDS_PATH))


def is_readable_keyword(word: str, extra_stop_words: Iterable[str] = ()) -> bool:
    """True when ``word`` may appear among a theme's keywords and in its label."""
    if len(word) < 2 or _ASCII_NOISE.match(word):
        return False
    if word in label_stop_words() or word in extra_stop_words:
        return False
    if _MASKED_PLACE.match(word) and word not in _ORDINARY_PLACE_WORDS:
        return False
    if len(word) == 3 and word[0] in _DEGREE_FIRST:
        return False  # 太紧张, 很方便: a degree adverb glued to the word it grades
    return not (len(word) == 2 and (word[0] in _DEBRIS_FIRST or word[1] in _DEBRIS_LAST))


@dataclass(frozen=True, eq=False)
class TextDictionary:
    """The analyst's domain dictionary: words kept whole by segmentation, synonyms mapped to
    one preferred word, stop words dropped. Empty by default (the shipped resources apply
    in any case)."""

    words: Sequence[str] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    stop_words: Iterable[str] = ()
    _segmenter: Segmenter | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple(w.strip() for w in self.words if w.strip()))
        object.__setattr__(
            self,
            "synonyms",
            {k.strip().lower(): v.strip().lower() for k, v in self.synonyms.items()
             if k.strip() and v.strip()},
        )
        object.__setattr__(
            self, "stop_words", frozenset(w.strip().lower() for w in self.stop_words if w.strip())
        )

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.synonyms or self.stop_words)

    def segmenter(self) -> Segmenter:
        """A segmenter that keeps the analyst's words and both sides of every synonym whole."""
        cached = self._segmenter
        if cached is None:
            synonyms: Mapping[str, str] = self.synonyms
            words = dict.fromkeys([*self.words, *synonyms, *synonyms.values()])
            cached = Segmenter(extra_words=list(words), extra_stop_words=self.stop_words)
            object.__setattr__(self, "_segmenter", cached)
        return cached

    def apply(self, tokens: Sequence[Sequence[str]]) -> list[list[str]]:
        """Tokens with synonyms replaced by their preferred word and stop words removed."""
        synonyms: Mapping[str, str] = self.synonyms
        stop: frozenset[str] = self.stop_words  # type: ignore[assignment]
        if not synonyms and not stop:
            return [list(doc) for doc in tokens]
        result = []
        for doc in tokens:
            mapped = (synonyms.get(token, token) for token in doc)
            result.append([token for token in mapped if token not in stop])
        return result
