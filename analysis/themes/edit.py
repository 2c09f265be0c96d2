"""The analyst's edits of a theme run, as pure functions of (model, opinions, assignments):
split a theme, merge themes, pin a keyword to a theme, unpin it, rename a theme.

Each edit that moves opinions returns a whole new ThemeRun (counts, keywords, labels,
representatives and sentiment recomputed); theme ids that are not edited stay the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis.text import Segmenter
from analysis.themes.corpus import doc_term_matrix
from analysis.themes.discover import (
    MAX_THEMES,
    ThemeInputError,
    ThemeRun,
    apply_pins,
    build_run,
    cluster_rows,
    prepare_corpus,
)
from analysis.themes.model import ThemeModel


def split_theme(
    model: ThemeModel,
    texts: Sequence[str],
    assignments: Sequence[int],
    theme_id: int,
    *,
    k: int | None = None,
    seed: int = 0,
    tokens: Sequence[Sequence[str]] | None = None,
    sentiments: Sequence[float] | None = None,
    segmenter: Segmenter | None = None,
) -> ThemeRun:
    """Re-cluster the opinions of one theme into ``k`` (or an automatic number, at least 2)
    new themes with new ids; the split theme's id, label and pins are retired."""
    _require_theme(model, theme_id)
    current = _checked_assignments(texts, assignments)
    corpus = prepare_corpus(texts, tokens=tokens, segmenter=segmenter)
    x = doc_term_matrix(corpus.tokens, model.vocabulary)
    members = np.flatnonzero(current == theme_id)
    sub_x = x[members]
    sub_labels = cluster_rows(sub_x, k=k, seed=seed, max_themes=MAX_THEMES)
    if k is None and sub_labels.max(initial=-1) < 1:
        sub_labels = cluster_rows(sub_x, k=2, seed=seed, max_themes=MAX_THEMES)
    if sub_labels.max(initial=-1) < 1:
        raise ThemeInputError(f"主题“{model.label_of(theme_id)}”的意见内容过于一致，无法再拆分")
    new_ids = model.next_theme_id + sub_labels
    current[members] = np.where(sub_labels >= 0, new_ids, -1)
    return build_run(
        corpus.texts,
        x,
        current,
        vocabulary=model.vocabulary,
        pins={word: tid for word, tid in model.pins.items() if tid != theme_id},
        custom_labels={tid: lab for tid, lab in model.custom_labels.items() if tid != theme_id},
        next_theme_id=int(new_ids.max()) + 1,
        sentiments=sentiments,
        seed=seed,
        length_cap=model.length_cap,
    )


def merge_themes(
    model: ThemeModel,
    texts: Sequence[str],
    assignments: Sequence[int],
    theme_ids: Sequence[int],
    *,
    label: str | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
    sentiments: Sequence[float] | None = None,
    segmenter: Segmenter | None = None,
) -> ThemeRun:
    """Merge the given themes into the first of them (which keeps its id); pins to the
    others now point to it. ``label`` optionally sets the merged theme's label."""
    if len(set(theme_ids)) < 2:
        raise ThemeInputError("合并主题至少需要选择两个不同的主题")
    for theme_id in theme_ids:
        _require_theme(model, theme_id)
    target, absorbed = theme_ids[0], set(theme_ids[1:])
    current = _checked_assignments(texts, assignments)
    current[np.isin(current, list(absorbed))] = target
    custom = {tid: lab for tid, lab in model.custom_labels.items() if tid not in absorbed}
    if label is not None:
        custom[target] = _checked_label(label)
    corpus = prepare_corpus(texts, tokens=tokens, segmenter=segmenter)
    return build_run(
        corpus.texts,
        doc_term_matrix(corpus.tokens, model.vocabulary),
        current,
        vocabulary=model.vocabulary,
        pins={word: target if tid in absorbed else tid for word, tid in model.pins.items()},
        custom_labels=custom,
        next_theme_id=model.next_theme_id,
        sentiments=sentiments,
        seed=0,
        length_cap=model.length_cap,
    )


def pin_keyword(
    model: ThemeModel,
    texts: Sequence[str],
    assignments: Sequence[int],
    keyword: str,
    theme_id: int,
    *,
    tokens: Sequence[Sequence[str]] | None = None,
    sentiments: Sequence[float] | None = None,
    segmenter: Segmenter | None = None,
) -> ThemeRun:
    """Force every opinion containing ``keyword`` into ``theme_id``, now and in later runs
    (``discover_themes(previous=...)`` and ``assign_to_themes`` honour the pin)."""
    keyword = keyword.strip()
    if not keyword:
        raise ThemeInputError("固定关键词不能为空")
    _require_theme(model, theme_id)
    pinned = model.with_pin(keyword, theme_id)
    corpus = prepare_corpus(texts, tokens=tokens, segmenter=segmenter)
    current = apply_pins(corpus.texts, _checked_assignments(texts, assignments), pinned.pins)
    return build_run(
        corpus.texts,
        doc_term_matrix(corpus.tokens, model.vocabulary),
        current,
        vocabulary=model.vocabulary,
        pins=pinned.pins,
        custom_labels=model.custom_labels,
        next_theme_id=model.next_theme_id,
        sentiments=sentiments,
        seed=0,
        length_cap=model.length_cap,
    )


def unpin_keyword(model: ThemeModel, keyword: str) -> ThemeModel:
    """Stop forcing ``keyword``; opinions already moved stay until the next run."""
    if keyword not in model.pins:
        raise ThemeInputError(f"关键词“{keyword}”没有被固定")
    return model.with_pin(keyword, None)


def rename_theme(model: ThemeModel, theme_id: int, label: str) -> ThemeModel:
    """Give a theme the analyst's label; it survives later runs that keep the theme."""
    _require_theme(model, theme_id)
    return model.with_custom_label(theme_id, _checked_label(label))


def _require_theme(model: ThemeModel, theme_id: int) -> None:
    if theme_id not in model.theme_ids:
        raise ThemeInputError(f"主题 {theme_id} 不存在")


def _checked_label(label: str) -> str:
    label = label.strip()
    if not label:
        raise ThemeInputError("主题名称不能为空")
    return label


def _checked_assignments(texts: Sequence[str], assignments: Sequence[int]) -> np.ndarray:
    if len(assignments) != len(texts):
        raise ThemeInputError(
            f"意见条数（{len(texts)}）与主题归属条数（{len(assignments)}）不一致"
        )
    return np.asarray(assignments, dtype=np.int64).copy()
