"""The analyst's curation of themes. Every decision — rename, pin, move, merge, split,
exclude, hand-over — is recorded (theme_decision) as a constraint later runs honour: a theme
with a decision keeps its id and its opinions (see services/themes/runs.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from analysis.themes import (
    ThemeInputError,
    ThemeModel,
    ThemeRun,
    is_readable_keyword,
    merge_themes,
    pin_keyword,
    split_theme,
)
from analysis.themes.novelty import propose_new_themes
from survey_app.db.queries import audit, theme_curation
from survey_app.db.queries import theme_opinions as opinion_queries
from survey_app.db.queries import themes as queries
from survey_app.db.queries.themes import PENDING, ThemeRecord
from survey_app.services.auth import CurrentUser
from survey_app.services.job_queue import submit_job
from survey_app.services.themes.common import (
    MAX_KEYWORD,
    MAX_LABEL,
    MODEL_LOCK,
    SENTIMENT_LABELS,
    SENTIMENT_VALUES,
    Prepared,
    Progress,
    Registry,
    ThemeError,
    load_registry,
    no_progress,
    optional_int,
    prepare,
    require_registry,
)
from survey_app.services.themes.lexicon import current_lexicon
from survey_app.services.themes.lineage import (
    normalised,
    part_names,
    refuse_if_split,
    refuse_taken_label,
)
from survey_app.services.themes.store import RunInfo, store, with_new_theme

# Up to this many opinions an edit (merge, split, pin) runs inside the request; beyond it
# it runs as a job (an edit re-segments every opinion: about 1 s per 10 000).
INLINE_EDIT_LIMIT = 3000
MAX_SPLIT_K = 10


def parse_split_count(raw: str) -> int | None:
    k = optional_int(raw, "拆分数量")
    if k is not None and not 2 <= k <= MAX_SPLIT_K:
        raise ThemeError(f"拆分数量须为 2–{MAX_SPLIT_K} 之间的整数，留空则自动确定")
    return k


# --- Edits that re-cluster: split, merge, pin ----------------------------------------------


@dataclass(frozen=True)
class ThemeEdit:
    kind: Literal["split", "merge", "pin"]
    theme_id: int  # split: the theme; merge: the one kept; pin: the theme the keyword joins
    others: tuple[int, ...] = ()  # merge: the themes absorbed
    keyword: str = ""
    k: int | None = None
    label: str = ""
    labels: tuple[str, ...] = ()  # split: the parts' names, largest first ("": default)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ThemeEdit:
        return cls(
            kind=params["kind"], theme_id=int(params["theme_id"]),
            others=tuple(int(i) for i in params.get("others", ())),
            keyword=str(params.get("keyword", "")),
            k=int(params["k"]) if params.get("k") is not None else None,
            label=str(params.get("label", "")),
            labels=tuple(str(name) for name in params.get("labels", ())),
        )


@dataclass(frozen=True)
class EditOutcome:
    job_id: int | None  # the edit runs as this job …
    url: str  # … or is done, and this page shows the result


def _check_edit(edit: ThemeEdit, registry: Registry) -> None:
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
    edit = replace(edit, keyword=edit.keyword.strip(), label=normalised(edit.label))
    involved = (edit.theme_id, *edit.others)
    await refuse_if_split(involved)
    _check_edit(edit, await require_registry())
    for label in (edit.label, *edit.labels):
        if label:
            await refuse_taken_label(label, ignore=involved)
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
        detail={**params, "others": list(edit.others), "labels": list(edit.labels),
                "job": job_id},
    )
    return EditOutcome(job_id, url)


async def apply_edit(
    edit: ThemeEdit, *, created_by: int | None = None, job_id: int | None = None,
    progress: Progress = no_progress,
) -> str:
    """Re-cluster through the pure edit over every opinion; returns the page to show."""
    async with MODEL_LOCK:
        registry = await require_registry()
        await refuse_if_split((edit.theme_id, *edit.others))
        _check_edit(edit, registry)
        await progress(10, "正在读取意见")
        corpus = await queries.corpus_opinions(None)
        in_model = set(registry.model.theme_ids)
        assignments = [o.theme_id if o.theme_id in in_model else -1 for o in corpus]
        lexicon = await current_lexicon()
        prepared = await asyncio.to_thread(prepare, corpus, rescore=False, lexicon=lexicon)
        await progress(40, "正在重新计算主题")
        try:
            result = await asyncio.to_thread(_pure_edit, edit, registry.model, prepared,
                                             assignments)
        except ThemeInputError as error:
            raise ThemeError(str(error)) from None
        retired = {edit.theme_id} if edit.kind == "split" else set(edit.others)
        names = _part_names(edit, registry, result) if edit.kind == "split" else {}
        # A theme handed to a unit keeps its opinions whatever another theme's pin says.
        handed = {tid for tid, state in registry.states.items()
                  if state.status != PENDING and tid != edit.theme_id}
        keeps_theme = [
            o.set_aside != ""
            or (o.theme_id is not None and (
                o.theme_id not in in_model or o.theme_id in handed
                or (o.locked and o.theme_id not in retired)))
            for o in corpus
        ]
        info = RunInfo(
            scope={"edit": edit.kind, "theme_id": edit.theme_id, "others": list(edit.others)},
            k=edit.k, seed=0, job_id=job_id, created_by=created_by,
        )
        await progress(80, "正在保存")
        id_map = await store(
            result, corpus, prepared, registry, info, keeps_theme=keeps_theme,
            drop={edit.theme_id} if edit.kind == "split" else set(),
            before_describe=lambda: _record_edit_in_rows(edit, registry), names=names,
        )
        # The decision: the merged theme, the pinned theme, or every part of the split.
        decided = [edit.theme_id] if edit.kind != "split" else [
            row for tid, row in id_map.items() if tid not in registry.model.theme_ids
        ]
        await theme_curation.record_decisions(
            decided, edit.kind,
            {"theme": edit.theme_id, "others": list(edit.others), "keyword": edit.keyword,
             "k": edit.k, "labels": list(edit.labels)},
            created_by,
        )
    await progress(100, "完成")
    return "/themes" if edit.kind == "split" else f"/themes/{edit.theme_id}"


def _part_names(edit: ThemeEdit, registry: Registry, result: ThemeRun) -> dict[int, str]:
    """The names the split's parts take (pure ids): those typed, else the analyst's name of
    the split theme numbered; parts without either keep their keywords' name."""
    parts = [t.id for t in result.themes if t.id not in registry.model.theme_ids]
    state = registry.states[edit.theme_id]
    names = part_names(edit.labels, len(parts), state.label if state.label_edited else None)
    return {tid: name for tid, name in zip(parts, names, strict=True) if name}


def _pure_edit(
    edit: ThemeEdit, model: ThemeModel, prepared: Prepared, assignments: list[int]
) -> ThemeRun:
    common: dict[str, Any] = {"tokens": prepared.tokens, "sentiments": prepared.sentiments}
    if edit.kind == "split":
        return split_theme(model, prepared.texts, assignments, edit.theme_id, k=edit.k, **common)
    if edit.kind == "merge":
        return merge_themes(model, prepared.texts, assignments, [edit.theme_id, *edit.others],
                            label=edit.label or None, **common)
    return pin_keyword(model, prepared.texts, assignments, edit.keyword, edit.theme_id, **common)


async def _record_edit_in_rows(edit: ThemeEdit, registry: Registry) -> None:
    """What the edit means for the rows themselves (inside the storing transaction)."""
    states = registry.states
    if edit.kind == "merge":
        pins = [w for tid in (edit.theme_id, *edit.others) for w in states[tid].pinned_keywords]
        await theme_curation.mark_merged(edit.others, edit.theme_id)
        await theme_curation.set_pinned_keywords(edit.theme_id, list(dict.fromkeys(pins)))
        if edit.label:
            await theme_curation.rename_theme(edit.theme_id, edit.label)
    elif edit.kind == "split":
        await theme_curation.set_pinned_keywords(edit.theme_id, [])
    else:
        for tid, state in states.items():
            if edit.keyword in state.pinned_keywords and tid != edit.theme_id:
                await theme_curation.set_pinned_keywords(
                    tid, [w for w in state.pinned_keywords if w != edit.keyword]
                )
        current = states[edit.theme_id].pinned_keywords
        if edit.keyword not in current:
            await theme_curation.set_pinned_keywords(edit.theme_id, [*current, edit.keyword])


# --- Edits that need no re-clustering -----------------------------------------------------


async def _live_theme(theme_id: int) -> ThemeRecord:
    theme = await queries.find_theme(theme_id)
    if theme is None:
        raise ThemeError("主题不存在")
    if theme.merged_into is not None:
        raise ThemeError(f"主题“{theme.label}”已被合并，不能再编辑")
    await refuse_if_split([theme_id])
    return theme


async def rename(user: CurrentUser, ip: str, theme_id: int, label: str) -> None:
    label = normalised(label)
    if not label:
        raise ThemeError("主题名称不能为空")
    if len(label) > MAX_LABEL:
        raise ThemeError(f"主题名称不能超过 {MAX_LABEL} 个字")
    async with MODEL_LOCK:  # a run in progress would not see the new label as the analyst's
        theme = await _live_theme(theme_id)
        await refuse_taken_label(label, ignore={theme_id})
        await theme_curation.rename_theme(theme_id, label)
        await theme_curation.record_decisions(
            [theme_id], "rename", {"from": theme.label, "to": label}, user.id
        )
    await audit.record_event(
        "themes.rename", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"from": theme.label, "to": label},
    )


async def unpin(user: CurrentUser, ip: str, theme_id: int, keyword: str) -> None:
    """Stop forcing the keyword; opinions already moved stay until the next run."""
    async with MODEL_LOCK:
        theme = await _live_theme(theme_id)
        if keyword not in theme.pinned_keywords:
            raise ThemeError(f"关键词“{keyword[:MAX_KEYWORD]}”没有固定在该主题上")
        await theme_curation.set_pinned_keywords(
            theme_id, [w for w in theme.pinned_keywords if w != keyword]
        )
        await theme_curation.record_decisions([theme_id], "unpin", {"keyword": keyword}, user.id)
    await audit.record_event(
        "themes.unpin", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"keyword": keyword},
    )


async def move_opinions(
    user: CurrentUser, ip: str, opinion_ids: Sequence[int], target_id: int
) -> int:
    if not opinion_ids:
        raise ThemeError("请先勾选要移动的意见")
    async with MODEL_LOCK:  # a run in progress would not see the opinions as moved by hand
        await _live_theme(target_id)
        found = await opinion_queries.existing_opinion_ids(sorted(set(opinion_ids)))
        if len(found) != len(set(opinion_ids)):
            raise ThemeError("部分意见不存在，请刷新页面后重试")
        async with queries.transaction():
            moved = await theme_curation.move_opinions(found, target_id)
            await theme_curation.record_decisions(
                [target_id], "move", {"opinions": found[:200]}, user.id
            )
            await queries.refresh_theme_stats()
    await audit.record_event(
        "themes.move", actor_id=user.id, actor_name=user.username, target=f"theme:{target_id}",
        ip=ip, detail={"opinions": found[:200], "count": moved},
    )
    return moved


async def exclude_opinions(user: CurrentUser, ip: str, opinion_ids: Sequence[int]) -> int:
    """Set opinions aside for good (off-topic, spam): no run or assignment puts them in a
    theme again (they are counted on the theme list)."""
    if not opinion_ids:
        raise ThemeError("请先勾选要排除的意见")
    async with MODEL_LOCK:
        found = await opinion_queries.existing_opinion_ids(sorted(set(opinion_ids)))
        if len(found) != len(set(opinion_ids)):
            raise ThemeError("部分意见不存在，请刷新页面后重试")
        sources = {
            theme for _, theme in [await theme_curation.opinion_theme(i) for i in found[:200]]
            if theme is not None
        }
        async with queries.transaction():
            await theme_curation.set_aside(found, "excluded")
            await theme_curation.record_decisions(
                sorted(sources), "exclude", {"opinions": found[:200]}, user.id
            )
            await queries.refresh_theme_stats()
    await audit.record_event(
        "themes.exclude", actor_id=user.id, actor_name=user.username, target="opinions",
        ip=ip, detail={"opinions": found[:200], "count": len(found)},
    )
    return len(found)


async def correct_sentiment(user: CurrentUser, ip: str, opinion_id: int, label: str) -> None:
    """The analyst's sentiment class for one opinion ("" returns it to the computed score on
    the next run); runs and assignments keep it."""
    if label and label not in SENTIMENT_LABELS:
        raise ThemeError("请选择情感：正面、中性或负面")
    exists, theme_id = await theme_curation.opinion_theme(opinion_id)
    if not exists:
        raise ThemeError("意见不存在")
    async with queries.transaction():
        await theme_curation.correct_sentiment(
            opinion_id, label, SENTIMENT_VALUES[label] if label else None
        )
        await queries.refresh_theme_stats()
    await audit.record_event(
        "themes.sentiment", actor_id=user.id, actor_name=user.username,
        target=f"opinion:{opinion_id}", ip=ip, detail={"label": label, "theme": theme_id},
    )


# --- New issues (新议题) ---------------------------------------------------------------------

# Held opinions looked at for proposals (the most recent).
MAX_HELD = 5000


@dataclass(frozen=True)
class IssueProposal:
    word: str
    opinion_ids: list[int]
    examples: list[str]


async def new_issue_proposals() -> list[IssueProposal]:
    """Opinions held as 新议题 that share a topic word, ≥ 5 of them: proposed new themes."""
    return [proposal for proposal, _ in await _proposals_with_tokens()]


async def _proposals_with_tokens() -> list[tuple[IssueProposal, list[list[str]]]]:
    held = [o for o in await queries.unassigned_opinions() if not o.locked][-MAX_HELD:]
    if not held:
        return []
    lexicon = await current_lexicon()
    prepared = await asyncio.to_thread(prepare, held, rescore=False, lexicon=lexicon)
    known = {w for words in (await theme_curation.live_theme_keywords()).values() for w in words}
    issues = await asyncio.to_thread(propose_new_themes, prepared.tokens, ignore=known)
    return [
        (IssueProposal(issue.word, [held[i].id for i in issue.members],
                       [prepared.texts[i] for i in issue.members[:3]]),
         [prepared.tokens[i] for i in issue.members])
        for issue in issues
    ]


# The accepted theme's keywords: its word, then its members' most frequent readable words.
ISSUE_KEYWORDS = 6


async def create_theme_from_issue(user: CurrentUser, ip: str, word: str) -> int:
    """Accept a proposed new theme: its opinions form a theme that later runs keep, and it
    joins the stored model at once, so new opinions on the topic can join it by assignment
    (归类新意见) without a full run."""
    async with MODEL_LOCK:
        found = next(
            ((p, tokens) for p, tokens in await _proposals_with_tokens() if p.word == word), None
        )
        if found is None:
            raise ThemeError("该新议题建议已不存在，请刷新页面")
        proposal, tokens = found
        registry = await load_registry()
        frequent = Counter(w for words in tokens for w in set(words)
                           if w != word and is_readable_keyword(w))
        keywords = [word, *(w for w, _ in frequent.most_common(ISSUE_KEYWORDS - 1))]
        async with queries.transaction():
            theme_id = await theme_curation.create_theme(word, proposal.opinion_ids)
            if registry is not None:
                model = with_new_theme(
                    ThemeModel.from_dict(registry.stored), theme_id, word, tokens
                )
                run_id = await queries.insert_run(
                    scope={"edit": "create", "theme_id": theme_id}, k=None, seed=0,
                    model=model.to_dict(), opinion_count=len(proposal.opinion_ids),
                    job_id=None, created_by=user.id,
                )
                await queries.describe_themes([queries.ThemeDescription(
                    theme_id=theme_id, label=None, keywords=keywords,
                    representatives=proposal.opinion_ids[:3],
                )], run_id)
            await theme_curation.record_decisions(
                [theme_id], "create", {"word": word, "opinions": proposal.opinion_ids[:200]},
                user.id,
            )
            await queries.refresh_theme_stats()
    await audit.record_event(
        "themes.create", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"word": word, "count": len(proposal.opinion_ids)},
    )
    return theme_id
