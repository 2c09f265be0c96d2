import numpy as np
import scipy.sparse as sp

from analysis.themes.corpus import build_vocabulary, doc_term_matrix
from analysis.themes.describe import class_tfidf, label_from_keywords
from analysis.themes.dmm import (
    MixtureCounts,
    compact_labels,
    count_clusters,
    fit_dmm,
    merge_by_evidence,
)


def test_vocabulary_drops_rare_and_ubiquitous_words() -> None:
    docs = [["停车", "难"], ["停车", "贵"], ["停车", "电梯"], ["电梯", "难"]]
    # 停车 is in 3 of 4 documents (> 50 %), 贵 in one: both go; ties sorted by word.
    assert build_vocabulary(docs) == ("电梯", "难")


def test_document_term_matrix_is_binary_presence() -> None:
    x = doc_term_matrix([["难", "难", "电梯"], ["未知"]], ("电梯", "难"))
    assert x.toarray().tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_counts_per_cluster_ignore_unassigned_rows() -> None:
    x = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], dtype=float))
    counts = count_clusters(x, np.array([0, 0, -1]), 2)
    assert counts.doc_counts.tolist() == [2.0, 0.0]
    assert counts.word_counts.tolist() == [[2.0, 1.0], [0.0, 0.0]]


def test_compact_labels_renumbers_in_order_and_keeps_unassigned() -> None:
    assert compact_labels(np.array([5, -1, 2, 5])).tolist() == [1, -1, 0, 1]


def test_two_disjoint_vocabularies_give_two_clusters() -> None:
    block = np.kron(np.eye(2), np.ones((10, 3)))  # 10 documents on words 0-2, 10 on 3-5
    labels = fit_dmm(sp.csr_matrix(block), 4, seed=0)
    assert len(set(labels[:10])) == 1 and len(set(labels[10:])) == 1
    assert labels[0] != labels[10]


def test_merge_by_evidence_joins_identical_clusters_only() -> None:
    counts = MixtureCounts(
        np.array([10.0, 10.0, 10.0]),
        np.array([[10.0, 10.0, 0, 0], [10.0, 10.0, 0, 0], [0, 0, 10.0, 10.0]]),
    )
    mapping = merge_by_evidence(counts, alpha=0.1, beta=0.1)
    assert mapping.tolist() == [0, 0, 1]
    assert merge_by_evidence(counts, alpha=0.1, beta=0.1, target=1).tolist() == [0, 0, 0]


def test_class_tfidf_matches_a_hand_computed_value() -> None:
    counts = MixtureCounts(np.array([1.0, 1.0]), np.array([[3.0, 1.0], [0.0, 4.0]]))
    weights = class_tfidf(counts)
    # theme 0, word 0: tf = 3/4; average words per theme A = 8/2 = 4; f = 3 → 0.75·ln(1+4/3)
    assert np.isclose(weights[0, 0], 0.75 * np.log(1 + 4 / 3))
    # word 1 is in both themes: tf 1/4 · ln(1 + 4/5)
    assert np.isclose(weights[0, 1], 0.25 * np.log(1 + 4 / 5))


def test_label_prefers_longer_words_and_skips_repeats() -> None:
    keywords = [("停车", 0.9), ("买", 0.8), ("停车难", 0.7), ("车位", 0.5), ("小区", 0.4)]
    assert label_from_keywords(keywords) == "停车、车位、小区"
