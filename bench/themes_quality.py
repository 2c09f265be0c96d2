"""Theme clustering quality on labelled CSV files (columns text,label), side by side with
the TF-IDF + SVD(100) + L2 + KMeans baseline, for k given and automatic k, over 3 seeds.

    .venv/bin/python bench/themes_quality.py /work/shared/data/thucnews_titles_10cats.csv \\
        /work/shared/data/online_shopping_10cats.csv

The gold label is only used for scoring. -1 (no content words) counts as one more cluster.
Also prints how often rjieba and jieba (same dictionary) give identical tokens.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _metrics import clustering_scores

from analysis.text import Segmenter, clean_opinion
from analysis.themes import discover_themes

SEEDS = (0, 1, 2)
BASELINE_K_RANGE = range(2, 31)


def read_labelled(path: str) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def baseline_embedding(tokens: Sequence[Sequence[str]], seed: int) -> np.ndarray:
    vectorizer = TfidfVectorizer(analyzer=lambda doc: doc, min_df=2, sublinear_tf=True)
    matrix = vectorizer.fit_transform(tokens)
    reduced = TruncatedSVD(100, random_state=seed).fit_transform(matrix)
    return normalize(reduced)


def baseline(tokens: Sequence[Sequence[str]], k: int | None, seed: int) -> list[int]:
    """TF-IDF → SVD(100) → L2 → KMeans; without k, the k of best silhouette (on a sample)."""
    embedding = baseline_embedding(tokens, seed)
    if k is None:
        rng = np.random.default_rng(seed)
        sample = rng.choice(len(tokens), min(3000, len(tokens)), replace=False)
        best = max(
            BASELINE_K_RANGE,
            key=lambda kk: silhouette_score(
                embedding[sample],
                KMeans(kk, n_init=1, random_state=seed).fit_predict(embedding[sample]),
            ),
        )
        k = best
    return KMeans(k, n_init=3, random_state=seed).fit_predict(embedding).tolist()


def mean_scores(
    gold: Sequence[str], method: Callable[[int], Sequence[int]]
) -> tuple[dict[str, float], float, float, float]:
    """Mean scores over the seeds, mean number of clusters, largest cluster share, seconds."""
    totals: dict[str, float] = {"NMI": 0.0, "ARI": 0.0, "ACC": 0.0}
    clusters = largest = seconds = 0.0
    for seed in SEEDS:
        start = time.perf_counter()
        predicted = list(method(seed))
        seconds += time.perf_counter() - start
        for name, value in clustering_scores(gold, predicted).items():
            totals[name] += value / len(SEEDS)
        clusters += len(set(predicted)) / len(SEEDS)
        largest += np.bincount(np.unique(predicted, return_inverse=True)[1]).max() / len(
            predicted
        ) / len(SEEDS)
    return totals, clusters, largest, seconds / len(SEEDS)


def token_agreement(texts: Sequence[str]) -> tuple[float, float]:
    """Share of documents with identical content tokens, and share of identical tokens."""
    fast = Segmenter(engine="rjieba").segment(texts)
    reference = Segmenter(engine="jieba", workers=1).segment(texts)
    same_docs = sum(a == b for a, b in zip(fast, reference, strict=True)) / len(texts)
    common = sum(
        sum(min(a.count(t), b.count(t)) for t in set(a))
        for a, b in zip(fast, reference, strict=True)
    )
    total = max(1, sum(len(b) for b in reference))
    return same_docs, common / total


def methods(
    texts: Sequence[str], tokens: Sequence[Sequence[str]], n_gold: int
) -> list[tuple[str, Callable[[int], Sequence[int]]]]:
    def themes(k: int | None) -> Callable[[int], Sequence[int]]:
        # Sentiment is irrelevant to the scores: pass zeros rather than compute it.
        return lambda seed: discover_themes(
            texts, tokens=tokens, k=k, seed=seed, sentiments=[0.0] * len(texts)
        ).assignments

    return [
        ("DMM themes, k given", themes(n_gold)),
        ("baseline TF-IDF+SVD+KMeans, k given", lambda seed: baseline(tokens, n_gold, seed)),
        ("DMM themes, automatic k", themes(None)),
        ("baseline, k by silhouette", lambda seed: baseline(tokens, None, seed)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="+")
    args = parser.parse_args()
    segmenter = Segmenter()
    segmenter.warm_up()
    for path in args.csv:
        texts, gold = read_labelled(path)
        cleaned = [clean_opinion(text) for text in texts]
        start = time.perf_counter()
        tokens = segmenter.segment(cleaned)
        seg_seconds = time.perf_counter() - start
        n_gold = len(set(gold))
        docs, toks = token_agreement(cleaned)
        print(f"\n== {Path(path).name}: {len(texts)} texts, {n_gold} labels")
        print(
            f"segmentation {seg_seconds:.2f}s; rjieba vs jieba (same dictionary): "
            f"{docs:.1%} of texts, {toks:.2%} of tokens identical"
        )
        print(f"{'method':<34}{'NMI':>7}{'ARI':>7}{'ACC':>7}{'k':>7}{'max%':>7}{'sec':>7}")
        for name, method in methods(texts, tokens, n_gold):
            scores, clusters, largest, seconds = mean_scores(gold, method)
            print(
                f"{name:<34}{scores['NMI']:>7.3f}{scores['ARI']:>7.3f}{scores['ACC']:>7.3f}"
                f"{clusters:>7.1f}{largest:>7.1%}{seconds:>7.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
