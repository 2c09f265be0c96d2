"""What an analyst reads about a theme: distinctive keywords with weights, a short label made
of them, and representative opinions."""

from __future__ import annotations

import re
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
MIN_KEYWORD_LIFT = 1.5
_MIN_LOG_LIFT = float(np.log(MIN_KEYWORD_LIFT))
# A representative clause: the span of a real opinion between two punctuation marks, of a
# length that reads at a glance, holding the theme's keywords.
MIN_CLAUSE_CHARS = 5
MAX_CLAUSE_CHARS = 24
_CLAUSE_BREAK = re.compile(r"[。！？；!?;\n]+|[，,、：:（）()“”\"…~]+|\s{2,}")
# Openings that carry no subject: greetings, question and request words, conjunctions.
_CLAUSE_OPENING = re.compile(
    r"^(?:(?:尊敬的|请问|您好|你好|谢谢|麻烦|请|我想问一下|想问一下|我想|我们|我|希望|建议|"
    r"领导|市长|书记|网友|另外|还有|而且|但是|可是|不过|而是|并且|于是|然后|因为|所以|如果|"
    r"就是|这个|现在|目前|但)\s*)+"
)
# A clause showing a masked place, a masked number or a URL is not a label.
_CLAUSE_NOISE = re.compile(r"【|(?<![A-Za-z])[A-Za-z]{1,2}[0-9]{0,3}[省市县区镇乡]|https?:|www\.")


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
    lift: np.ndarray | None = None,
) -> list[tuple[str, float]]:
    """The ``n`` heaviest words that read as keywords (see wording.is_readable_keyword).
    With ``support`` (the theme's document count per word), words in fewer than
    ``min_support`` of the theme's opinions are passed over: a word of two opinions in a
    theme of two hundred says nothing about the theme. With ``lift`` (see word_lift), words
    not at least MIN_KEYWORD_LIFT times as frequent in the theme as overall are passed over:
    a closing formula every message has (请尽快处理) is frequent in every theme, not its
    subject."""
    stop = frozenset(stop_words)
    keywords: list[tuple[str, float]] = []
    for i in np.argsort(-weights, kind="stable"):
        if weights[i] <= 0 or len(keywords) == n:
            break
        if support is not None and support[i] < min_support:
            continue
        if lift is not None and lift[i] < _MIN_LOG_LIFT:
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


def representative_clause(
    opinions: Iterable[str], keywords: Sequence[tuple[str, float]]
) -> str:
    """The clause (a span between punctuation marks, opening greetings and question words
    dropped) of one of ``opinions`` that best covers the theme's keywords: the sum of the
    weights of the keywords it contains over the square root of its length, among clauses
    of MIN_CLAUSE_CHARS–MAX_CLAUSE_CHARS characters holding two keywords (one when the
    theme has a single keyword). "" when no clause qualifies. The clause is verbatim text
    of a real opinion, so it never cuts across a word the way keyword debris can."""
    words = [(word, weight) for word, weight in keywords if len(word) > 1 and weight > 0]
    if not words:
        return ""
    needed = 1 if len(words) == 1 else 2
    best, best_score = "", 0.0
    seen: set[str] = set()
    for opinion in opinions:
        for piece in _CLAUSE_BREAK.split(opinion):
            clause = _CLAUSE_OPENING.sub("", piece.strip()).strip()
            if (
                clause in seen
                or not MIN_CLAUSE_CHARS <= len(clause) <= MAX_CLAUSE_CHARS
                or _CLAUSE_NOISE.search(clause)
            ):
                continue
            seen.add(clause)
            hits = [weight for word, weight in words if word in clause]
            if len(hits) < needed:
                continue
            score = sum(hits) / len(clause) ** 0.5
            if score > best_score:
                best, best_score = clause, score
    return best
