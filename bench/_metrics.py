"""Clustering scores for the bench scripts: NMI, ARI and ACC (accuracy after the best
one-to-one matching of clusters to gold labels)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def clustering_accuracy(gold: Sequence[object], predicted: Sequence[object]) -> float:
    gold_index = {v: i for i, v in enumerate(sorted(set(map(str, gold))))}
    pred_index = {v: i for i, v in enumerate(sorted(set(map(str, predicted))))}
    table = np.zeros((len(pred_index), len(gold_index)))
    for g, p in zip(gold, predicted, strict=True):
        table[pred_index[str(p)], gold_index[str(g)]] += 1
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(gold))


def clustering_scores(gold: Sequence[object], predicted: Sequence[object]) -> dict[str, float]:
    return {
        "NMI": float(normalized_mutual_info_score(gold, predicted)),
        "ARI": float(adjusted_rand_score(gold, predicted)),
        "ACC": clustering_accuracy(gold, predicted),
    }
