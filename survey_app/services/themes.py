"""Theme analysis use cases: clustering runs, assignment of new opinions, the analyst's
curation (rename, merge, split, move, pin), hand-over to units (整改) and the theme report.

Theme identity. Theme rows are the stable entities the analyst curates; the pure model
(analysis.themes.ThemeModel) is stored in the latest ThemeRun with its theme ids equal to the
Theme row ids, and is passed as ``previous`` to the next run so that matching clusters keep
their row. The stored model is a *registry*: besides the themes of the latest run it keeps the
earlier themes the run did not touch (a run over one unit must not make the other themes
forget their identity), and the themes merged away, as aliases that resolve to the theme they
were merged into — so a re-run that finds an absorbed theme again folds it back in.

The database is the truth for what the analyst decided: edited labels, pinned keywords,
merges (``merged_into``) and hand-moved opinions (``theme_locked``) are read from it and
applied to the model before every run or edit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from litestar.exceptions import NotFoundException

from analysis.sentiment import score_sentiment
from analysis.tabular import write_xlsx
from analysis.text import clean_opinion, default_segmenter
from analysis.themes import (
    UNASSIGNED_LABEL,
    ThemeInputError,
    ThemeModel,
    ThemeModelError,
    ThemeRun,
    assign_to_themes,
    discover_themes,
    merge_themes,
    pin_keyword,
    split_theme,
)
from survey_app.db.queries import audit, units
from survey_app.db.queries import themes as queries
from survey_app.db.queries._rows import utcnow
from survey_app.db.queries.themes import (
    ASSIGNED,
    DONE,
    PENDING,
    RECTIFYING,
    CorpusOpinion,
    OpinionFilter,
    OpinionView,
    ThemeOption,
    ThemeRecord,
    ThemeState,
)
from survey_app.errors import InvalidInput
from survey_app.roles import UNIT_VIEWER
from survey_app.services.auth import CurrentUser
from survey_app.services.job_queue import submit_job

STATUS_LABELS = {PENDING: "待处理", ASSIGNED: "已转办", RECTIFYING: "整改中", DONE: "已办结"}
CHANNEL_LABELS = {"online": "网上填报", "paper": "纸质问卷", "interview": "访谈", "phone": "电话",
                  "open": "公开链接"}
REPLY_STATUSES = (RECTIFYING, DONE)
# Clustering covers these campaigns unless the analyst picks others.
DISCOVERY_CAMPAIGN_STATUSES = ("open", "closed")
# Up to this many opinions an edit (merge, split, pin) runs inside the request; beyond it
# it runs as a job (an edit re-segments every opinion: about 1 s per 10 000).
INLINE_EDIT_LIMIT = 3000
PAGE_SIZE = 50
DEFAULT_HANDOVER_WORKING_DAYS = 15
MAX_LABEL, MAX_KEYWORD, MAX_NOTE = 60, 20, 2000
MIN_K, MAX_K = 2, 40
MAX_SPLIT_K = 10
_CHINA = dt.timezone(dt.timedelta(hours=8))
# One theme-model operation at a time in this process: each reads the stored model, works
# for a while, then stores a new one; interleaving two would lose the first one's result.
_MODEL_LOCK = asyncio.Lock()

Progress = Callable[[int, str], Awaitable[None]]


class ThemeError(InvalidInput):
    """What is wrong with an analyst's or unit's request, in Chinese."""


async def _no_progress(percent: int, message: str) -> None:
    return None


# --- The registry model -----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Registry:
    stored: dict[str, Any]  # the stored JSON, theme ids = Theme row ids
    model: ThemeModel  # the same, with the analyst's labels and pins from the database
    states: dict[int, ThemeState]

    def resolve(self, theme_id: int) -> int | None:
        """The live Theme row a model theme stands for (following merges), if any."""
        seen: set[int] = set()
        current: int | None = theme_id
        while current is not None and current in self.states and current not in seen:
            seen.add(current)
            target = self.states[current].merged_into
            if target is None:
                return current
            current = target
        return None

    def live_ids(self) -> set[int]:
        """Model themes that are live rows (not merged away)."""
        return {
            tid for tid in self.model.theme_ids
            if tid in self.states and self.states[tid].merged_into is None
        }


async def _load_registry() -> _Registry | None:
    stored = await queries.latest_model()
    if stored is None or not stored.model.get("themes"):
        return None
    try:
        model = ThemeModel.from_dict(stored.model)
    except ThemeModelError as error:
        raise ThemeError(str(error)) from None
    states = await queries.theme_states()
    registry = _Registry(stored.model, model, states)
    return replace(registry, model=_with_analyst_edits(registry))


def _with_analyst_edits(registry: _Registry) -> ThemeModel:
    """Labels and pins of live rows only: a theme merged away lends its label to nothing."""
    live = registry.live_ids()
    labels = {tid: registry.states[tid].label for tid in live if registry.states[tid].label_edited}
    pins = {word: tid for tid in live for word in registry.states[tid].pinned_keywords}
    return replace(registry.model, custom_labels=labels, pins=pins)


async def _require_registry() -> _Registry:
    registry = await _load_registry()
    if registry is None:
        raise ThemeError("尚未运行过主题聚类，请先运行聚类")
    return registry


def _relabelled(data: Mapping[str, Any], id_map: Mapping[int, int]) -> dict[str, Any]:
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


def _with_earlier_themes(
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


# --- Preparing texts ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Prepared:
    texts: list[str]  # cleaned (normalised, personal information masked)
    tokens: list[list[str]]
    sentiments: list[float]


def _prepare(opinions: Sequence[CorpusOpinion], *, rescore: bool) -> _Prepared:
    """Segment once for every pure call that follows. `rescore`: score every opinion's
    sentiment afresh (a run); otherwise keep the stored scores and fill the missing ones."""
    texts = [clean_opinion(o.text) for o in opinions]
    tokens = default_segmenter().segment(texts)
    if rescore:
        sentiments = score_sentiment(texts)
    else:
        missing = [i for i, o in enumerate(opinions) if o.sentiment is None]
        scored = dict(zip(missing, score_sentiment([texts[i] for i in missing]), strict=True))
        sentiments = [
            o.sentiment if o.sentiment is not None else scored[i] for i, o in enumerate(opinions)
        ]
    return _Prepared(texts, tokens, sentiments)


def _sentiment_changes(
    opinions: Sequence[CorpusOpinion], sentiments: Sequence[float]
) -> list[tuple[int, float]]:
    return [
        (o.id, value) for o, value in zip(opinions, sentiments, strict=True)
        if o.sentiment is None or not math.isclose(o.sentiment, value, abs_tol=1e-9)
    ]


# --- Storing a result ---------------------------------------------------------------------


@dataclass(frozen=True)
class _RunInfo:
    scope: dict[str, Any]
    k: int | None
    seed: int
    job_id: int | None
    created_by: int | None


async def _store(
    result: ThemeRun,
    corpus: Sequence[CorpusOpinion],
    prepared: _Prepared,
    registry: _Registry | None,
    info: _RunInfo,
    *,
    keeps_theme: Sequence[bool],
    drop: Collection[int] = (),
    before_describe: Callable[[], Awaitable[None]] | None = None,
) -> dict[int, int]:
    """Write a pure result (its assignments are indexed like `corpus`) and the new
    registry model in one transaction; returns the map from result ids to row ids.
    `keeps_theme[i]`: opinion i stays in its current theme whatever the result says."""
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
        model = _with_earlier_themes(
            _relabelled(result.model.to_dict(), id_map), registry.stored if registry else None,
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
        await queries.set_opinion_sentiments(_sentiment_changes(corpus, prepared.sentiments))
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
        await queries.refresh_theme_stats()
    return id_map


def _fold_aliases(
    result: ThemeRun, registry: _Registry | None, prepared: _Prepared
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


# --- Clustering runs ----------------------------------------------------------------------


@dataclass(frozen=True)
class DiscoveryRequest:
    campaign_ids: tuple[int, ...] = ()
    unit_code: str = ""
    question: str = ""
    channel: str = ""
    k: int | None = None
    seed: int = 0


def parse_discovery_form(
    campaigns: Sequence[str], unit: str, question: str, channel: str, k: str, seed: str
) -> DiscoveryRequest:
    """The clustering form's fields, checked; a Chinese error names the bad field."""
    try:
        campaign_ids = tuple(sorted({int(value) for value in campaigns if value.strip()}))
    except ValueError:
        raise ThemeError("调查批次选择有误，请刷新页面后重试") from None
    k_value = _optional_int(k, "主题数")
    if k_value is not None and not MIN_K <= k_value <= MAX_K:
        raise ThemeError(f"主题数须为 {MIN_K}–{MAX_K} 之间的整数，留空则自动确定")
    seed_value = _optional_int(seed, "随机种子") or 0
    if not 0 <= seed_value < 2**31:
        raise ThemeError("随机种子须为 0–2147483647 之间的整数")
    return DiscoveryRequest(campaign_ids, unit.strip(), question.strip(), channel.strip(),
                            k_value, seed_value)


def parse_split_count(raw: str) -> int | None:
    k = _optional_int(raw, "拆分数量")
    if k is not None and not 2 <= k <= MAX_SPLIT_K:
        raise ThemeError(f"拆分数量须为 2–{MAX_SPLIT_K} 之间的整数，留空则自动确定")
    return k


def _optional_int(raw: str, name: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ThemeError(f"{name}“{raw[:20]}”不是整数") from None


async def submit_discovery(user: CurrentUser, ip: str, request: DiscoveryRequest) -> int:
    campaign_ids = request.campaign_ids
    if campaign_ids:
        known = {c.id for c in await queries.campaign_options()}
        if not set(campaign_ids) <= known:
            raise ThemeError("所选调查批次不存在，请刷新页面后重试")
    else:
        campaign_ids = tuple(await queries.campaign_ids_with_status(DISCOVERY_CAMPAIGN_STATUSES))
        if not campaign_ids:
            raise ThemeError("没有进行中或已结束的调查批次，请选择要聚类的批次")
    params = asdict(replace(request, campaign_ids=campaign_ids))
    job_id = await submit_job("themes.discover", params, user.id)
    await audit.record_event(
        "themes.run", actor_id=user.id, actor_name=user.username, target=f"job:{job_id}",
        ip=ip, detail={**params, "campaign_ids": list(campaign_ids)},
    )
    return job_id


async def run_discovery(
    params: Mapping[str, Any], progress: Progress = _no_progress, *,
    job_id: int | None = None, created_by: int | None = None,
) -> dict[str, Any]:
    request = DiscoveryRequest(
        campaign_ids=tuple(int(c) for c in params.get("campaign_ids", ())),
        unit_code=str(params.get("unit_code", "")), question=str(params.get("question", "")),
        channel=str(params.get("channel", "")),
        k=int(params["k"]) if params.get("k") is not None else None,
        seed=int(params.get("seed", 0)),
    )
    scope = OpinionFilter(request.campaign_ids, request.unit_code, request.question,
                          request.channel)
    async with _MODEL_LOCK:
        await progress(2, "正在读取意见")
        everything = await queries.corpus_opinions(scope)
        # Opinions an analyst moved by hand keep their theme: they do not take part.
        corpus = [o for o in everything if not (o.locked and o.theme_id is not None)]
        if not corpus:
            raise ThemeError("所选范围内没有可聚类的意见")
        await progress(10, f"已读取 {len(corpus)} 条意见，正在分词")
        registry = await _load_registry()
        prepared = await asyncio.to_thread(_prepare, corpus, rescore=True)
        await progress(30, "分词完成，正在聚类")
        try:
            result = await asyncio.to_thread(
                lambda: _fold_aliases(
                    discover_themes(
                        prepared.texts, k=request.k, seed=request.seed, tokens=prepared.tokens,
                        sentiments=prepared.sentiments,
                        previous=registry.model if registry else None,
                    ),
                    registry, prepared,
                )
            )
        except ThemeInputError as error:
            raise ThemeError(str(error)) from None
        await progress(80, f"聚类完成，共 {len(result.themes)} 个主题，正在保存")
        info = _RunInfo(
            scope={"campaign_ids": list(request.campaign_ids), "unit_code": request.unit_code,
                   "question": request.question, "channel": request.channel},
            k=request.k, seed=request.seed, job_id=job_id, created_by=created_by,
        )
        await _store(result, corpus, prepared, registry, info, keeps_theme=[False] * len(corpus))
        # Sentiment of the hand-moved opinions too (they were left out of the clustering).
        held = [o for o in everything if o.locked and o.theme_id is not None]
        held_scores = score_sentiment([clean_opinion(o.text) for o in held])
        await queries.set_opinion_sentiments(_sentiment_changes(held, held_scores))
        unassigned = sum(1 for a in result.assignments if a < 0)
    await progress(100, f"完成：{len(result.themes)} 个主题，未归类 {unassigned} 条")
    return {"url": "/themes", "themes": len(result.themes), "opinions": len(corpus),
            "unassigned": unassigned}


async def submit_assign_new(user: CurrentUser, ip: str) -> int:
    await _require_registry()
    job_id = await submit_job("themes.assign_new", {}, user.id)
    await audit.record_event(
        "themes.assign_new", actor_id=user.id, actor_name=user.username,
        target=f"job:{job_id}", ip=ip,
    )
    return job_id


async def assign_new_opinions(progress: Progress = _no_progress) -> dict[str, Any]:
    """Opinions without a theme join the closest existing theme; what fits none stays
    unassigned (shown as 未归类/新议题)."""
    async with _MODEL_LOCK:
        registry = await _require_registry()
        corpus = [o for o in await queries.unassigned_opinions() if not o.locked]
        await progress(10, f"待归类意见 {len(corpus)} 条")
        if not corpus:
            return {"url": "/themes", "assigned": 0, "unassigned": 0}
        prepared = await asyncio.to_thread(_prepare, corpus, rescore=False)
        await progress(40, "正在归类")
        ids = await asyncio.to_thread(
            assign_to_themes, registry.model, prepared.texts, tokens=prepared.tokens
        )
        rows = [registry.resolve(tid) if tid >= 0 else None for tid in ids]
        async with queries.transaction():
            await queries.set_opinion_themes(
                [(o.id, row) for o, row in zip(corpus, rows, strict=True) if row is not None]
            )
            await queries.set_opinion_sentiments(_sentiment_changes(corpus, prepared.sentiments))
            await queries.refresh_theme_stats()
    assigned = sum(1 for row in rows if row is not None)
    await progress(100, f"已归类 {assigned} 条，仍未归类 {len(corpus) - assigned} 条")
    return {"url": "/themes", "assigned": assigned, "unassigned": len(corpus) - assigned}


# --- Edits that re-cluster: split, merge, pin ----------------------------------------------


@dataclass(frozen=True)
class ThemeEdit:
    kind: Literal["split", "merge", "pin"]
    theme_id: int  # split: the theme; merge: the one kept; pin: the theme the keyword joins
    others: tuple[int, ...] = ()  # merge: the themes absorbed
    keyword: str = ""
    k: int | None = None
    label: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ThemeEdit:
        return cls(
            kind=params["kind"], theme_id=int(params["theme_id"]),
            others=tuple(int(i) for i in params.get("others", ())),
            keyword=str(params.get("keyword", "")),
            k=int(params["k"]) if params.get("k") is not None else None,
            label=str(params.get("label", "")),
        )


@dataclass(frozen=True)
class EditOutcome:
    job_id: int | None  # the edit runs as this job …
    url: str  # … or is done, and this page shows the result


def _check_edit(edit: ThemeEdit, registry: _Registry) -> None:
    live = registry.live_ids()
    involved = (edit.theme_id, *edit.others)
    for theme_id in involved:
        state = registry.states.get(theme_id)
        if state is None:
            raise ThemeError(f"主题 {theme_id} 不存在")
        if state.merged_into is not None:
            raise ThemeError(f"主题“{state.label}”已被合并，不能再编辑")
        if theme_id not in live:
            raise ThemeError(f"主题“{state.label}”不在当前主题模型中，请先重新运行聚类")
    # A theme handed to a unit must stay what the unit was given: it can absorb others but
    # cannot be absorbed or split away.
    retiring = {"merge": edit.others, "split": (edit.theme_id,)}.get(edit.kind, ())
    for theme_id in retiring:
        state = registry.states[theme_id]
        if state.status != PENDING:
            raise ThemeError(f"主题“{state.label}”已转办整改，不能拆分或并入其他主题")
    if edit.kind == "merge":
        if not edit.others or len(set(involved)) != len(involved):
            raise ThemeError("请至少选择一个要并入的其他主题")
        if len(edit.label) > MAX_LABEL:
            raise ThemeError(f"主题名称不能超过 {MAX_LABEL} 个字")
    if edit.kind == "split" and edit.k is not None and not 2 <= edit.k <= MAX_SPLIT_K:
        raise ThemeError(f"拆分数量须为 2–{MAX_SPLIT_K} 之间的整数，留空则自动确定")
    if edit.kind == "pin":
        if not edit.keyword:
            raise ThemeError("请输入要固定的关键词")
        if len(edit.keyword) > MAX_KEYWORD or any(ch.isspace() for ch in edit.keyword):
            raise ThemeError(f"关键词须为不含空格的 1–{MAX_KEYWORD} 个字")


async def request_edit(user: CurrentUser, ip: str, edit: ThemeEdit) -> EditOutcome:
    """Check the edit now; do it inline when the corpus is small, else as a job."""
    edit = replace(edit, keyword=edit.keyword.strip(), label=edit.label.strip())
    _check_edit(edit, await _require_registry())
    params = asdict(edit)
    if await queries.count_opinions() <= INLINE_EDIT_LIMIT:
        url = await apply_edit(edit, created_by=user.id)
        job_id = None
    else:
        job_id = await submit_job("themes.edit", params, user.id)
        url = f"/jobs/{job_id}"
    await audit.record_event(
        f"themes.{edit.kind}", actor_id=user.id, actor_name=user.username,
        target=f"theme:{edit.theme_id}", ip=ip,
        detail={**params, "others": list(edit.others), "job": job_id},
    )
    return EditOutcome(job_id, url)


async def apply_edit(
    edit: ThemeEdit, *, created_by: int | None = None, job_id: int | None = None,
    progress: Progress = _no_progress,
) -> str:
    """Re-cluster through the pure edit over every opinion; returns the page to show."""
    async with _MODEL_LOCK:
        registry = await _require_registry()
        _check_edit(edit, registry)
        await progress(10, "正在读取意见")
        corpus = await queries.corpus_opinions(None)
        in_model = set(registry.model.theme_ids)
        assignments = [o.theme_id if o.theme_id in in_model else -1 for o in corpus]
        prepared = await asyncio.to_thread(_prepare, corpus, rescore=False)
        await progress(40, "正在重新计算主题")
        try:
            result = await asyncio.to_thread(_pure_edit, edit, registry.model, prepared,
                                             assignments)
        except ThemeInputError as error:
            raise ThemeError(str(error)) from None
        retired = {edit.theme_id} if edit.kind == "split" else set(edit.others)
        keeps_theme = [
            o.theme_id is not None
            and (o.theme_id not in in_model or (o.locked and o.theme_id not in retired))
            for o in corpus
        ]
        info = _RunInfo(
            scope={"edit": edit.kind, "theme_id": edit.theme_id, "others": list(edit.others)},
            k=edit.k, seed=0, job_id=job_id, created_by=created_by,
        )
        await progress(80, "正在保存")
        await _store(
            result, corpus, prepared, registry, info, keeps_theme=keeps_theme,
            drop={edit.theme_id} if edit.kind == "split" else set(),
            before_describe=lambda: _record_edit_in_rows(edit, registry),
        )
    await progress(100, "完成")
    return "/themes" if edit.kind == "split" else f"/themes/{edit.theme_id}"


def _pure_edit(
    edit: ThemeEdit, model: ThemeModel, prepared: _Prepared, assignments: list[int]
) -> ThemeRun:
    common: dict[str, Any] = {"tokens": prepared.tokens, "sentiments": prepared.sentiments}
    if edit.kind == "split":
        return split_theme(model, prepared.texts, assignments, edit.theme_id, k=edit.k, **common)
    if edit.kind == "merge":
        return merge_themes(model, prepared.texts, assignments, [edit.theme_id, *edit.others],
                            label=edit.label or None, **common)
    return pin_keyword(model, prepared.texts, assignments, edit.keyword, edit.theme_id, **common)


async def _record_edit_in_rows(edit: ThemeEdit, registry: _Registry) -> None:
    """What the edit means for the rows themselves (inside the storing transaction)."""
    states = registry.states
    if edit.kind == "merge":
        pins = [w for tid in (edit.theme_id, *edit.others) for w in states[tid].pinned_keywords]
        await queries.mark_merged(edit.others, edit.theme_id)
        await queries.set_pinned_keywords(edit.theme_id, list(dict.fromkeys(pins)))
        if edit.label:
            await queries.rename_theme(edit.theme_id, edit.label)
    elif edit.kind == "split":
        await queries.set_pinned_keywords(edit.theme_id, [])
    else:
        for tid, state in states.items():
            if edit.keyword in state.pinned_keywords and tid != edit.theme_id:
                await queries.set_pinned_keywords(
                    tid, [w for w in state.pinned_keywords if w != edit.keyword]
                )
        current = states[edit.theme_id].pinned_keywords
        if edit.keyword not in current:
            await queries.set_pinned_keywords(edit.theme_id, [*current, edit.keyword])


# --- Edits that need no re-clustering -----------------------------------------------------


async def _live_theme(theme_id: int) -> ThemeRecord:
    theme = await queries.find_theme(theme_id)
    if theme is None:
        raise ThemeError("主题不存在")
    if theme.merged_into is not None:
        raise ThemeError(f"主题“{theme.label}”已被合并，不能再编辑")
    return theme


async def rename(user: CurrentUser, ip: str, theme_id: int, label: str) -> None:
    label = " ".join(label.split())
    if not label:
        raise ThemeError("主题名称不能为空")
    if len(label) > MAX_LABEL:
        raise ThemeError(f"主题名称不能超过 {MAX_LABEL} 个字")
    async with _MODEL_LOCK:  # a run in progress would not see the new label as the analyst's
        theme = await _live_theme(theme_id)
        await queries.rename_theme(theme_id, label)
    await audit.record_event(
        "themes.rename", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"from": theme.label, "to": label},
    )


async def unpin(user: CurrentUser, ip: str, theme_id: int, keyword: str) -> None:
    """Stop forcing the keyword; opinions already moved stay until the next run."""
    async with _MODEL_LOCK:
        theme = await _live_theme(theme_id)
        if keyword not in theme.pinned_keywords:
            raise ThemeError(f"关键词“{keyword[:MAX_KEYWORD]}”没有固定在该主题上")
        await queries.set_pinned_keywords(
            theme_id, [w for w in theme.pinned_keywords if w != keyword]
        )
    await audit.record_event(
        "themes.unpin", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"keyword": keyword},
    )


async def move_opinions(
    user: CurrentUser, ip: str, opinion_ids: Sequence[int], target_id: int
) -> int:
    if not opinion_ids:
        raise ThemeError("请先勾选要移动的意见")
    async with _MODEL_LOCK:  # a run in progress would not see the opinions as moved by hand
        await _live_theme(target_id)
        found = await queries.existing_opinion_ids(sorted(set(opinion_ids)))
        if len(found) != len(set(opinion_ids)):
            raise ThemeError("部分意见不存在，请刷新页面后重试")
        async with queries.transaction():
            moved = await queries.move_opinions(found, target_id)
            await queries.refresh_theme_stats()
    await audit.record_event(
        "themes.move", actor_id=user.id, actor_name=user.username, target=f"theme:{target_id}",
        ip=ip, detail={"opinions": found[:200], "count": moved},
    )
    return moved


# --- Hand-over to units (整改) -------------------------------------------------------------


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start`, counting Monday–Friday only (public
    holidays and make-up working days are not known to the system)."""
    current, left = start, days
    while left > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def today_in_china(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(_CHINA).date()


def default_deadline(now: dt.datetime | None = None) -> dt.date:
    return add_working_days(today_in_china(now), DEFAULT_HANDOVER_WORKING_DAYS)


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=_CHINA)


def parse_deadline(raw: str, now: dt.datetime | None = None) -> dt.date:
    raw = raw.strip()
    if not raw:
        return default_deadline(now)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ThemeError(f"整改期限“{raw[:20]}”不是有效日期（格式如 2026-12-31）") from None
    if day < today_in_china(now):
        raise ThemeError("整改期限不能早于今天")
    return day


async def hand_over(
    user: CurrentUser, ip: str, theme_id: int, unit_id: int, deadline: dt.date, note: str
) -> None:
    theme = await _live_theme(theme_id)
    units = {u.id: u for u in await active_units()}
    if unit_id not in units:
        raise ThemeError("请选择承办单位")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ThemeError(f"转办说明不能超过 {MAX_NOTE} 个字")
    await queries.hand_over(theme_id, unit_id, _end_of_day(deadline), note)
    await audit.record_event(
        "themes.handover", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"unit": units[unit_id].code, "deadline": deadline.isoformat(),
                       "from": theme.status, "to": ASSIGNED},
    )


async def active_units() -> list[units.UnitRecord]:
    """The units a theme can be handed to."""
    return await units.list_units(active_only=True)


def _handed_to(user: CurrentUser, theme: ThemeRecord | None) -> ThemeRecord:
    """A unit viewer sees a theme only once it is handed to their own unit; anything else
    looks exactly like a missing theme."""
    if theme is None or theme.status == PENDING or theme.unit_id is None:
        raise NotFoundException("主题不存在")
    if user.role == UNIT_VIEWER and theme.unit_id != user.unit_id:
        raise NotFoundException("主题不存在")
    return theme


async def reply(user: CurrentUser, ip: str, theme_id: int, status: str, text: str) -> None:
    theme = _handed_to(user, await queries.find_theme(theme_id))
    if status not in REPLY_STATUSES:
        raise ThemeError("请选择整改状态：整改中或已办结")
    text = text.strip()
    if not text:
        raise ThemeError("请填写整改措施或办理情况")
    if len(text) > MAX_NOTE:
        raise ThemeError(f"答复内容不能超过 {MAX_NOTE} 个字")
    if theme.status == DONE:
        raise ThemeError("该事项已办结，不能再答复")
    await queries.record_reply(theme_id, status, text)
    await audit.record_event(
        "themes.reply", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"from": theme.status, "to": status},
    )


# --- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pager:
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def _pager(page: int, total: int) -> Pager:
    size = PAGE_SIZE
    pages = max(1, -(-total // size))
    return Pager(min(max(1, page), pages), size, total)


@dataclass(frozen=True)
class UnitShare:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class ThemeLine:
    theme: ThemeRecord
    count: int
    mean_sentiment: float | None
    units: list[UnitShare]
    share_now: float | None
    share_before: float | None
    overdue: bool

    @property
    def change(self) -> float | None:
        if self.share_now is None or self.share_before is None:
            return None
        return self.share_now - self.share_before


@dataclass(frozen=True)
class Overview:
    lines: list[ThemeLine]
    pager: Pager
    unassigned: int
    period_now: str | None
    period_before: str | None
    last_run: dict[str, Any] | None


async def _theme_lines(
    scope: OpinionFilter, *, limit: int, offset: int
) -> tuple[list[ThemeLine], str | None, str | None]:
    counts = await queries.theme_counts(scope, limit=limit, offset=offset)
    ids = [c.theme_id for c in counts]
    records = await queries.themes_by_ids(ids)
    breakdown = await queries.unit_breakdown(scope, ids)
    per_theme, totals = await queries.period_counts(scope, ids)
    names = await queries.unit_names()
    now_period, before_period = _compared_periods(
        sorted(totals), await queries.campaign_periods(scope.campaign_ids)
    )
    now = utcnow()

    def share(theme_id: int, period: str | None) -> float | None:
        if period is None or not totals.get(period):
            return None
        return per_theme.get(theme_id, {}).get(period, 0) / totals[period]

    lines = [
        ThemeLine(
            theme=records[c.theme_id],
            count=c.count,
            mean_sentiment=c.mean_sentiment,
            units=[UnitShare(code, names.get(code, code), n)
                   for code, n in breakdown.get(c.theme_id, [])],
            share_now=share(c.theme_id, now_period),
            share_before=share(c.theme_id, before_period),
            overdue=records[c.theme_id].is_overdue(now),
        )
        for c in counts
        if c.theme_id in records
    ]
    return lines, now_period, before_period


def _compared_periods(
    periods: Sequence[str], selected: Sequence[str]
) -> tuple[str | None, str | None]:
    """This period (the selected campaigns' latest, else the latest with opinions) and the
    one before it. Periods such as 2026-Q3 sort in time order as text."""
    if not periods:
        return None, None
    now = max(selected) if selected else periods[-1]
    earlier = [p for p in periods if p < now]
    return now, (earlier[-1] if earlier else None)


async def overview(scope: OpinionFilter, page: int) -> Overview:
    total = await queries.count_themes_with_opinions(scope)
    pager = _pager(page, total)
    lines, now_period, before_period = await _theme_lines(
        scope, limit=pager.size, offset=pager.offset
    )
    return Overview(
        lines=lines, pager=pager, unassigned=await queries.unassigned_count(scope),
        period_now=now_period, period_before=before_period,
        last_run=await queries.latest_discovery(),
    )


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool


@dataclass(frozen=True)
class MarkedOpinion:
    opinion: OpinionView
    segments: list[Segment]


def highlight(text: str, keywords: Sequence[str]) -> list[Segment]:
    """`text` cut into plain and keyword segments (longest keyword first, ASCII case-
    insensitive). The template escapes each segment and wraps the marked ones in <mark>:
    no HTML is ever built from the opinion's text."""
    words = sorted({w for w in keywords if w.strip()}, key=lambda w: (-len(w), w))
    if not words or not text:
        return [Segment(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    segments: list[Segment] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            segments.append(Segment(text[position : match.start()], False))
        segments.append(Segment(match.group(), True))
        position = match.end()
    if position < len(text):
        segments.append(Segment(text[position:], False))
    return segments


@dataclass(frozen=True)
class ThemeDetail:
    theme: ThemeRecord | None  # None: the unassigned opinions
    representatives: list[MarkedOpinion]
    opinions: list[MarkedOpinion]
    pager: Pager
    units: list[UnitShare]
    options: list[ThemeOption] = field(default_factory=list)
    overdue: bool = False


async def theme_detail(theme_id: int | None, scope: OpinionFilter, page: int) -> ThemeDetail:
    """A theme's opinions (None: the unassigned ones), representatives first, paged."""
    theme = None
    keywords: list[str] = []
    if theme_id is not None:
        theme = await queries.find_theme(theme_id)
        if theme is None:
            raise NotFoundException("主题不存在")
        keywords = [*theme.keywords, *theme.pinned_keywords]
    representatives = (
        await queries.opinions_by_ids(theme.representatives, theme_id=theme.id, scope=scope)
        if theme is not None else []
    )
    shown = [o.id for o in representatives]
    total = await queries.count_theme_opinions(theme_id, scope, exclude=shown)
    pager = _pager(page, total)
    opinions = await queries.theme_opinions(
        theme_id, scope, exclude=shown, limit=pager.size, offset=pager.offset
    )
    names = await queries.unit_names()
    units = []
    if theme is not None:
        breakdown = await queries.unit_breakdown(scope, [theme.id])
        units = [UnitShare(c, names.get(c, c), n) for c, n in breakdown.get(theme.id, [])]

    def marked(items: list[OpinionView]) -> list[MarkedOpinion]:
        return [MarkedOpinion(o, highlight(o.text, keywords)) for o in items]

    return ThemeDetail(
        theme=theme,
        representatives=marked(representatives) if pager.page == 1 else [],
        opinions=marked(opinions),
        pager=pager,
        units=units,
        options=[o for o in await queries.theme_options() if o.id != theme_id],
        overdue=theme.is_overdue(utcnow()) if theme else False,
    )


@dataclass(frozen=True)
class HandedOver:
    themes: list[tuple[ThemeRecord, bool]]  # (theme, overdue)
    pager: Pager


async def handed_over(user: CurrentUser, page: int) -> HandedOver:
    unit_id = user.unit_id if user.role == UNIT_VIEWER else None
    if user.role == UNIT_VIEWER and unit_id is None:
        return HandedOver([], _pager(1, 0))
    pager = _pager(page, await queries.count_handed_over(unit_id))
    themes = await queries.handed_over_themes(unit_id, limit=pager.size, offset=pager.offset)
    now = utcnow()
    return HandedOver([(t, t.is_overdue(now)) for t in themes], pager)


async def handed_over_detail(user: CurrentUser, theme_id: int, page: int) -> ThemeDetail:
    _handed_to(user, await queries.find_theme(theme_id))
    detail = await theme_detail(theme_id, OpinionFilter(), page)
    return replace(detail, options=[])


# --- Export -----------------------------------------------------------------------------------


THEME_SHEET_HEADER = [
    "主题编号", "主题名称", "关键词", "意见数", "平均情感", "涉及单位", "状态", "承办单位",
    "整改期限", "是否逾期", "转办说明", "整改答复", "答复时间",
]
OPINION_SHEET_HEADER = [
    "意见编号", "调查批次", "期别", "单位代码", "单位名称", "题目", "渠道", "意见内容", "情感",
    "主题编号", "主题名称", "人工调整",
]


def _china_date(value: dt.datetime | None) -> str:
    return value.astimezone(_CHINA).strftime("%Y-%m-%d") if value else ""


def _china_time(value: dt.datetime | None) -> str:
    return value.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M") if value else ""


async def export_report(user: CurrentUser, ip: str, scope: OpinionFilter) -> bytes:
    lines, _, _ = await _theme_lines(scope, limit=100_000, offset=0)
    opinions = await queries.export_opinions(scope)
    names = await queries.unit_names()
    theme_rows = [
        [
            line.theme.id, line.theme.label, "、".join(line.theme.keywords), line.count,
            None if line.mean_sentiment is None else round(line.mean_sentiment, 3),
            "、".join(f"{u.name}({u.count})" for u in line.units),
            STATUS_LABELS.get(line.theme.status, line.theme.status), line.theme.unit_name or "",
            _china_date(line.theme.deadline), "是" if line.overdue else "",
            line.theme.handover_note, line.theme.reply, _china_time(line.theme.replied_at),
        ]
        for line in lines
    ]
    opinion_rows = [
        [
            o.id, o.campaign_name, o.period, o.unit_code, names.get(o.unit_code, ""), o.question,
            o.channel, o.text, None if o.sentiment is None else round(o.sentiment, 3),
            o.theme_id, o.theme_label if o.theme_id is not None else UNASSIGNED_LABEL,
            "是" if o.locked else "",
        ]
        for o in opinions
    ]
    data = await asyncio.to_thread(
        write_xlsx,
        {"主题": (THEME_SHEET_HEADER, theme_rows), "意见": (OPINION_SHEET_HEADER, opinion_rows)},
    )
    await audit.record_event(
        "themes.export", actor_id=user.id, actor_name=user.username, target="themes.xlsx",
        ip=ip, detail={"filter": asdict(scope), "themes": len(theme_rows),
                       "opinions": len(opinion_rows)},
    )
    return data


# --- Choices for the forms ------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    campaigns: list[queries.CampaignOption]
    units: list[units.UnitRecord]
    questions: list[str]
    channels: list[str]


async def filter_choices() -> FilterChoices:
    return FilterChoices(
        campaigns=await queries.campaign_options(),
        units=await active_units(),
        questions=await queries.distinct_opinion_values("question"),
        channels=await queries.distinct_opinion_values("channel"),
    )
