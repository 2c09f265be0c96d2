"""Writing a pure result into the theme rows, opinions and the stored registry model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from analysis.themes import ThemeModel, ThemeRun, merge_themes
from analysis.themes.corpus import doc_term_matrix
from analysis.themes.dmm import MixtureCounts
from survey_app.db.queries import theme_curation
from survey_app.db.queries import themes as queries
from survey_app.db.queries.themes import CorpusOpinion
from survey_app.services.themes.common import Prepared, Registry, sentiment_changes


def relabelled(data: Mapping[str, Any], id_map: Mapping[int, int]) -> dict[str, Any]:
    """The model JSON with its theme ids replaced through `id_map` (pure ids → row ids)."""
    return {
        **data,
        "themes": [{**theme, "id": id_map[int(theme["id"])]} for theme in data["themes"]],
        "custom_labels": {
            str(id_map[int(tid)]): label for tid, label in data["custom_labels"].items()
            if int(tid) in id_map
        },
        "pins": {word: id_map[int(tid)] for word, tid in data["pins"].items() if int(tid) in id_map},
    }


def with_earlier_themes(
    new: Mapping[str, Any], old: Mapping[str, Any] | None, drop: Collection[int]
) -> dict[str, Any]:
    """`new` plus the themes of `old` it does not contain (except `drop`), their word
    indices moved to the combined vocabulary."""
    vocabulary = list(new["vocabulary"])
    index = {word: i for i, word in enumerate(vocabulary)}
    themes = list(new["themes"])
    custom = dict(new["custom_labels"])
    pins = dict(new["pins"])
    next_id = int(new["next_theme_id"])
    if old:
        present = {int(theme["id"]) for theme in themes}
        kept: set[int] = set()
        for theme in old["themes"]:
            theme_id = int(theme["id"])
            if theme_id in present or theme_id in drop:
                continue
            indices = []
            for position in theme["word_indices"]:
                word = old["vocabulary"][position]
                if word not in index:
                    index[word] = len(vocabulary)
                    vocabulary.append(word)
                indices.append(index[word])
            themes.append({**theme, "word_indices": indices})
            kept.add(theme_id)
        custom = {k: v for k, v in old["custom_labels"].items() if int(k) in kept} | custom
        pins = {w: t for w, t in old["pins"].items() if int(t) in kept} | pins
        next_id = max(next_id, int(old["next_theme_id"]))
    ids = [int(theme["id"]) for theme in themes]
    return {
        **new,
        "vocabulary": vocabulary,
        "themes": themes,
        "custom_labels": custom,
        "pins": pins,
        "next_theme_id": max([next_id, *(i + 1 for i in ids)]),
    }


@dataclass(frozen=True)
class RunInfo:
    scope: dict[str, Any]
    k: int | None
    seed: int
    job_id: int | None
    created_by: int | None


async def store(
    result: ThemeRun,
    corpus: Sequence[CorpusOpinion],
    prepared: Prepared,
    registry: Registry | None,
    info: RunInfo,
    *,
    keeps_theme: Sequence[bool],
    drop: Collection[int] = (),
    before_describe: Callable[[], Awaitable[None]] | None = None,
    names: Mapping[int, str] | None = None,
) -> dict[int, int]:
    """Write a pure result (its assignments are indexed like `corpus`) and the new
    registry model in one transaction; returns the map from result ids to row ids.
    `keeps_theme[i]`: opinion i stays in its current theme whatever the result says.
    `names`: labels the analyst gave (result ids), kept by later runs like a rename."""
    known = registry.model.theme_ids if registry else ()
    existing = {
        theme.id: registry.resolve(theme.id) for theme in result.themes
        if registry is not None and theme.id in known
    }
    new_ids = [theme.id for theme in result.themes if existing.get(theme.id) is None]
    edited = {tid for tid, s in (registry.states if registry else {}).items() if s.label_edited}
    async with queries.transaction():
        rows = await queries.insert_themes([result.theme(tid).label for tid in new_ids])
        id_map = {tid: row for tid, row in existing.items() if row is not None}
        id_map.update(zip(new_ids, rows, strict=True))
        model = with_earlier_themes(
            relabelled(result.model.to_dict(), id_map), registry.stored if registry else None,
            drop,
        )
        run_id = await queries.insert_run(
            scope=info.scope, k=info.k, seed=info.seed, model=model,
            opinion_count=len(corpus), job_id=info.job_id, created_by=info.created_by,
        )
        final = [
            o.theme_id if keep else (id_map[a] if a >= 0 else None)
            for o, a, keep in zip(corpus, result.assignments, keeps_theme, strict=True)
        ]
        await queries.set_opinion_themes(
            [(o.id, row) for o, row in zip(corpus, final, strict=True) if row != o.theme_id]
        )
        await queries.set_opinion_sentiments(sentiment_changes(corpus, prepared.sentiments))
        if before_describe is not None:
            await before_describe()
        await queries.describe_themes(
            [
                queries.ThemeDescription(
                    theme_id=id_map[theme.id],
                    label=None if id_map[theme.id] in edited else theme.label,
                    keywords=[word for word, _ in theme.keywords],
                    representatives=[
                        corpus[i].id for i in theme.representatives
                        if final[i] == id_map[theme.id]
                    ],
                )
                for theme in result.themes
            ],
            run_id,
        )
        for theme_id, label in (names or {}).items():
            await theme_curation.rename_theme(id_map[theme_id], label)
        await queries.refresh_theme_stats()
    return id_map


def fold_aliases(
    result: ThemeRun, registry: Registry | None, prepared: Prepared
) -> ThemeRun:
    """Clusters that resolve to the same live row (a theme and one merged into it) become
    one theme, so an analyst's merge survives re-runs."""
    if registry is None:
        return result
    groups: dict[int, list[int]] = {}
    for theme in result.themes:
        if theme.id in registry.model.theme_ids:
            row = registry.resolve(theme.id)
            if row is not None:
                groups.setdefault(row, []).append(theme.id)
    for row, ids in groups.items():
        if len(ids) > 1:
            ids.sort(key=lambda tid: tid != row)  # the live row's own id first: it is kept
            result = merge_themes(
                result.model, prepared.texts, result.assignments, ids,
                tokens=prepared.tokens, sentiments=prepared.sentiments,
            )
    return result


def with_new_theme(
    model: ThemeModel, theme_id: int, label: str, tokens: Sequence[Sequence[str]]
) -> ThemeModel:
    """`model` plus one theme made of the given opinions (an accepted 新议题), so that later
    opinions can join it by assignment without a full run. Its words that the model has
    never seen join the vocabulary (the other themes count them zero)."""
    vocabulary = list(model.vocabulary)
    known = set(vocabulary)
    for words in tokens:
        for word in words:
            if word not in known:
                known.add(word)
                vocabulary.append(word)
    x = doc_term_matrix(tokens, vocabulary)
    old = model.counts.word_counts
    widened = np.hstack([old, np.zeros((old.shape[0], len(vocabulary) - old.shape[1]))])
    counts = MixtureCounts(
        np.append(model.counts.doc_counts, float(len(tokens))),
        np.vstack([widened, np.asarray(x.sum(axis=0)).reshape(1, -1)]),
    )
    return replace(
        model, vocabulary=tuple(vocabulary), theme_ids=(*model.theme_ids, theme_id),
        auto_labels=(*model.auto_labels, label), counts=counts,
        next_theme_id=max(model.next_theme_id, theme_id + 1),
    )
