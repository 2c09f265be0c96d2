"""Accuracy of analysis.sentiment on hand-labelled check sets of citizens' and enterprises'
opinions about government services (CSV with columns text,label[,voice,split]; label is
positive/negative/neutral, written and labelled by hand, independently of the lexicon).

    .venv/bin/python bench/sentiment_accuracy.py                 # both shipped sets
    .venv/bin/python bench/sentiment_accuracy.py tests/data/sentiment_opinions.csv --show-errors

Sets: tests/data/sentiment_opinions.csv (882 opinions; a third, chosen by a hash of the text,
is the "holdout" split, never looked at while tuning the lexicon) and the older
bench/data/sentiment_check.csv (197). Per split: 3-class accuracy, per-class F1 and the
wrong-sign rate (a positive opinion scored negative or the reverse), over all opinions of the
split and over the polar ones. --show-errors lists the errors of the dev split only.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.sentiment import score_sentiment, sentiment_class

LABELS = ("positive", "neutral", "negative")
_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETS = (
    _ROOT / "tests" / "data" / "sentiment_opinions.csv",
    _ROOT / "bench" / "data" / "sentiment_check.csv",
)
ACCURACY_AIM = 0.85
WRONG_SIGN_CEILING = 0.03


def report(name: str, gold: Sequence[str], predicted: Sequence[str]) -> None:
    pairs = list(zip(gold, predicted, strict=True))
    confusion = Counter(pairs)
    accuracy = sum(g == p for g, p in pairs) / len(pairs)
    wrong = sum({g, p} == {"positive", "negative"} for g, p in pairs)
    polar = sum(g != "neutral" for g in gold)
    f1 = {}
    for label in LABELS:
        tp = confusion[(label, label)]
        fp = sum(confusion[(g, label)] for g in LABELS if g != label)
        fn = sum(confusion[(label, p)] for p in LABELS if p != label)
        f1[label] = 2 * tp / max(1, 2 * tp + fp + fn)
    counts = Counter(gold)
    print(f"  {name:<8} n={len(pairs):<4} ({counts['positive']} pos/{counts['neutral']} neu/"
          f"{counts['negative']} neg)  accuracy {accuracy:6.1%} (aim ≥ {ACCURACY_AIM:.0%})  "
          + "  ".join(f"F1 {label[:3]} {f1[label]:.2f}" for label in LABELS)
          + f"  macro {sum(f1.values()) / 3:.2f}  wrong sign {wrong / len(pairs):5.1%} of all"
          f" (ceiling {WRONG_SIGN_CEILING:.0%}), {wrong / max(1, polar):5.1%} of polar")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="*", default=[str(p) for p in DEFAULT_SETS])
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    for path in args.csv:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        scores = score_sentiment([r["text"] for r in rows])
        predicted = [sentiment_class(s) for s in scores]
        print(f"{Path(path).name}: {len(rows)} opinions")
        splits = sorted({r.get("split") or "all" for r in rows})
        for split in [*splits, "all"] if splits != ["all"] else ["all"]:
            chosen = [i for i, r in enumerate(rows) if split == "all" or r.get("split") == split]
            report(split, [rows[i]["label"] for i in chosen], [predicted[i] for i in chosen])
        if args.show_errors:
            for row, label, score in zip(rows, predicted, scores, strict=True):
                if row["label"] != label and row.get("split", "dev") != "holdout":
                    print(f"    gold {row['label']:<8} got {label:<8} {score:+.2f}  {row['text']}")


if __name__ == "__main__":
    main()
