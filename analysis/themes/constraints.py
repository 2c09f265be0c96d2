"""A clustering run that honours the analyst's decisions.

The caller says, for every opinion, whether it must keep its theme (it sits in a theme the
analyst decided something about, or was moved there by hand), whether it is set aside
(content-free or excluded), and whether it is new enough to join a protected theme by
assignment. Only the remaining opinions are re-clustered, and the new clusters can take
neither the id of a protected theme nor of one another: so merged opinions stay together,
split parts stay apart, and no run empties or renumbers a protected theme. A new cluster
whose label is identical to an unprotected theme's keeps that theme's id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from analysis.themes.corpus import build_vocabulary, doc_term_matrix
from analysis.themes.discover import (
    UNASSIGNED,
    ThemeRun,
    assign_to_themes,
    build_run,
    discover_themes,
)
from analysis.themes.model import ThemeModel
from analysis.themes.novelty import fits_theme

MIN_FREE_K = 2


@dataclass(frozen=True)
class Constraints:
    keep: Sequence[int | None]  # theme id opinion i must keep, or None (free)
    set_aside: Sequence[bool]  # never clustered, never in a theme
    joinable: Sequence[bool]  # free and new: may join a protected theme by assignment
    protected: Collection[int]  # themes with a decision: ids and opinions stay
    labels: Mapping[int, str]  # current label of every live theme
    keywords: Mapping[int, Collection[str]]  # keywords (and pins) of every live theme
    next_id: int  # above every theme id ever used


def restrict(model: ThemeModel, theme_ids: Collection[int], next_id: int) -> ThemeModel:
    """The model with only the given themes (pins and labels of the others kept, so that
    pinned keywords still apply)."""
    rows = [row for row, tid in enumerate(model.theme_ids) if tid in theme_ids]
    counts = replace(
        model.counts,
        doc_counts=model.counts.doc_counts[rows],
        word_counts=model.counts.word_counts[rows],
    )
    return replace(
        model,
        theme_ids=tuple(model.theme_ids[row] for row in rows),
        auto_labels=tuple(model.auto_labels[row] for row in rows),
        counts=counts,
        next_theme_id=max(next_id, model.next_theme_id),
    )


def reuse_ids_by_label(
    new_labels: Mapping[int, str], free_labels: Mapping[int, str]
) -> dict[int, int]:
    """New cluster id -> the id of an unprotected, unclaimed theme with the identical label
    (each old id at most once), so that links to a theme keep working."""
    by_label: dict[str, list[int]] = {}
    for tid, label in sorted(free_labels.items()):
        by_label.setdefault(label, []).append(tid)
    reused: dict[int, int] = {}
    for new_id, label in sorted(new_labels.items()):
        candidates = by_label.get(label)
        if candidates:
            reused[new_id] = candidates.pop(0)
    return reused


def constrained_run(
    texts: Sequence[str],
    tokens: Sequence[Sequence[str]],
    constraints: Constraints,
    *,
    previous: ThemeModel | None,
    k: int | None = None,
    seed: int = 0,
    sentiments: Sequence[float] | None = None,
) -> ThemeRun:
    """One run over all ``texts`` (cleaned) honouring ``constraints``; the result's
    assignments are -1 for set-aside and unassigned opinions, and its model covers every
    theme that has an opinion here (protected themes keep their current labels)."""
    n = len(texts)
    c = constraints
    if not (len(tokens) == len(c.keep) == len(c.set_aside) == len(c.joinable) == n):
        raise ValueError("constraints must have one entry per text")
    protected = set(c.protected)
    final = np.full(n, UNASSIGNED, dtype=np.int64)
    for i, theme_id in enumerate(c.keep):
        if theme_id is not None and not c.set_aside[i]:
            final[i] = theme_id
    free = [i for i in range(n) if c.keep[i] is None and not c.set_aside[i]]
    live = set(c.labels)
    # 1. New opinions join a protected theme only by assignment against every known theme.
    if previous is not None and previous.theme_ids and protected:
        known = restrict(previous, live, c.next_id)
        candidates = [i for i in free if c.joinable[i]]
        if candidates and known.theme_ids:
            ids = assign_to_themes(
                known, [texts[i] for i in candidates], tokens=[tokens[i] for i in candidates]
            )
            for i, theme_id in zip(candidates, ids, strict=True):
                if theme_id in protected and fits_theme(tokens[i], c.keywords.get(theme_id, ())):
                    final[i] = theme_id
    rest = [i for i in free if final[i] == UNASSIGNED]
    # 2. The others are clustered afresh; clusters may match unprotected themes only.
    # (Without a word shared by enough of them there is nothing to cluster: they stay 新议题.)
    if len(rest) >= MIN_FREE_K and build_vocabulary([tokens[i] for i in rest]):
        busy = {int(t) for t in final[final >= 0]} & protected
        free_k = None if k is None else min(len(rest), max(MIN_FREE_K, k - len(busy)))
        matchable = None
        if previous is not None:
            matchable = restrict(previous, live - protected, c.next_id)
            # Pins of any live theme still apply; those of retired themes do not.
            matchable = replace(
                matchable, pins={w: t for w, t in previous.pins.items() if t in live},
                custom_labels={},
            )
        run = discover_themes(
            [texts[i] for i in rest], k=free_k, seed=seed, tokens=[tokens[i] for i in rest],
            sentiments=None if sentiments is None else [sentiments[i] for i in rest],
            previous=matchable,
        )
        claimed = {t.id for t in run.themes} & live
        fresh = {t.id: t.label for t in run.themes if t.id not in live}
        free_labels = {
            tid: label for tid, label in c.labels.items()
            if tid not in protected and tid not in claimed
        }
        id_map = reuse_ids_by_label(fresh, free_labels)
        next_id = max(c.next_id, previous.next_theme_id if previous else 0)
        for theme in run.themes:
            if theme.id not in live and theme.id not in id_map:
                id_map[theme.id] = next_id
                next_id += 1
        for i, theme_id in zip(rest, run.assignments, strict=True):
            if theme_id >= 0:
                final[i] = id_map.get(theme_id, theme_id)
    # 3. One model over everything, protected themes keeping their labels.
    clustered = [tokens[i] for i in range(n) if not c.set_aside[i]]
    vocabulary = build_vocabulary(clustered)
    x = doc_term_matrix(tokens, vocabulary)
    pins = dict(previous.pins) if previous is not None else {}
    return build_run(
        list(texts),
        x,
        final,
        vocabulary=vocabulary,
        pins={w: t for w, t in pins.items() if t in live},
        custom_labels={tid: c.labels[tid] for tid in protected if tid in c.labels},
        next_theme_id=max([c.next_id, *(int(t) + 1 for t in final[final >= 0])]),
        sentiments=sentiments,
        seed=seed,
    )
