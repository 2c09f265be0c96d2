"""Turning token lists into the binary document-term matrix the mixture model works on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

MIN_DOC_FREQ = 2
MAX_DOC_SHARE = 0.5
MAX_VOCABULARY = 20000


def build_vocabulary(
    token_lists: Sequence[Sequence[str]],
    *,
    min_doc_freq: int = MIN_DOC_FREQ,
    max_doc_share: float = MAX_DOC_SHARE,
    max_size: int = MAX_VOCABULARY,
) -> tuple[str, ...]:
    """Words in at least ``min_doc_freq`` documents and at most ``max_doc_share`` of them,
    the most frequent first. A word seen once cannot link two opinions, and one in every
    other opinion separates nothing; both only add noise and size to the stored model."""
    doc_freq = Counter(word for tokens in token_lists for word in set(tokens))
    ceiling = max(min_doc_freq, max_doc_share * len(token_lists))
    ranked = sorted(doc_freq.items(), key=lambda item: (-item[1], item[0]))
    return tuple(
        word for word, freq in ranked if min_doc_freq <= freq <= ceiling
    )[:max_size]


def doc_term_matrix(
    token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str]
) -> sp.csr_matrix:
    """Binary presence matrix (documents × vocabulary); unknown words are dropped.
    Presence rather than counts: opinions are short and a repeated word adds no topic."""
    index = {word: i for i, word in enumerate(vocabulary)}
    indptr = [0]
    indices: list[int] = []
    for tokens in token_lists:
        row = {index[word] for word in tokens if word in index}
        indices.extend(sorted(row))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    return sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(token_lists), len(vocabulary)),
    )


def vocabulary_and_matrix(
    token_lists: Sequence[Sequence[str]], vocabulary_rows: np.ndarray | None = None
) -> tuple[tuple[str, ...], sp.csr_matrix]:
    """``build_vocabulary`` over the ``vocabulary_rows`` (default: all) and the presence
    matrix of every list in that vocabulary, in one pass over the tokens (the two separate
    passes cost a second each on 10,000 long messages)."""
    index: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    for tokens in token_lists:
        row = {index.setdefault(word, len(index)) for word in tokens}
        indices.extend(row)
        indptr.append(len(indices))
    words = np.empty(len(index), dtype=object)
    words[list(index.values())] = list(index)
    full = sp.csr_matrix(
        (
            np.ones(len(indices), dtype=np.float64),
            np.asarray(indices, dtype=np.int64),
            np.asarray(indptr, dtype=np.int64),
        ),
        shape=(len(token_lists), len(index)),
    )
    counted = full if vocabulary_rows is None else full[vocabulary_rows]
    doc_freq = np.bincount(counted.indices, minlength=len(index))
    ceiling = max(MIN_DOC_FREQ, MAX_DOC_SHARE * counted.shape[0])
    candidates = np.flatnonzero((doc_freq >= MIN_DOC_FREQ) & (doc_freq <= ceiling))
    ranked = sorted(candidates.tolist(), key=lambda i: (-doc_freq[i], words[i]))[:MAX_VOCABULARY]
    x = full[:, ranked] if ranked else sp.csr_matrix((len(token_lists), 0))
    x.sort_indices()
    return tuple(words[ranked].tolist()) if ranked else (), sp.csr_matrix(x)
