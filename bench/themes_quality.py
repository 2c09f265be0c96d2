"""Theme clustering quality on labelled CSV files (columns text,label), side by side with
the TF-IDF + SVD(100) + L2 + KMeans baseline, for k given and automatic k, over 3 seeds;
then the run time for 10,000 messages of about 300 characters.

    .venv/bin/python bench/themes_quality.py                      # every CSV in the data dir
    .venv/bin/python bench/themes_quality.py --data-dir /work/shared/data
    .venv/bin/python bench/themes_quality.py a.csv b.csv --no-long --no-speed

Besides each file, two long-text checks are built from the review file
(online_shopping_10cats.csv) when it is among the inputs:
  * "reviews>100": the reviews of more than 100 characters (3,672, one author each);
  * "gov-wrapped reviews>100": the same reviews, each wrapped as a message to a city
    government (greeting naming masked places such as A市A3区/西地省, closing request),
    drawn independently of the label: places and politeness must not steer the themes;
  * "concat~300": messages of about 300 characters, each several reviews of one category
    joined (a stand-in for long citizens' messages; every review used once; --no-concat).
The speed run times the `survey-app themes` CLI end to end on 10,000 such messages, the
same in-process, and the baseline, each also as a multiple of a fixed reference workload
measured in the same run (the machine is shared: compare ratios, not seconds).
The gold label is only used for scoring. -1 (no content words) counts as one more cluster.
Columns: NMI/ARI/ACC (mean of 3 seeds), k = clusters found, <1% = clusters under 1 % of
the texts, max% = largest cluster's share, sec = seconds per run (tokens given).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
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
_REPO = Path(__file__).resolve().parents[1]
# ../shared/data beside the checkout (a worktree one level deeper looks one level higher).
DEFAULT_DATA_DIR = next(
    (d for d in (_REPO.parent / "shared" / "data", _REPO.parents[1] / "shared" / "data")
     if d.is_dir()),
    _REPO.parent / "shared" / "data",
)
REVIEWS_FILE = "online_shopping_10cats.csv"
LONG_MIN_CHARS = 100
MESSAGE_CHARS = 300
SPEED_MESSAGES = 10_000
SPEED_CEILING_SECONDS = 10.0
CLI = Path(sys.executable).with_name("survey-app")


def read_labelled(path: str | Path) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def long_reviews(texts: Sequence[str], gold: Sequence[str]) -> tuple[list[str], list[str]]:
    keep = [i for i, text in enumerate(texts) if len(text) > LONG_MIN_CHARS]
    return [texts[i] for i in keep], [gold[i] for i in keep]


def concatenated(
    texts: Sequence[str],
    gold: Sequence[str],
    *,
    chars: int = MESSAGE_CHARS,
    n_messages: int | None = None,
    seed: int = 20240521,
) -> tuple[list[str], list[str]]:
    """Messages of at least ``chars`` characters made of reviews of one category. Without
    ``n_messages`` every review is used once; with it, reviews are drawn with replacement."""
    rng = random.Random(seed)
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(texts, gold, strict=True):
        by_label[label].append(text)
    labels = sorted(by_label)
    out_texts: list[str] = []
    out_gold: list[str] = []
    if n_messages is None:
        for label in labels:
            pool = by_label[label][:]
            rng.shuffle(pool)
            parts: list[str] = []
            for review in pool:
                parts.append(review)
                if sum(map(len, parts)) >= chars:
                    out_texts.append("。".join(parts))
                    out_gold.append(label)
                    parts = []
    else:
        weights = [len(by_label[label]) for label in labels]
        for label in rng.choices(labels, weights, k=n_messages):
            parts = []
            while sum(map(len, parts)) < chars:
                parts.append(rng.choice(by_label[label]))
            out_texts.append("。".join(parts))
            out_gold.append(label)
    order = list(range(len(out_texts)))
    rng.shuffle(order)
    return [out_texts[i] for i in order], [out_gold[i] for i in order]


GOV_OPENINGS = (
    "尊敬的领导您好！我是{city}{district}的居民，", "您好，{province}{city}{district}网友反映：",
    "请问", "{city}{district}{street}街道：", "领导好，", "", "",
)
GOV_CLOSINGS = (
    "希望相关部门尽快解决，谢谢！", "请领导重视，给个答复。", "恳请有关部门调查处理。",
    "", "谢谢！", "请问什么时候能解决？",
)


def as_government_messages(
    texts: Sequence[str], seed: int = 20240521
) -> list[str]:
    """Each text wrapped as a message to a city government: a greeting naming masked places
    (A市A3区, 西地省, K8县) and a closing request, drawn independently of the label. A check
    that places and politeness do not steer the clustering (the hidden set is full of them)."""
    rng = random.Random(seed)
    out = []
    for text in texts:
        places = {
            "province": rng.choice(["西地省", "东山省", "XX省"]),
            "city": rng.choice("ABKL") + "市",
            "district": f"{rng.choice('ABK')}{rng.randint(1, 9)}{rng.choice('区县')}",
            "street": rng.choice(["幸福", "人民", "解放", "建设"]),
        }
        opening = rng.choice(GOV_OPENINGS).format(**places)
        out.append(opening + text + rng.choice(GOV_CLOSINGS))
    return out


def reference_seconds() -> float:
    """A fixed CPU workload (Python loop, regex, dense and sparse algebra, sorting), the
    yardstick of the machine's current load: timings are also given as a ratio to it."""
    import re

    import scipy.sparse as sp

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    pattern = re.compile(r"[\u4e00-\u9fff]{2}")
    text = "市民反映小区停车难，希望尽快解决。" * 20
    total = 0
    for i in range(20_000):
        total += len(pattern.findall(text)) + (i % 7)
    dense = rng.random((600, 600))
    for _ in range(5):
        dense = np.tanh(dense @ dense / 600)
    columns = rng.integers(0, 5_000, 20_000 * 40)
    sparse = sp.csr_matrix(
        (np.ones(columns.size), columns, np.arange(0, columns.size + 1, 40)), shape=(20_000, 5_000)
    )
    weights = rng.random((20, 5_000))
    for _ in range(20):
        np.asarray(sparse @ weights.T).argmax(axis=1)
    sorted(rng.random(200_000).tolist())
    return time.perf_counter() - start


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
) -> tuple[dict[str, float], float, float, float, float]:
    """Mean scores over the seeds, mean number of clusters, of clusters under 1 %, largest
    cluster share, seconds."""
    totals: dict[str, float] = {"NMI": 0.0, "ARI": 0.0, "ACC": 0.0}
    clusters = small = largest = seconds = 0.0
    for seed in SEEDS:
        start = time.perf_counter()
        predicted = list(method(seed))
        seconds += time.perf_counter() - start
        for name, value in clustering_scores(gold, predicted).items():
            totals[name] += value / len(SEEDS)
        sizes = np.bincount(np.unique(predicted, return_inverse=True)[1])
        clusters += sizes.size / len(SEEDS)
        small += int((sizes < 0.01 * len(predicted)).sum()) / len(SEEDS)
        largest += sizes.max() / len(predicted) / len(SEEDS)
    return totals, clusters, small, largest, seconds / len(SEEDS)


SKIP_SILHOUETTE = False


def methods(
    texts: Sequence[str], tokens: Sequence[Sequence[str]], n_gold: int
) -> list[tuple[str, Callable[[int], Sequence[int]]]]:
    def themes(k: int | None) -> Callable[[int], Sequence[int]]:
        # Sentiment is irrelevant to the scores: pass zeros rather than compute it.
        return lambda seed: discover_themes(
            texts, tokens=tokens, k=k, seed=seed, sentiments=[0.0] * len(texts)
        ).assignments

    chosen = [
        ("DMM themes, k given", themes(n_gold)),
        ("baseline TF-IDF+SVD+KMeans, k given", lambda seed: baseline(tokens, n_gold, seed)),
        ("DMM themes, automatic k", themes(None)),
        ("baseline, k by silhouette", lambda seed: baseline(tokens, None, seed)),
    ]
    return chosen[:3] if SKIP_SILHOUETTE else chosen


def score_set(
    name: str, texts: list[str], gold: list[str], segmenter: Segmenter, *, show_labels: bool
) -> None:
    cleaned = [clean_opinion(text) for text in texts]
    start = time.perf_counter()
    tokens = segmenter.segment(cleaned)
    seg_seconds = time.perf_counter() - start
    n_gold = len(set(gold))
    chars = sum(map(len, texts)) / len(texts)
    print(f"\n== {name}: {len(texts)} texts, mean {chars:.0f} chars, {n_gold} labels "
          f"(segmentation {seg_seconds:.2f}s)")
    print(f"{'method':<36}{'NMI':>7}{'ARI':>7}{'ACC':>7}{'k':>7}{'<1%':>6}{'max%':>7}{'sec':>7}")
    for label, method in methods(cleaned, tokens, n_gold):
        scores, clusters, small, largest, seconds = mean_scores(gold, method)
        print(
            f"{label:<36}{scores['NMI']:>7.3f}{scores['ARI']:>7.3f}{scores['ACC']:>7.3f}"
            f"{clusters:>7.1f}{small:>6.1f}{largest:>7.1%}{seconds:>7.1f}",
            flush=True,
        )
    if show_labels:
        run = discover_themes(cleaned, tokens=tokens, seed=0, sentiments=[0.0] * len(texts))
        print("  labels (automatic k, seed 0): " + " | ".join(
            f"{theme.label} ({theme.size})" for theme in run.themes
        ))
        print("  phrases: " + " | ".join(theme.phrase or "-" for theme in run.themes))


def speed(reviews: tuple[list[str], list[str]], segmenter: Segmenter) -> None:
    """End-to-end time for 10,000 messages of ~300 characters: the `survey-app themes` CLI
    (a fresh process: start-up, read CSV, clean, segment, themes, labels, sentiment, write),
    and the same in this process, beside the baseline (segmentation + TF-IDF+SVD+KMeans)
    and a fixed reference workload measured in the same run."""
    texts, gold = concatenated(*reviews, n_messages=SPEED_MESSAGES)
    chars = sum(map(len, texts))
    print(f"\n== speed: {len(texts)} messages, {chars / len(texts):.0f} chars on average "
          f"({chars / 1e6:.1f} M chars); ceiling {SPEED_CEILING_SECONDS:.0f} s")
    n_gold = len(set(gold))
    reference = [reference_seconds()]
    timings: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "messages.csv"
        with open(source, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text"])
            writer.writerows([text] for text in texts)
        # As installed (pip compiles the bytecode): let this environment write .pyc files
        # and fill the cache with one untimed start.
        env = {key: value for key, value in os.environ.items()
               if key != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([str(CLI), "--help"], check=True, stdout=subprocess.DEVNULL, env=env)
        for label, k_args in (("k given", ["--k", str(n_gold)]), ("automatic k", [])):
            start = time.perf_counter()
            subprocess.run(
                [str(CLI), "themes", str(source), "--out", str(Path(tmp) / "out.csv"), *k_args],
                check=True, stdout=subprocess.DEVNULL, env=env,
            )
            seconds = time.perf_counter() - start
            with open(Path(tmp) / "out.csv", encoding="utf-8-sig", newline="") as handle:
                predicted = [row["theme"] for row in csv.DictReader(handle)]
            nmi = clustering_scores(gold, predicted)["NMI"]
            timings.append((f"survey-app themes CLI, {label}", seconds))
            print(f"survey-app themes CLI, {label:<12} {seconds:6.1f} s  NMI {nmi:.3f}, "
                  f"{len(set(predicted)) - ('-1' in predicted)} themes", flush=True)
    for label, k in (("k given", n_gold), ("automatic k", None)):
        start = time.perf_counter()
        run = discover_themes(texts, k=k, seed=0, segmenter=segmenter)
        seconds = time.perf_counter() - start
        nmi = clustering_scores(gold, run.assignments)["NMI"]
        timings.append((f"discover_themes, {label}", seconds))
        print(f"discover_themes (warm), {label:<12} {seconds:6.1f} s  NMI {nmi:.3f}, "
              f"{len(run.themes)} themes", flush=True)
    start = time.perf_counter()
    tokens = segmenter.segment([clean_opinion(text) for text in texts])
    baseline(tokens, n_gold, 0)
    timings.append(("baseline TF-IDF+SVD+KMeans, k given", time.perf_counter() - start))
    reference.append(reference_seconds())
    unit = float(np.mean(reference))
    print(f"reference workload {reference[0]:.2f} s / {reference[1]:.2f} s (before / after); "
          "in units of it:")
    for label, seconds in timings:
        print(f"  {label:<40} {seconds:6.1f} s = {seconds / unit:5.1f} × reference")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="*", help="labelled CSV files (default: the data dir)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--no-long", action="store_true", help="skip the long-text checks")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed run")
    parser.add_argument("--only-long", action="store_true", help="only the long-text checks")
    parser.add_argument("--no-silhouette", action="store_true",
                        help="skip the (slow) baseline with k chosen by silhouette")
    parser.add_argument("--only-speed", action="store_true", help="only the speed run")
    parser.add_argument("--no-concat", action="store_true",
                        help="skip the (too easy) concatenated-reviews check")
    parser.add_argument("--labels", action="store_true", help="print the automatic labels")
    args = parser.parse_args()
    global SKIP_SILHOUETTE
    SKIP_SILHOUETTE = args.no_silhouette
    paths = [Path(p) for p in args.csv] or sorted(Path(args.data_dir).glob("*.csv"))
    segmenter = Segmenter()
    segmenter.warm_up()
    reviews: tuple[list[str], list[str]] | None = None
    for path in paths:
        texts, gold = read_labelled(path)
        if path.name == REVIEWS_FILE:
            reviews = (texts, gold)
        if not (args.only_long or args.only_speed):
            score_set(path.name, texts, gold, segmenter, show_labels=args.labels)
    if reviews is not None and not (args.no_long or args.only_speed):
        score_set(f"reviews>{LONG_MIN_CHARS}", *long_reviews(*reviews), segmenter,
                  show_labels=args.labels)
        long_texts, long_gold = long_reviews(*reviews)
        score_set(f"gov-wrapped reviews>{LONG_MIN_CHARS}", as_government_messages(long_texts),
                  long_gold, segmenter, show_labels=args.labels)
        if not args.no_concat:
            score_set(f"concat~{MESSAGE_CHARS}", *concatenated(*reviews), segmenter,
                      show_labels=args.labels)
    if reviews is not None and not args.no_speed:
        speed(reviews, segmenter)


if __name__ == "__main__":
    main()
