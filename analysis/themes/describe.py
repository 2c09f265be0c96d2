"""What an analyst reads about a theme: distinctive keywords with weights, a short label made
of them, and representative opinions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from analysis.themes.dmm import MixtureCounts
from analysis.themes.wording import is_readable_keyword

N_KEYWORDS = 10
LABEL_WORDS = 3
LABEL_SEPARATOR = "、"
EMPTY_LABEL = "未命名主题"
_MAX_CANDIDATES = 5000
# A keyword is in at least this share of its theme's opinions (and in two of them).
MIN_KEYWORD_SUPPORT = 0.03


def class_tfidf(counts: MixtureCounts) -> np.ndarray:
    """Class-based TF-IDF (the c-TF-IDF of BERTopic): a word's share of the theme's words
    times log(1 + average words per theme / the word's count over all themes). Words that
    are frequent in the theme and rare elsewhere come first."""
    word_counts = counts.word_counts
    totals = word_counts.sum(axis=1, keepdims=True)
    term_freq = np.divide(word_counts, totals, out=np.zeros_like(word_counts), where=totals > 0)
    overall = word_counts.sum(axis=0)
    average = word_counts.sum() / max(1, word_counts.shape[0])
    idf = np.log1p(np.divide(average, overall, out=np.zeros_like(overall), where=overall > 0))
    return term_freq * idf[None, :]


def top_keywords(
    weights: np.ndarray,
    vocabulary: Sequence[str],
    n: int = N_KEYWORDS,
    *,
    support: np.ndarray | None = None,
    min_support: float = 0.0,
    stop_words: Iterable[str] = (),
) -> list[tuple[str, float]]:
    """The ``n`` heaviest words that read as keywords (see wording.is_readable_keyword).
    With ``support`` (the theme's document count per word), words in fewer than
    ``min_support`` of the theme's opinions are passed over: a word of two opinions in a
    theme of two hundred says nothing about the theme."""
    stop = frozenset(stop_words)
    keywords: list[tuple[str, float]] = []
    for i in np.argsort(-weights, kind="stable"):
        if weights[i] <= 0 or len(keywords) == n:
            break
        if support is not None and support[i] < min_support:
            continue
        if is_readable_keyword(vocabulary[i], stop):
            keywords.append((vocabulary[i], round(float(weights[i]), 4)))
    return keywords


def label_from_keywords(keywords: Sequence[tuple[str, float]], n_words: int = LABEL_WORDS) -> str:
    """The first keywords that do not repeat each other ("停车" is dropped after "停车难"),
    of two or more characters only: a lone 买 or 快 reads badly in a label."""
    words = [word for word, _ in keywords if len(word) > 1]
    chosen: list[str] = []
    for word in words:
        if not any(word in other or other in word for other in chosen):
            chosen.append(word)
        if len(chosen) == n_words:
            break
    return LABEL_SEPARATOR.join(chosen) or EMPTY_LABEL


def representatives(
    members: np.ndarray,
    x: sp.csr_matrix,
    lift: np.ndarray,
    texts: Sequence[str],
    *,
    n: int,
    rng: np.random.Generator,
) -> list[int]:
    """Indices of ``n`` distinct opinions most typical of the theme: the highest total lift
    (log of a word's probability in the theme over its probability overall) per word, with a
    mild preference for opinions of a few words over one-word answers."""
    if members.size > _MAX_CANDIDATES:
        members = np.sort(rng.choice(members, _MAX_CANDIDATES, replace=False))
    rows = x[members]
    lengths = np.asarray(rows.sum(axis=1)).ravel()
    typicality = np.asarray(rows @ lift).ravel() / (lengths + 1.0)
    chosen: list[int] = []
    seen: set[str] = set()
    for position in np.argsort(-typicality, kind="stable"):
        index = int(members[position])
        if texts[index] in seen or not texts[index].strip():
            continue
        seen.add(texts[index])
        chosen.append(index)
        if len(chosen) == n:
            break
    return chosen


def word_lift(counts: MixtureCounts, row: int, beta: float) -> np.ndarray:
    """log p(word | theme) − log p(word | all themes), smoothed by β."""
    vocabulary_size = counts.word_counts.shape[1]
    theme = counts.word_counts[row]
    pooled = counts.word_counts.sum(axis=0)
    in_theme = (theme + beta) / (theme.sum() + vocabulary_size * beta)
    overall = (pooled + beta) / (pooled.sum() + vocabulary_size * beta)
    return np.log(in_theme) - np.log(overall)
