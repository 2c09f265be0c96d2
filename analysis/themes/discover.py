"""Theme discovery over free-text opinions, and assignment of new opinions to known themes.

Pipeline: clean (normalise, mask personal information) → segment (jieba + domain dictionary
− stop words) → binary document-term matrix → Dirichlet multinomial mixture (see dmm.py) →
keywords, labels, representatives, mean sentiment.

Without a given k the mixture starts with more clusters than needed; the sampler empties some
and greedy merging by model evidence (merge while the merged model explains the opinions
better) settles the rest. On very large inputs the mixture is fitted on a random sample and
every other opinion is assigned by its posterior.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis.sentiment import score_sentiment
from analysis.text import Segmenter, clean_opinion, default_segmenter
from analysis.themes.clustering import (
    FIT_SAMPLE,
    MAX_THEMES,
    UNASSIGNED,
    cluster_rows,
    sample_rows,
)
from analysis.themes.corpus import doc_term_matrix, vocabulary_and_matrix
from analysis.themes.describe import (
    LABEL_SEPARATOR,
    MIN_KEYWORD_SUPPORT,
    class_tfidf,
    label_from_keywords,
    representative_clause,
    representatives,
    top_keywords,
    word_lift,
)
from analysis.themes.dmm import (
    DEFAULT_ALPHA,
    DEFAULT_BETA,
    DEFAULT_LENGTH_CAP,
    count_clusters,
)
from analysis.themes.model import ThemeModel
from analysis.themes.wording import TextDictionary

UNASSIGNED_LABEL = "未归类/新议题"
N_REPRESENTATIVES = 5
# Opinions searched for a theme's representative clause (the most typical first).
_CLAUSE_CANDIDATES = 30
DEFAULT_MIN_CONFIDENCE = 0.5
# An opinion is assigned to a theme only when at least this share of its words is known to the
# model (one of three: 加装电梯 in 加装电梯/审批/能批); otherwise it is held as 新议题.
MIN_KNOWN_SHARE = 1 / 3
_SENTIMENT_SAMPLE = 400
_MIN_SENTIMENT_SAMPLE = 100
_SENTIMENT_CHARS = 30_000
# A new cluster takes over a previous theme's id when their word distributions are at
# least this similar (cosine): below it, the theme is new.
_MIN_IDENTITY_SIMILARITY = 0.5


class ThemeInputError(ValueError):
    """Bad input from the user (message in Chinese)."""


@dataclass(frozen=True)
class Theme:
    id: int
    label: str
    keywords: list[tuple[str, float]]
    size: int
    representatives: list[int]
    mean_sentiment: float
    # A clause of a real opinion that sums the theme up ("" when none reads well); the
    # automatic label when the keywords give fewer than two words.
    phrase: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "keywords": [[word, weight] for word, weight in self.keywords],
            "size": self.size,
            "representatives": list(self.representatives),
            "mean_sentiment": self.mean_sentiment,
            "phrase": self.phrase,
        }


@dataclass(frozen=True)
class ThemeRun:
    """The outcome of a clustering run. ``assignments[i]`` is the theme id of opinion i or
    -1 (no content words, or fits no theme); themes are ordered largest first."""

    assignments: list[int]
    themes: list[Theme]
    model: ThemeModel
    texts: list[str] = field(repr=False)  # the cleaned (masked) opinions

    def theme(self, theme_id: int) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(f"主题 {theme_id} 不存在")


@dataclass(frozen=True, eq=False)
class _Corpus:
    texts: list[str]
    tokens: Sequence[Sequence[str]]


def prepare_corpus(
    texts: Sequence[str],
    *,
    tokens: Sequence[Sequence[str]] | None = None,
    segmenter: Segmenter | None = None,
    dictionary: TextDictionary | None = None,
) -> _Corpus:
    """Cleaned texts and their tokens. The analyst's ``dictionary`` (words, synonyms, stop
    words) applies to given tokens too; its words are kept whole when segmenting here
    (unless a ``segmenter`` is given)."""
    cleaned = [clean_opinion(text) for text in texts]
    if tokens is None:
        if segmenter is None:
            if dictionary is not None and not dictionary.is_empty:
                segmenter = dictionary.segmenter()
            else:
                segmenter = default_segmenter()
        tokens = segmenter.segment(cleaned)
    elif len(tokens) != len(texts):
        raise ThemeInputError("分词结果的条数与意见条数不一致")
    if dictionary is not None and not dictionary.is_empty:
        tokens = dictionary.apply(tokens)
    return _Corpus(cleaned, tokens)


def discover_themes(
    texts: Sequence[str],
    *,
    k: int | None = None,
    seed: int = 0,
    tokens: Sequence[Sequence[str]] | None = None,
    sentiments: Sequence[float] | None = None,
    previous: ThemeModel | None = None,
    segmenter: Segmenter | None = None,
    max_themes: int = MAX_THEMES,
    fit_sample: int = FIT_SAMPLE,
    dictionary: TextDictionary | None = None,
    length_cap: float | None = DEFAULT_LENGTH_CAP,
) -> ThemeRun:
    """Group opinions into themes. ``k`` fixes the number of themes (at most k come out:
    the model may leave a cluster empty); otherwise it is chosen automatically, up to
    ``max_themes``. With ``previous`` (the model of an earlier run) themes that match an
    earlier theme keep its id and custom label, and its pinned keywords apply.
    ``tokens`` (one list per text) skips segmentation; ``sentiments`` (one per text) skips
    sentiment scoring, which is otherwise done on a sample of each theme.
    ``dictionary``: the analyst's words, synonyms and stop words (see wording.py); its stop
    words are never keywords either. ``length_cap``: see dmm.py (None: no tempering)."""
    if k is not None and k < 1:
        raise ThemeInputError("主题数 k 必须是正整数")
    corpus = prepare_corpus(texts, tokens=tokens, segmenter=segmenter, dictionary=dictionary)
    # The vocabulary comes from the same kind of sample the mixture is fitted on.
    vocabulary_rows = sample_rows(len(texts), fit_sample, np.random.default_rng(seed))
    vocabulary, x = vocabulary_and_matrix(corpus.tokens, vocabulary_rows)
    labels = cluster_rows(
        x, k=k, seed=seed, max_themes=max_themes, fit_sample=fit_sample, length_cap=length_cap
    )
    n_clusters = int(labels.max(initial=-1)) + 1
    ids, next_id = _theme_ids(x, labels, n_clusters, vocabulary, previous)
    assignments = np.where(labels >= 0, ids[np.maximum(labels, 0)], UNASSIGNED)
    pins = dict(previous.pins) if previous is not None else {}
    custom = dict(previous.custom_labels) if previous is not None else {}
    assignments = apply_pins(corpus.texts, assignments, pins)
    next_id = max([next_id, *(theme_id + 1 for theme_id in pins.values())])
    return build_run(
        corpus.texts,
        x,
        assignments,
        vocabulary=vocabulary,
        pins=pins,
        custom_labels=custom,
        next_theme_id=next_id,
        sentiments=sentiments,
        seed=seed,
        label_stop_words=dictionary.stop_words if dictionary is not None else (),
        length_cap=length_cap,
    )


def _theme_ids(
    x: sp.csr_matrix,
    labels: np.ndarray,
    n_clusters: int,
    vocabulary: Sequence[str],
    previous: ThemeModel | None,
) -> tuple[np.ndarray, int]:
    """Theme id of each cluster, and the next free id. Without a previous model ids are
    0..K-1; with one, clusters matched one-to-one to similar previous themes (Hungarian
    matching on the cosine of word distributions) keep those themes' ids."""
    if previous is None or not previous.theme_ids:
        return np.arange(n_clusters), n_clusters
    # Imported here: scipy.optimize takes ≈ 1 s to import, a tenth of a CLI run on 10,000
    # messages, and only re-runs need it.
    from scipy.optimize import linear_sum_assignment

    current = count_clusters(x, labels, n_clusters).word_counts
    earlier = _counts_in_vocabulary(previous, vocabulary)
    similarity = _cosine(current, earlier)
    ids = np.full(n_clusters, -1, dtype=np.int64)
    rows, cols = linear_sum_assignment(-similarity)
    for row, col in zip(rows, cols, strict=True):
        if similarity[row, col] >= _MIN_IDENTITY_SIMILARITY:
            ids[row] = previous.theme_ids[col]
    next_id = previous.next_theme_id
    for row in np.flatnonzero(ids < 0):
        ids[row] = next_id
        next_id += 1
    return ids, next_id


def _counts_in_vocabulary(model: ThemeModel, vocabulary: Sequence[str]) -> np.ndarray:
    """The model's word counts re-indexed to another vocabulary (missing words dropped)."""
    index = {word: i for i, word in enumerate(vocabulary)}
    source = [i for i, word in enumerate(model.vocabulary) if word in index]
    target = [index[model.vocabulary[i]] for i in source]
    counts = np.zeros((len(model.theme_ids), len(vocabulary)))
    counts[:, target] = model.counts.word_counts[:, source]
    return counts


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a_norm = np.linalg.norm(a, axis=1, keepdims=True)
    b_norm = np.linalg.norm(b, axis=1, keepdims=True)
    return (a @ b.T) / np.maximum(a_norm, 1e-12) / np.maximum(b_norm, 1e-12).T


def apply_pins(
    texts: Sequence[str], assignments: np.ndarray, pins: Mapping[str, int]
) -> np.ndarray:
    """Opinions containing a pinned keyword go to its theme; the longest keyword wins."""
    if not pins:
        return assignments
    result = assignments.copy()
    keywords = sorted(pins, key=lambda word: (-len(word), word))
    for i, text in enumerate(texts):
        for keyword in keywords:
            if keyword in text:
                result[i] = pins[keyword]
                break
    return result


def build_run(
    texts: list[str],
    x: sp.csr_matrix,
    assignments: np.ndarray,
    *,
    vocabulary: tuple[str, ...],
    pins: Mapping[str, int],
    custom_labels: Mapping[int, str],
    next_theme_id: int,
    sentiments: Sequence[float] | None,
    seed: int,
    label_stop_words: Iterable[str] = (),
    length_cap: float | None = DEFAULT_LENGTH_CAP,
) -> ThemeRun:
    """Everything derived from a final assignment: the model's counts, keywords, labels,
    representatives and sentiment of each theme (largest theme first)."""
    theme_ids, sizes = np.unique(assignments[assignments >= 0], return_counts=True)
    order = np.argsort(-sizes, kind="stable")
    theme_ids, sizes = theme_ids[order], sizes[order]
    row_of_id = {int(tid): row for row, tid in enumerate(theme_ids)}
    rows = np.array([row_of_id.get(int(a), -1) for a in assignments], dtype=np.int64)
    counts = count_clusters(x, rows, len(theme_ids))
    lifts = [word_lift(counts, row, DEFAULT_BETA) for row in range(len(theme_ids))]
    keywords = [
        top_keywords(
            weights,
            vocabulary,
            support=counts.word_counts[row],
            min_support=max(2.0, MIN_KEYWORD_SUPPORT * counts.doc_counts[row]),
            stop_words=label_stop_words,
            lift=lifts[row] if len(theme_ids) > 1 else None,
        )
        for row, weights in enumerate(class_tfidf(counts))
    ]
    rng = np.random.default_rng(seed)
    members_of = [np.flatnonzero(rows == row) for row in range(len(theme_ids))]
    typical = [
        representatives(members, x, lifts[row], texts, n=_CLAUSE_CANDIDATES, rng=rng)
        for row, members in enumerate(members_of)
    ]
    phrases = [
        representative_clause((texts[i] for i in typical[row]), keywords[row])
        for row in range(len(theme_ids))
    ]
    auto_labels = []
    for row, words in enumerate(keywords):
        label = label_from_keywords(words)
        if label.count(LABEL_SEPARATOR) == 0 and phrases[row]:
            label = phrases[row]  # one keyword or none: a clause says more
        auto_labels.append(label)
    model = ThemeModel(
        vocabulary=vocabulary,
        theme_ids=tuple(int(tid) for tid in theme_ids),
        auto_labels=tuple(auto_labels),
        counts=counts,
        alpha=DEFAULT_ALPHA,
        beta=DEFAULT_BETA,
        custom_labels={tid: lab for tid, lab in custom_labels.items() if tid in row_of_id},
        pins={word: tid for word, tid in pins.items() if tid in row_of_id},
        next_theme_id=max(next_theme_id, int(theme_ids.max(initial=-1)) + 1),
        length_cap=length_cap,
    )
    themes = []
    for row, theme_id in enumerate(model.theme_ids):
        themes.append(
            Theme(
                id=theme_id,
                label=model.label_of(theme_id),
                keywords=keywords[row],
                size=int(sizes[row]),
                representatives=typical[row][:N_REPRESENTATIVES],
                mean_sentiment=_mean_sentiment(members_of[row], texts, sentiments, rng),
                phrase=phrases[row],
            )
        )
    return ThemeRun([int(a) for a in assignments], themes, model, texts)


def _mean_sentiment(
    members: np.ndarray,
    texts: Sequence[str],
    sentiments: Sequence[float] | None,
    rng: np.random.Generator,
) -> float:
    if members.size == 0:
        return 0.0
    if sentiments is not None:
        return round(float(np.mean([sentiments[i] for i in members])), 3)
    # A mean over a random sample of 400 is within ±0.05 of the full mean (95 %, scores'
    # sd ≤ 0.5 in practice), at a fraction of the cost on large themes. Scoring costs per
    # character: long messages get a smaller sample (≥ 100: within ±0.1).
    mean_chars = float(np.mean([len(texts[i]) for i in members[:50]]))
    sample = int(np.clip(_SENTIMENT_CHARS / max(mean_chars, 1.0), _MIN_SENTIMENT_SAMPLE,
                         _SENTIMENT_SAMPLE))
    if members.size > sample:
        members = rng.choice(members, sample, replace=False)
    return round(float(np.mean(score_sentiment([texts[i] for i in members]))), 3)


def assign_to_themes(
    model: ThemeModel,
    texts: Sequence[str],
    *,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    tokens: Sequence[Sequence[str]] | None = None,
    segmenter: Segmenter | None = None,
    dictionary: TextDictionary | None = None,
) -> list[int]:
    """Theme id of each new opinion, or -1 when it fits none: under a third of its words
    known to the model (it is mostly about something new: "夜间施工噪音" must not join the
    street-lamp theme through 夜间 alone), explained better by the overall word distribution
    than by any theme, or a best theme whose posterior probability is below
    ``min_confidence``. Pinned keywords apply first. ``dictionary`` should be the one the
    model's run used."""
    corpus = prepare_corpus(texts, tokens=tokens, segmenter=segmenter, dictionary=dictionary)
    x = doc_term_matrix(corpus.tokens, model.vocabulary)
    assignments = np.full(len(texts), UNASSIGNED, dtype=np.int64)
    known = np.asarray(x.sum(axis=1)).ravel()
    words = np.array([len(t) for t in corpus.tokens], dtype=float)
    has_words = (known > 0) & (known >= MIN_KNOWN_SHARE * words - 1e-9)
    if model.theme_ids and has_words.any():
        posterior = np.exp(model.log_posterior_with_background(x[has_words]))
        best = posterior[:, :-1].argmax(axis=1)
        confidence = posterior[np.arange(best.size), best]
        ids = np.asarray(model.theme_ids)[best]
        assignments[has_words] = np.where(confidence >= min_confidence, ids, UNASSIGNED)
    return [int(a) for a in apply_pins(corpus.texts, assignments, model.pins)]
