"""Accuracy of analysis.sentiment on a hand-labelled check set of citizen and enterprise
opinions (bench/data/sentiment_check.csv: text,label with positive/negative/neutral).

    .venv/bin/python bench/sentiment_accuracy.py [CSV] [--show-errors]

A score above +THRESHOLD counts as positive, below −THRESHOLD as negative, else neutral.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.sentiment import score_sentiment

THRESHOLD = 0.15
LABELS = ("positive", "neutral", "negative")
DEFAULT_SET = Path(__file__).with_name("data") / "sentiment_check.csv"


def predicted_label(score: float) -> str:
    if score > THRESHOLD:
        return "positive"
    if score < -THRESHOLD:
        return "negative"
    return "neutral"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_SET))
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    with open(args.csv, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts, gold = [r["text"] for r in rows], [r["label"] for r in rows]
    scores = score_sentiment(texts)
    predicted = [predicted_label(s) for s in scores]
    confusion = Counter(zip(gold, predicted, strict=True))
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    polar = [(g, s) for g, s in zip(gold, scores, strict=True) if g != "neutral"]
    polar_correct = sum((g == "positive") == (s > 0) and s != 0 for g, s in polar)
    print(f"{len(rows)} opinions: " + ", ".join(f"{n} {lab}" for lab, n in Counter(gold).items()))
    print(f"3-class accuracy (|score| ≤ {THRESHOLD} = neutral): {correct / len(rows):.1%}")
    print(f"polarity accuracy on positive+negative opinions (sign of score): "
          f"{polar_correct / len(polar):.1%}")
    print("confusion (rows gold, columns predicted):")
    print(" " * 10 + "".join(f"{lab:>10}" for lab in LABELS) + "    recall")
    for g in LABELS:
        total = sum(confusion[(g, p)] for p in LABELS)
        cells = "".join(f"{confusion[(g, p)]:>10}" for p in LABELS)
        print(f"{g:>10}{cells}    {confusion[(g, g)] / max(1, total):.1%}")
    if args.show_errors:
        for text, g, p, s in zip(texts, gold, predicted, scores, strict=True):
            if g != p:
                print(f"  gold {g:<8} predicted {p:<8} {s:+.2f}  {text}")


if __name__ == "__main__":
    main()
