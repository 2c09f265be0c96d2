"""How opinions are grouped: the mixture is fitted on a sample (a budget of word presences
for long opinions) and every other opinion assigned by posterior; with k given, long opinions
start from more clusters and are merged down to k; without k, clusters are merged by
evidence and clusters under 1 % of the opinions dissolved unless they are a real topic."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from analysis.themes.dmm import (
    DEFAULT_ALPHA,
    DEFAULT_BETA,
    DEFAULT_LENGTH_CAP,
    MixtureCounts,
    assign_by_posterior,
    count_clusters,
    fit_dmm,
    length_weights,
    merge_by_evidence,
)

UNASSIGNED = -1
MAX_THEMES = 40
FIT_SAMPLE = 50000
FIT_NONZEROS = 250_000
_MIN_FIT_SAMPLE = 2000
_LONG_ROW_WORDS = 20
_LONG_ROW_BUDGET = 20
_LONG_OVERCLUSTER = 1.5
# Without a given k, a cluster under 1 % of the opinions (and under 3 opinions) is dissolved.
MIN_THEME_SHARE = 0.01
_MIN_THEME_SIZE = 3
# ... unless it is a real topic (see cohesive_clusters).
_MIN_REAL_TOPIC = 5
_REAL_TOPIC_SHARE = 0.6
_REAL_TOPIC_LIFT = 10.0
_COPY_SHARE = 0.5


def sample_rows(n_docs: int, fit_sample: int, rng: np.random.Generator) -> np.ndarray:
    if n_docs <= fit_sample:
        return np.arange(n_docs)
    return np.sort(rng.choice(n_docs, fit_sample, replace=False))


def auto_cluster_budget(n_docs: int, max_themes: int = MAX_THEMES) -> int:
    """How many clusters the sampler starts with when k is not given: enough to split every
    plausible theme (√n / 2), never more than ``max_themes``."""
    return max(2, min(max_themes, int(math.sqrt(n_docs) / 2)))


def cluster_rows(
    x: sp.csr_matrix,
    *,
    k: int | None,
    seed: int,
    max_themes: int = MAX_THEMES,
    fit_sample: int = FIT_SAMPLE,
    length_cap: float | None = DEFAULT_LENGTH_CAP,
    min_share: float = MIN_THEME_SHARE,
) -> np.ndarray:
    """Cluster label (0..K-1, 0 the largest) of every row of ``x``; -1 for rows without
    any vocabulary word. Fitted on at most ``fit_sample`` rows, the rest by posterior.
    ``length_cap``: long rows count as this many words (see dmm.py). Without k, clusters
    under ``min_share`` of the rows are dissolved into the others."""
    lengths = np.asarray(x.sum(axis=1)).ravel()
    with_words = np.flatnonzero(lengths > 0)
    rng = np.random.default_rng(seed)
    per_row = float(lengths[with_words].mean()) if with_words.size else 0.0
    long_rows = per_row > _LONG_ROW_WORDS
    if long_rows:
        # Long opinions: fit on a budget of word presences, assign the rest by posterior,
        # and start from fewer clusters (tempered long rows rarely need more than 20).
        fit_sample = min(fit_sample, max(_MIN_FIT_SAMPLE, int(FIT_NONZEROS / per_row)))
        max_themes = min(max_themes, _LONG_ROW_BUDGET)
    fit_rows = with_words[sample_rows(with_words.size, fit_sample, rng)]
    labels = np.full(x.shape[0], UNASSIGNED, dtype=np.int64)
    if fit_rows.size == 0:
        return labels
    x_fit = x[fit_rows]
    if k is None:
        budget = auto_cluster_budget(fit_rows.size, max_themes)
    elif long_rows:
        # Long opinions with k given: a chain started at k clusters often keeps two themes
        # in one cluster and splits another; starting at 1.5 k and merging down to k by
        # evidence avoids that (reviews>100: NMI 0.75 → 0.80; on short texts it does not
        # help, 0.645 → 0.631, so they start at k).
        budget = math.ceil(_LONG_OVERCLUSTER * k)
    else:
        budget = k
    fit_labels = fit_dmm(x_fit, budget, seed=seed, length_cap=length_cap)
    counts = count_clusters(x_fit, fit_labels, int(fit_labels.max()) + 1)
    if k is None or counts.n_clusters > k:
        weights = length_weights(lengths[fit_rows], length_cap)
        merged = merge_by_evidence(
            counts,
            alpha=DEFAULT_ALPHA,
            beta=DEFAULT_BETA,
            target=k,
            word_scale=1.0 if weights is None else float(weights.mean()),
        )
        fit_labels = merged[fit_labels]
        counts = count_clusters(x_fit, fit_labels, int(fit_labels.max()) + 1)
    if k is None:
        fit_labels, counts = dissolve_small_clusters(x_fit, fit_labels, counts, min_share, length_cap)
    rest = np.setdiff1d(with_words, fit_rows, assume_unique=True)
    labels[fit_rows] = fit_labels
    if rest.size:
        labels[rest] = assign_by_posterior(
            x[rest], counts, alpha=DEFAULT_ALPHA, beta=DEFAULT_BETA, length_cap=length_cap
        )
    return _order_by_size(labels)


def dissolve_small_clusters(
    x: sp.csr_matrix,
    labels: np.ndarray,
    counts: MixtureCounts,
    min_share: float,
    length_cap: float | None,
) -> tuple[np.ndarray, MixtureCounts]:
    """Move the rows of clusters under ``min_share`` of the rows (and never fewer than
    _MIN_THEME_SIZE) to their most probable remaining cluster. A handful of opinions that
    share a rare word is not a theme an analyst can act on; a new issue that keeps coming
    back is surfaced by assignment (the 新议题 bucket) instead. A small cluster that is a
    real topic (see cohesive_clusters) stays."""
    floor = max(_MIN_THEME_SIZE, min_share * labels.size)
    small = (counts.doc_counts < floor) & ~cohesive_clusters(counts, labels.size)
    if not small.any() or small.all():
        return labels, counts
    kept = np.flatnonzero(~small)
    kept_counts = MixtureCounts(counts.doc_counts[kept], counts.word_counts[kept])
    moving = np.flatnonzero(small[labels])
    mapping = np.full(counts.n_clusters, -1, dtype=np.int64)
    mapping[kept] = np.arange(kept.size)
    labels = mapping[labels]
    labels[moving] = assign_by_posterior(
        x[moving], kept_counts, alpha=DEFAULT_ALPHA, beta=DEFAULT_BETA, length_cap=length_cap
    )
    return labels, count_clusters(x, labels, kept.size)


def cohesive_clusters(counts: MixtureCounts, n_rows: int) -> np.ndarray:
    """Which clusters are a real topic however small: at least _MIN_REAL_TOPIC opinions,
    and one word in at least _REAL_TOPIC_SHARE of them that is at least _REAL_TOPIC_LIFT
    times as common there as in all opinions (8 of 10 opinions on 停车 in a corpus where
    停车 is rare), and not copies of one text. Opinions that merely share a few rare words
    do not qualify."""
    sizes = np.maximum(counts.doc_counts, 1.0)
    share = counts.word_counts / sizes[:, None]
    overall = counts.word_counts.sum(axis=0) / max(n_rows, 1)
    lift = np.divide(share, overall[None, :], out=np.zeros_like(share), where=overall > 0)
    common = share >= _REAL_TOPIC_SHARE
    defining = common & (lift >= _REAL_TOPIC_LIFT)
    # Copies of one text (a review pasted 15 times, a form letter) share nearly all their
    # words: one voice, not a topic many people raise.
    words_per_row = counts.word_counts.sum(axis=1) / sizes
    copies = common.sum(axis=1) >= _COPY_SHARE * words_per_row
    return (counts.doc_counts >= _MIN_REAL_TOPIC) & defining.any(axis=1) & ~copies


def _order_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters so that 0 is the largest (ties by old number)."""
    sizes = np.bincount(labels[labels >= 0])
    order = np.argsort(-sizes, kind="stable")
    order = order[sizes[order] > 0]
    mapping = np.full(sizes.size + 1, UNASSIGNED, dtype=np.int64)
    mapping[order] = np.arange(order.size)
    return np.where(labels >= 0, mapping[np.maximum(labels, 0)], UNASSIGNED)
