"""A Dirichlet multinomial mixture (Yin & Wang, KDD 2014: "GSDMM") for short texts, with
blocked collapsed Gibbs sampling vectorised over numpy/scipy sparse matrices.

Each document belongs to exactly one cluster, whose word distribution has a Dirichlet(β)
prior; cluster weights have a Dirichlet(α) prior. The classical sampler visits documents one
at a time; here a sweep visits them in random blocks and samples every document of a block
at once against the counts of all other blocks, which keeps the behaviour of the sequential
sampler (blocks are small relative to the corpus) at the speed of matrix products.
Documents are binary word-presence rows, for which the sampler's formula is exact.

Long documents (citizens' messages of a few hundred characters) make the posterior of each
document so peaked that a chain freezes in its first partition and every idiosyncratic group
of messages holds on to a cluster of its own. With ``length_cap`` a document of L > cap words
weighs its word likelihood by cap / L (a tempered, "power" likelihood): it counts as much
evidence as a document of ``cap`` words, while its words still all shape the clusters. Short
texts (fewer words than the cap) are unaffected.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln

DEFAULT_ALPHA = 0.1
DEFAULT_BETA = 0.1
_BLOCKS_PER_SWEEP = 16
_MAX_SETTLE_SWEEPS = 5
_RESTART_BUDGET = 200_000  # documents × chains
_RESTART_NONZERO_BUDGET = 1_000_000  # word presences × chains, for long rows
_LONG_ROW_WORDS = 20
_MAX_RESTARTS = 10
_ASSIGN_CHUNK = 20000
# A sweep that moves fewer documents than this share ends the sampling early: with long
# documents a chain settles within a few sweeps and the rest would change nothing.
_SETTLED_SHARE = 0.002
_MIN_SWEEPS = 6
# Small inputs are cheap and need every sweep to leave a poor first partition.
_EARLY_STOP_MIN_DOCS = 2000
DEFAULT_LENGTH_CAP = 30.0


def length_weights(lengths: np.ndarray, length_cap: float | None) -> np.ndarray | None:
    """cap / length for documents longer than the cap, else 1; None when nothing is capped."""
    if length_cap is None or lengths.size == 0 or lengths.max(initial=0) <= length_cap:
        return None
    return np.minimum(1.0, length_cap / np.maximum(lengths, 1.0))


@dataclass(frozen=True, eq=False)
class MixtureCounts:
    """Sufficient statistics of a fitted mixture: documents and word presences per cluster."""

    doc_counts: np.ndarray  # (K,)
    word_counts: np.ndarray  # (K, V)

    @property
    def n_clusters(self) -> int:
        return int(self.doc_counts.shape[0])


def count_clusters(x: sp.csr_matrix, labels: np.ndarray, n_clusters: int) -> MixtureCounts:
    """Counts of documents and word presences per cluster; label -1 is ignored."""
    keep = labels >= 0
    rows = labels[keep]
    indicator = sp.csr_matrix(
        (np.ones(rows.size), (rows, np.flatnonzero(keep))), shape=(n_clusters, x.shape[0])
    )
    word_counts = np.asarray((indicator @ x).todense(), dtype=np.float64)
    doc_counts = np.bincount(rows, minlength=n_clusters).astype(np.float64)
    return MixtureCounts(doc_counts, word_counts)


def log_posterior(
    x: sp.csr_matrix,
    counts: MixtureCounts,
    *,
    alpha: float,
    beta: float,
    length_cap: float | None = None,
) -> np.ndarray:
    """Unnormalised log p(cluster | document) for every row of ``x`` (documents × K)."""
    lengths = np.asarray(x.sum(axis=1)).ravel()
    return _log_scores(
        x,
        lengths,
        counts.doc_counts,
        np.log(counts.word_counts.T + beta),
        counts.word_counts.sum(axis=1),
        alpha=alpha,
        beta=beta,
        weights=length_weights(lengths, length_cap),
    )


def _log_scores(
    x: sp.csr_matrix,
    lengths: np.ndarray,
    doc_counts: np.ndarray,
    log_word_weights: np.ndarray,  # (V, K)
    totals: np.ndarray,
    *,
    alpha: float,
    beta: float,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    vocabulary_mass = log_word_weights.shape[0] * beta
    # Σ_{i<L} log(n_k + Vβ + i) = lgamma(n_k + Vβ + L) − lgamma(n_k + Vβ), computed once per
    # distinct length (opinions have few distinct lengths) rather than once per document.
    distinct, inverse = np.unique(lengths, return_inverse=True)
    base = totals + vocabulary_mass
    length_table = gammaln(base[None, :] + distinct[:, None]) - gammaln(base)[None, :]
    # (V, K) and C-contiguous: scipy multiplies by it in place, where a transposed (K, V)
    # table would be copied for every block.
    word_term = np.asarray(x @ log_word_weights)
    word_term -= length_table[inverse]
    if weights is not None:
        word_term *= weights[:, None]
    with np.errstate(divide="ignore"):
        prior = np.log(doc_counts + alpha)
    word_term += prior[None, :]
    return word_term


def log_evidence(counts: MixtureCounts, *, alpha: float, beta: float) -> float:
    """Collapsed log p(documents, partition) up to a constant that is the same for every
    partition with the same number of clusters: used to pick the best of several chains."""
    return float(_cluster_evidence(counts.doc_counts, counts.word_counts, alpha, beta).sum())


def _cluster_evidence(
    doc_counts: np.ndarray, word_counts: np.ndarray, alpha: float, beta: float
) -> np.ndarray:
    """Per-cluster log evidence (rows of ``word_counts``); empty clusters give 0."""
    vocabulary_mass = word_counts.shape[-1] * beta
    words = (gammaln(word_counts + beta) - gammaln(beta)).sum(axis=-1)
    totals = word_counts.sum(axis=-1)
    length = gammaln(totals + vocabulary_mass) - gammaln(vocabulary_mass)
    prior = gammaln(doc_counts + alpha) - gammaln(alpha)
    return np.where(doc_counts > 0, words - length + prior, 0.0)


def fit_dmm(
    x: sp.csr_matrix,
    n_clusters: int,
    *,
    seed: int,
    alpha: float = DEFAULT_ALPHA,
    beta: float = DEFAULT_BETA,
    sweeps: int = 20,
    restarts: int | None = None,
    length_cap: float | None = None,
) -> np.ndarray:
    """Cluster labels in 0..K'-1 (K' ≤ ``n_clusters``: clusters may empty out, which is how
    the model lowers the number of clusters by itself).

    Each of ``restarts`` chains samples for ``sweeps`` sweeps, then moves every document to
    its most probable cluster until nothing changes; the chain with the highest evidence
    wins. Small corpora get more chains (they are cheap, and a single chain on a few dozen
    opinions often settles in a poor partition); so do inputs with few word presences.
    ``length_cap``: see the module's docstring."""
    n_docs = x.shape[0]
    n_clusters = max(1, min(n_clusters, n_docs))
    if restarts is None:
        restarts = _RESTART_BUDGET // max(1, n_docs)
        if x.nnz > _LONG_ROW_WORDS * n_docs:
            # Long opinions: a chain costs many short-text chains and settles in a few
            # sweeps; the budget is in word presences.
            restarts = min(restarts, _RESTART_NONZERO_BUDGET // max(1, x.nnz))
        restarts = int(np.clip(restarts, 2, _MAX_RESTARTS))
    rng = np.random.default_rng(seed)
    best: _BlockedSampler | None = None
    best_evidence = -np.inf
    for _ in range(restarts):
        chain = _BlockedSampler(x, n_clusters, alpha, beta, rng, length_cap=length_cap)
        chain.run(sweeps, greedy=False)
        chain.settle()
        evidence = chain.evidence()
        if evidence > best_evidence:
            best, best_evidence = chain, evidence
    assert best is not None
    return compact_labels(best.labels)


def compact_labels(labels: np.ndarray) -> np.ndarray:
    """Renumber the labels in use to 0..K'-1, keeping their order; -1 stays -1."""
    used = np.unique(labels[labels >= 0])
    mapping = np.full(int(labels.max(initial=-1)) + 2, -1, dtype=np.int64)
    mapping[used] = np.arange(used.size)
    return mapping[labels]


class _BlockedSampler:
    def __init__(
        self,
        x: sp.csr_matrix,
        n_clusters: int,
        alpha: float,
        beta: float,
        rng: np.random.Generator,
        *,
        length_cap: float | None = None,
    ) -> None:
        self.x = x
        self.alpha = alpha
        self.beta = beta
        self.rng = rng
        self.lengths = np.asarray(x.sum(axis=1)).ravel()
        self.weights = length_weights(self.lengths, length_cap)
        self.n_clusters = n_clusters
        self.labels = rng.integers(0, n_clusters, x.shape[0])
        counts = count_clusters(x, self.labels, n_clusters)
        self.doc_counts = counts.doc_counts
        # Word-major (V, K) layout, see _log_scores.
        self.word_counts = np.ascontiguousarray(counts.word_counts.T)
        self.totals = counts.word_counts.sum(axis=1)
        # Kept in step with word_counts entry by entry: recomputing the whole K×V log table
        # for every block would cost more than the sampling itself.
        self.log_weights = np.log(self.word_counts + beta)

    def evidence(self) -> float:
        counts = MixtureCounts(self.doc_counts, self.word_counts.T)
        return log_evidence(counts, alpha=self.alpha, beta=self.beta)

    def run(self, sweeps: int, *, greedy: bool) -> None:
        n_docs = self.x.shape[0]
        # Each block is sampled against the counts of all the others: blocks must stay a
        # small part of the corpus (one block would condition on nothing at all).
        n_blocks = max(1, min(_BLOCKS_PER_SWEEP, n_docs))
        bounds = np.linspace(0, n_docs, n_blocks + 1).astype(np.int64)
        for sweep in range(sweeps):
            before = self.labels.copy()
            order = self.rng.permutation(n_docs)
            shuffled = self.x[order]  # one fancy index per sweep, then cheap row slices
            for start, stop in itertools.pairwise(bounds):
                self._resample(order[start:stop], shuffled[start:stop], greedy=greedy)
            moved = np.count_nonzero(before != self.labels)
            if (
                n_docs >= _EARLY_STOP_MIN_DOCS
                and sweep + 1 >= _MIN_SWEEPS
                and moved <= _SETTLED_SHARE * n_docs
            ):
                return

    def settle(self) -> None:
        """Greedy sweeps until no document moves (or a few sweeps have passed)."""
        for _ in range(_MAX_SETTLE_SWEEPS):
            before = self.labels.copy()
            self.run(1, greedy=True)
            if np.array_equal(before, self.labels):
                return

    def _resample(self, block: np.ndarray, x_block: sp.csr_matrix, *, greedy: bool) -> None:
        lengths = self.lengths[block]
        self._move(x_block, lengths, self.labels[block], sign=-1.0)
        scores = _log_scores(
            x_block,
            lengths,
            self.doc_counts,
            self.log_weights,
            self.totals,
            alpha=self.alpha,
            beta=self.beta,
            weights=None if self.weights is None else self.weights[block],
        )
        new_labels = scores.argmax(axis=1) if greedy else self._draw(scores)
        self.labels[block] = new_labels
        self._move(x_block, lengths, new_labels, sign=1.0)

    def _draw(self, scores: np.ndarray) -> np.ndarray:
        """One draw per row from softmax(scores), by inverting the cumulative weights."""
        scores -= scores.max(axis=1, keepdims=True)
        cumulative = np.exp(scores, out=scores).cumsum(axis=1)
        targets = self.rng.random(cumulative.shape[0]) * cumulative[:, -1]
        drawn = (cumulative < targets[:, None]).sum(axis=1)
        return np.minimum(drawn, cumulative.shape[1] - 1)

    def _move(
        self, x_block: sp.csr_matrix, lengths: np.ndarray, labels: np.ndarray, *, sign: float
    ) -> None:
        # Every word presence of the block as a flat (cluster, word) index; np.add.at sums
        # the duplicates (since numpy 1.25 it is ten times faster than the sparse product
        # that did this before).
        n_clusters = self.word_counts.shape[1]
        rows = np.repeat(labels.astype(np.int64), np.diff(x_block.indptr))
        flat = x_block.indices.astype(np.int64) * n_clusters + rows
        counts = self.word_counts.reshape(-1)  # a view: word_counts is C-contiguous
        np.add.at(counts, flat, sign * x_block.data)
        self.log_weights.reshape(-1)[flat] = np.log(counts[flat] + self.beta)
        np.add.at(self.doc_counts, labels, sign)
        np.add.at(self.totals, labels, sign * lengths)


def assign_by_posterior(
    x: sp.csr_matrix,
    counts: MixtureCounts,
    *,
    alpha: float,
    beta: float,
    length_cap: float | None = None,
) -> np.ndarray:
    """Most probable cluster of each row, in chunks to bound memory on large inputs."""
    labels = np.empty(x.shape[0], dtype=np.int64)
    for start in range(0, x.shape[0], _ASSIGN_CHUNK):
        chunk = x[start : start + _ASSIGN_CHUNK]
        labels[start : start + chunk.shape[0]] = log_posterior(
            chunk, counts, alpha=alpha, beta=beta, length_cap=length_cap
        ).argmax(axis=1)
    return labels


def merge_by_evidence(
    counts: MixtureCounts,
    *,
    alpha: float,
    beta: float,
    target: int | None = None,
    word_scale: float = 1.0,
) -> np.ndarray:
    """Greedy agglomeration of clusters: repeatedly merge the pair whose merge raises the
    collapsed evidence most. With ``target`` merge down to that many clusters; without, stop
    when no merge raises the evidence (the automatic number of themes).
    Returns the new label (0..K'-1) of every old cluster. ``word_scale`` < 1 weighs the word
    evidence down (long documents, see ``length_cap``) so that it does not drown the prior."""
    doc_counts = counts.doc_counts.copy()
    word_counts = counts.word_counts * word_scale
    alive = [int(k) for k in np.flatnonzero(doc_counts > 0)]
    group_of = np.where(doc_counts > 0, np.arange(counts.n_clusters), -1)
    own = _cluster_evidence(doc_counts, word_counts, alpha, beta)
    gain = np.full((counts.n_clusters, counts.n_clusters), -np.inf)
    for a in alive:
        _update_gains(gain, a, alive, doc_counts, word_counts, own, alpha, beta)
    while len(alive) > 1 and (target is None or len(alive) > target):
        a, b = (int(i) for i in np.unravel_index(np.argmax(gain), gain.shape))
        if target is None and gain[a, b] <= 0:
            break
        doc_counts[a] += doc_counts[b]
        word_counts[a] += word_counts[b]
        doc_counts[b] = 0
        group_of[group_of == b] = a
        alive.remove(b)
        gain[b, :] = gain[:, b] = -np.inf
        own[a] = _cluster_evidence(doc_counts[a], word_counts[a], alpha, beta)
        _update_gains(gain, a, alive, doc_counts, word_counts, own, alpha, beta)
    return compact_labels(group_of)


def _update_gains(
    gain: np.ndarray,
    a: int,
    alive: list[int],
    doc_counts: np.ndarray,
    word_counts: np.ndarray,
    own: np.ndarray,
    alpha: float,
    beta: float,
) -> None:
    others = np.asarray([b for b in alive if b != a], dtype=np.int64)
    if others.size == 0:
        return
    merged = _cluster_evidence(
        doc_counts[others] + doc_counts[a], word_counts[others] + word_counts[a], alpha, beta
    )
    delta = merged - own[others] - own[a]
    gain[a, others] = delta
    gain[others, a] = -np.inf  # keep each pair once, in row a
