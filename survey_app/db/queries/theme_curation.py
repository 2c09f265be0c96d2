"""Queries of durable curation: the analyst's decisions on themes (which later runs honour),
opinions set aside (content-free or excluded) and corrected sentiment labels, and the
proposals of clustering runs awaiting the analyst's confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Max

from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.queries.theme_opinions import _OPINION_COLUMNS, OpinionView, _opinion_view
from survey_app.db.tables import Opinion, Theme, ThemeDecision, ThemeRun

_CHUNK = 500


@dataclass(frozen=True)
class Decision:
    id: int
    theme_id: int
    kind: str
    detail: dict[str, Any]
    created_at: dt.datetime | None


async def record_decisions(
    theme_ids: Sequence[int], kind: str, detail: dict[str, Any], actor_id: int | None
) -> None:
    if not theme_ids:
        return
    await ThemeDecision.insert(
        *[ThemeDecision(theme=tid, kind=kind, detail=detail, actor=actor_id)
          for tid in dict.fromkeys(theme_ids)]
    )


async def decided_theme_ids() -> set[int]:
    """Live themes with at least one decision."""
    rows = await ThemeDecision.select(ThemeDecision.theme).where(
        ThemeDecision.theme.merged_into.is_null()
    ).distinct()
    return {row["theme"] for row in rows}


async def latest_decision_id() -> int:
    rows = await ThemeDecision.select(Max(ThemeDecision.id, alias="top"))
    return int(rows[0]["top"] or 0) if rows else 0


async def decisions_of(theme_id: int) -> list[Decision]:
    rows = await ThemeDecision.select().where(ThemeDecision.theme == theme_id).order_by(
        ThemeDecision.id
    )
    return [
        Decision(row["id"], row["theme"], row["kind"], json_value(row["detail"], {}),
                 aware(row["created_at"]))
        for row in rows
    ]


@dataclass(frozen=True)
class SplitDecision:
    """One part of a split: `part_id` came out of splitting `theme_id`."""

    theme_id: int
    part_id: int
    created_at: dt.datetime | None
    actor_name: str


async def split_decisions() -> list[SplitDecision]:
    """Every split's parts, oldest first (splits are rare: a handful of rows)."""
    rows = await ThemeDecision.select(
        ThemeDecision.theme, ThemeDecision.detail, ThemeDecision.created_at,
        ThemeDecision.actor.username.as_alias("username"),
        ThemeDecision.actor.display_name.as_alias("display_name"),
    ).where(ThemeDecision.kind == "split").order_by(ThemeDecision.id)
    found = []
    for row in rows:
        source = json_value(row["detail"], {}).get("theme")
        if isinstance(source, int):
            found.append(SplitDecision(
                source, row["theme"], aware(row["created_at"]),
                row["display_name"] or row["username"] or "",
            ))
    return found


async def live_theme_labels() -> dict[int, str]:
    """The label of every theme not merged away."""
    rows = await Theme.select(Theme.id, Theme.label).where(Theme.merged_into.is_null())
    return {row["id"]: row["label"] for row in rows}


async def max_theme_id() -> int:
    rows = await Theme.select(Max(Theme.id, alias="top"))
    return int(rows[0]["top"] or 0) if rows else 0


# --- Labels, pins, merges and moves ------------------------------------------------------


async def rename_theme(theme_id: int, label: str) -> None:
    await Theme.update(
        {Theme.label: label[:128], Theme.label_edited: True, Theme.updated_at: utcnow()}
    ).where(Theme.id == theme_id)


async def set_pinned_keywords(theme_id: int, keywords: Sequence[str]) -> None:
    await Theme.update(
        {Theme.pinned_keywords: list(keywords), Theme.updated_at: utcnow()}
    ).where(Theme.id == theme_id)


async def mark_merged(absorbed: Sequence[int], target: int) -> None:
    """Absorbed themes point at the target, and so does whatever pointed at them."""
    if not absorbed:
        return
    await Theme.update({Theme.merged_into: target, Theme.pinned_keywords: []}).where(
        Theme.id.is_in(list(absorbed)) | Theme.merged_into.is_in(list(absorbed))
    )
    await Opinion.update({Opinion.theme: target}).where(Opinion.theme.is_in(list(absorbed)))


async def move_opinions(opinion_ids: Sequence[int], theme_id: int) -> int:
    """Put opinions into a theme by hand; re-runs keep them there (theme_locked)."""
    moved = 0
    for chunk in [list(opinion_ids)[i : i + _CHUNK] for i in range(0, len(opinion_ids), _CHUNK)]:
        rows = await Opinion.update({Opinion.theme: theme_id, Opinion.theme_locked: True}).where(
            Opinion.id.is_in(chunk)
        ).returning(Opinion.id)
        moved += len(rows)
    return moved


# --- Opinions set aside and corrected --------------------------------------------------------


async def set_aside(opinion_ids: Sequence[int], reason: str) -> None:
    """Take opinions out of every theme for good ("empty" or "excluded"); "" returns them."""
    ids = list(opinion_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        values: dict[Any, Any] = {Opinion.set_aside: reason}
        if reason:
            values[Opinion.theme] = None
            values[Opinion.theme_locked] = False
        await Opinion.update(values).where(Opinion.id.is_in(chunk))


async def set_aside_opinions(reason: str, *, limit: int, offset: int) -> list[OpinionView]:
    """One page of the opinions set aside for `reason` ("empty" or "excluded"), newest first."""
    rows = await (
        Opinion.select(*_OPINION_COLUMNS).where(Opinion.set_aside == reason)
        .order_by(Opinion.id, ascending=False).limit(limit).offset(offset)
    )
    return [_opinion_view(row) for row in rows]


async def count_set_aside(reason: str) -> int:
    return int(await Opinion.count().where(Opinion.set_aside == reason))


async def restore_set_aside(opinion_ids: Sequence[int]) -> dict[str, list[int]]:
    """Return set-aside opinions to 未归类; by the reason they had. A content-free answer the
    analyst restores is held by hand (theme_locked): runs do not set it aside again and
    assignment leaves it to the analyst."""
    restored: dict[str, list[int]] = {"empty": [], "excluded": []}
    ids = list(opinion_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = await Opinion.select(Opinion.id, Opinion.set_aside).where(
            Opinion.id.is_in(ids[start : start + _CHUNK]), Opinion.set_aside != ""
        )
        for row in rows:
            restored.setdefault(row["set_aside"], []).append(row["id"])
    for reason, chosen in restored.items():
        for start in range(0, len(chosen), _CHUNK):
            await Opinion.update({
                Opinion.set_aside: "", Opinion.theme: None, Opinion.theme_locked: reason == "empty",
            }).where(Opinion.id.is_in(chosen[start : start + _CHUNK]))
    return restored


async def held_by_analyst(opinion_ids: Sequence[int]) -> tuple[set[int], set[int]]:
    """Of the given opinions: (those excluded by an analyst, those with a corrected
    sentiment) — a proposal computed before these decisions must not undo them."""
    excluded: set[int] = set()
    corrected: set[int] = set()
    ids = list(opinion_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = await Opinion.select(Opinion.id, Opinion.set_aside, Opinion.sentiment_label).where(
            Opinion.id.is_in(ids[start : start + _CHUNK]),
            (Opinion.set_aside == "excluded") | (Opinion.sentiment_label != ""),
        )
        for row in rows:
            if row["set_aside"] == "excluded":
                excluded.add(row["id"])
            if row["sentiment_label"]:
                corrected.add(row["id"])
    return excluded, corrected


async def correct_sentiment(opinion_id: int, label: str, value: float | None) -> None:
    await Opinion.update(
        {Opinion.sentiment_label: label, Opinion.sentiment: value}
    ).where(Opinion.id == opinion_id)


async def opinion_theme(opinion_id: int) -> tuple[bool, int | None]:
    """(exists, theme id) of one opinion."""
    if not 0 < opinion_id < 2**31:
        return False, None
    row = await Opinion.select(Opinion.theme).where(Opinion.id == opinion_id).first()
    return (row is not None, row["theme"] if row else None)


# --- Run proposals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    run_id: int
    status: str
    scope: dict[str, Any]
    proposal: dict[str, Any]
    created_at: dt.datetime | None


async def latest_applied_run_id() -> int:
    row = await (
        ThemeRun.select(ThemeRun.id).where(ThemeRun.status == "done")
        .order_by(ThemeRun.id, ascending=False).first()
    )
    return int(row["id"]) if row else 0


async def insert_proposal(
    *, scope: dict[str, Any], k: int | None, seed: int, proposal: dict[str, Any],
    opinion_count: int, job_id: int | None, created_by: int | None,
) -> int:
    # Proposals still waiting are superseded by a newer one.
    await ThemeRun.update({ThemeRun.status: "superseded"}).where(ThemeRun.status == "proposed")
    rows = await ThemeRun.insert(
        ThemeRun(scope=scope, status="proposed", k_requested=k, seed=seed, model={},
                 proposal=proposal, opinion_count=opinion_count, job=job_id,
                 created_by=created_by)
    ).returning(ThemeRun.id)
    return int(rows[0]["id"])


async def find_proposal(run_id: int) -> Proposal | None:
    if not 0 < run_id < 2**31:
        return None
    row = await ThemeRun.select(
        ThemeRun.id, ThemeRun.status, ThemeRun.scope, ThemeRun.proposal, ThemeRun.created_at
    ).where(ThemeRun.id == run_id).first()
    if row is None:
        return None
    return Proposal(row["id"], row["status"], json_value(row["scope"], {}),
                    json_value(row["proposal"], {}), aware(row["created_at"]))


async def pending_proposal_id() -> int | None:
    row = await (
        ThemeRun.select(ThemeRun.id).where(ThemeRun.status == "proposed")
        .order_by(ThemeRun.id, ascending=False).first()
    )
    return int(row["id"]) if row else None


async def finish_proposal(run_id: int, status: str, model: dict[str, Any] | None = None) -> None:
    values: dict[Any, Any] = {ThemeRun.status: status}
    if model is not None:
        values[ThemeRun.model] = model
    await ThemeRun.update(values).where(ThemeRun.id == run_id)


async def live_theme_keywords(top: int = 3) -> dict[int, list[str]]:
    """The `top` keywords and the pinned keywords of every live theme (what an opinion must
    share with a theme to join it by assignment)."""
    rows = await Theme.select(Theme.id, Theme.keywords, Theme.pinned_keywords).where(
        Theme.merged_into.is_null()
    )
    return {
        row["id"]: [*json_value(row["keywords"], [])[:top],
                    *json_value(row["pinned_keywords"], [])]
        for row in rows
    }


async def create_theme(label: str, opinion_ids: Sequence[int]) -> int:
    rows = await Theme.insert(Theme(label=label[:128])).returning(Theme.id)
    theme_id = int(rows[0]["id"])
    ids = list(opinion_ids)
    for start in range(0, len(ids), _CHUNK):
        await Opinion.update({Opinion.theme: theme_id}).where(
            Opinion.id.is_in(ids[start : start + _CHUNK]), Opinion.theme.is_null()
        )
    return theme_id
