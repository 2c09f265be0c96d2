"""The fitted theme model: what is needed to assign new opinions to existing themes and to
keep theme identity across runs. It serialises to a JSON-safe dict for the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis.themes.dmm import MixtureCounts, log_posterior

FORMAT_VERSION = 1


class ThemeModelError(ValueError):
    """A stored model that cannot be read back (message in Chinese, for the user)."""


@dataclass(frozen=True, eq=False)
class ThemeModel:
    """Themes as rows of a Dirichlet multinomial mixture over ``vocabulary``.

    ``theme_ids`` are stable identifiers (not row numbers); ``custom_labels`` holds the
    labels an analyst chose, which survive re-runs; ``pins`` maps a keyword to the theme id
    that every opinion containing it is forced into."""

    vocabulary: tuple[str, ...]
    theme_ids: tuple[int, ...]
    auto_labels: tuple[str, ...]
    counts: MixtureCounts
    alpha: float
    beta: float
    custom_labels: Mapping[int, str] = field(default_factory=dict)
    pins: Mapping[str, int] = field(default_factory=dict)
    next_theme_id: int = 0
    # Long opinions count as this many words (see dmm.py); None in models stored before it.
    length_cap: float | None = None

    def label_of(self, theme_id: int) -> str:
        return self.custom_labels.get(theme_id) or self.auto_labels[self.row_of(theme_id)]

    def row_of(self, theme_id: int) -> int:
        try:
            return self.theme_ids.index(theme_id)
        except ValueError:
            raise KeyError(f"主题 {theme_id} 不存在") from None

    def log_posterior_with_background(self, x: sp.csr_matrix) -> np.ndarray:
        """Normalised log posterior over the themes plus one last "background" column: the
        pooled word distribution of all themes at the weight of an average theme. An opinion
        that the background explains best fits no theme in particular."""
        n_themes = max(1, len(self.theme_ids))
        background = MixtureCounts(
            np.array([self.counts.doc_counts.sum() / n_themes]),
            self.counts.word_counts.sum(axis=0, keepdims=True) / n_themes,
        )
        stacked = MixtureCounts(
            np.concatenate([self.counts.doc_counts, background.doc_counts]),
            np.vstack([self.counts.word_counts, background.word_counts]),
        )
        scores = log_posterior(
            x, stacked, alpha=self.alpha, beta=self.beta, length_cap=self.length_cap
        )
        scores -= scores.max(axis=1, keepdims=True)
        return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))

    def with_custom_label(self, theme_id: int, label: str) -> ThemeModel:
        self.row_of(theme_id)
        labels = {**self.custom_labels, theme_id: label}
        return replace(self, custom_labels=labels)

    def with_pin(self, keyword: str, theme_id: int | None) -> ThemeModel:
        pins = {word: tid for word, tid in self.pins.items() if word != keyword}
        if theme_id is not None:
            self.row_of(theme_id)
            pins[keyword] = theme_id
        return replace(self, pins=pins)

    def to_dict(self) -> dict[str, Any]:
        themes = []
        for row, theme_id in enumerate(self.theme_ids):
            word_row = self.counts.word_counts[row]
            nonzero = np.flatnonzero(word_row)
            themes.append(
                {
                    "id": theme_id,
                    "auto_label": self.auto_labels[row],
                    "documents": int(np.rint(self.counts.doc_counts[row])),
                    "word_indices": nonzero.tolist(),
                    "word_counts": np.rint(word_row[nonzero]).astype(np.int64).tolist(),
                }
            )
        return {
            "format": "dmm-themes",
            "version": FORMAT_VERSION,
            "alpha": self.alpha,
            "beta": self.beta,
            "vocabulary": list(self.vocabulary),
            "themes": themes,
            "custom_labels": {str(k): v for k, v in self.custom_labels.items()},
            "pins": dict(self.pins),
            "next_theme_id": self.next_theme_id,
            "length_cap": self.length_cap,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThemeModel:
        if data.get("format") != "dmm-themes" or data.get("version") != FORMAT_VERSION:
            raise ThemeModelError("无法读取主题模型：格式或版本不受支持")
        try:
            vocabulary = tuple(str(word) for word in data["vocabulary"])
            themes = data["themes"]
            word_counts = np.zeros((len(themes), len(vocabulary)))
            for row, theme in enumerate(themes):
                word_counts[row, np.asarray(theme["word_indices"], dtype=np.int64)] = theme[
                    "word_counts"
                ]
            return cls(
                vocabulary=vocabulary,
                theme_ids=tuple(int(theme["id"]) for theme in themes),
                auto_labels=tuple(str(theme["auto_label"]) for theme in themes),
                counts=MixtureCounts(
                    np.asarray([float(theme["documents"]) for theme in themes]), word_counts
                ),
                alpha=float(data["alpha"]),
                beta=float(data["beta"]),
                custom_labels={int(k): str(v) for k, v in data["custom_labels"].items()},
                pins={str(k): int(v) for k, v in data["pins"].items()},
                next_theme_id=int(data["next_theme_id"]),
                length_cap=None if data.get("length_cap") is None else float(data["length_cap"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise ThemeModelError(f"无法读取主题模型：数据不完整或已损坏（{error}）") from error
