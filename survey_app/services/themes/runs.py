"""Clustering runs: a run is computed as a *proposal* that honours every analyst decision
(analysis.themes.constraints); the analyst reviews what it would change (new, grown, shrunk,
retired themes) and confirms it before it replaces the current themes. Also the assignment
of new opinions to the known themes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from analysis.themes import ThemeInputError, ThemeRun, assign_to_themes
from analysis.themes.constraints import Constraints, constrained_run
from analysis.themes.novelty import fits_theme, is_content_free
from survey_app.db.queries import audit, theme_curation
from survey_app.db.queries import theme_opinions as opinion_queries
from survey_app.db.queries import themes as queries
from survey_app.db.queries.themes import CorpusOpinion, OpinionFilter, ThemeState
from survey_app.services.auth import CurrentUser
from survey_app.services.job_queue import submit_job
from survey_app.services.themes.common import (
    MODEL_LOCK,
    Progress,
    Registry,
    ThemeError,
    load_registry,
    no_progress,
    optional_int,
    prepare,
    protected_theme_ids,
    require_registry,
    sentiment_changes,
)
from survey_app.services.themes.lexicon import current_lexicon
from survey_app.services.themes.store import relabelled, with_earlier_themes

# Clustering covers these campaigns unless the analyst picks others.
DISCOVERY_CAMPAIGN_STATUSES = ("open", "closed")
MIN_K, MAX_K = 2, 40
EMPTY, EXCLUDED = "empty", "excluded"


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
    k_value = optional_int(k, "主题数")
    if k_value is not None and not MIN_K <= k_value <= MAX_K:
        raise ThemeError(f"主题数须为 {MIN_K}–{MAX_K} 之间的整数，留空则自动确定")
    seed_value = optional_int(seed, "随机种子") or 0
    if not 0 <= seed_value < 2**31:
        raise ThemeError("随机种子须为 0–2147483647 之间的整数")
    return DiscoveryRequest(campaign_ids, unit.strip(), question.strip(), channel.strip(),
                            k_value, seed_value)


async def submit_discovery(user: CurrentUser, ip: str, request: DiscoveryRequest) -> int:
    campaign_ids = request.campaign_ids
    if campaign_ids:
        known = {c.id for c in await opinion_queries.campaign_options()}
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


def _request(params: Mapping[str, Any]) -> DiscoveryRequest:
    return DiscoveryRequest(
        campaign_ids=tuple(int(c) for c in params.get("campaign_ids", ())),
        unit_code=str(params.get("unit_code", "")), question=str(params.get("question", "")),
        channel=str(params.get("channel", "")),
        k=int(params["k"]) if params.get("k") is not None else None,
        seed=int(params.get("seed", 0)),
    )


async def run_discovery(
    params: Mapping[str, Any], progress: Progress = no_progress, *,
    job_id: int | None = None, created_by: int | None = None,
) -> dict[str, Any]:
    """Compute a run as a proposal for the analyst to review; nothing changes until it is
    confirmed."""
    request = _request(params)
    scope = OpinionFilter(request.campaign_ids, request.unit_code, request.question,
                          request.channel)
    async with MODEL_LOCK:
        await progress(2, "正在读取意见")
        corpus = await queries.corpus_opinions(scope)
        if not [o for o in corpus if o.set_aside != EXCLUDED]:
            raise ThemeError("所选范围内没有可聚类的意见")
        base = {"run": await theme_curation.latest_applied_run_id(),
                "decision": await theme_curation.latest_decision_id()}
        registry = await load_registry()
        states = await queries.theme_states()
        protected = await protected_theme_ids(states)
        keywords = await theme_curation.live_theme_keywords()
        next_id = await theme_curation.max_theme_id() + 1
        sizes = {tid: t.size for tid, t in (await queries.themes_by_ids(sorted(keywords))).items()}
        lexicon = await current_lexicon()
        await progress(10, f"已读取 {len(corpus)} 条意见，正在分词")
        prepared = await asyncio.to_thread(prepare, corpus, rescore=True, lexicon=lexicon)
        # An answer the analyst placed by hand (or restored) is not set aside again.
        empty = [is_content_free(text) and not o.locked
                 for o, text in zip(corpus, prepared.texts, strict=True)]
        constraints = _constraints(corpus, empty, states, protected, keywords, registry, next_id)
        await progress(30, "分词完成，正在聚类")
        try:
            result = await asyncio.to_thread(
                constrained_run, prepared.texts, prepared.tokens, constraints,
                previous=registry.model if registry else None, k=request.k, seed=request.seed,
                sentiments=prepared.sentiments,
            )
        except ThemeInputError as error:
            raise ThemeError(str(error)) from None
        await progress(80, f"聚类完成，共 {len(result.themes)} 个主题，正在生成变化清单")
        proposal = _proposal(corpus, empty, result, states, protected, sizes, next_id)
        proposal["base"] = base
        proposal["sentiments"] = [list(p) for p in sentiment_changes(corpus, prepared.sentiments)]
        run_id = await theme_curation.insert_proposal(
            scope={"campaign_ids": list(request.campaign_ids), "unit_code": request.unit_code,
                   "question": request.question, "channel": request.channel},
            k=request.k, seed=request.seed, proposal=proposal, opinion_count=len(corpus),
            job_id=job_id, created_by=created_by,
        )
    review = proposal["review"]
    await progress(100, f"完成：{len(result.themes)} 个主题，请查看变化并确认")
    return {"url": f"/themes/review/{run_id}", "run": run_id, "themes": len(result.themes),
            "opinions": len(corpus), "unassigned": review["unassigned"],
            "empty": review["empty"]}


def _constraints(
    corpus: Sequence[CorpusOpinion], empty: Sequence[bool], states: Mapping[int, ThemeState],
    protected: set[int], keywords: Mapping[int, list[str]], registry: Registry | None,
    next_id: int,
) -> Constraints:
    live = {tid for tid, s in states.items() if s.merged_into is None}
    return Constraints(
        keep=[
            o.theme_id if o.theme_id in live and (o.theme_id in protected or o.locked) else None
            for o in corpus
        ],
        set_aside=[o.set_aside == EXCLUDED or flag for o, flag in zip(corpus, empty, strict=True)],
        joinable=[o.theme_id is None for o in corpus],
        protected=protected,
        labels={tid: states[tid].label for tid in live},
        keywords=keywords,
        next_id=max(next_id, registry.model.next_theme_id if registry else 0),
    )


def _proposal(
    corpus: Sequence[CorpusOpinion], empty: Sequence[bool], result: ThemeRun,
    states: Mapping[int, ThemeState], protected: set[int], sizes: Mapping[int, int],
    next_id: int,
) -> dict[str, Any]:
    """What confirming the run would write, and the review of what it changes."""
    final = [a if a >= 0 else None for a in result.assignments]
    before = Counter(o.theme_id for o in corpus if o.theme_id is not None)
    after = Counter(t for t in final if t is not None)
    labels = {t.id: t.label for t in result.themes}
    new_ids = [t.id for t in result.themes if t.id not in states]
    review: dict[str, Any] = {"new": [], "grown": [], "shrunk": [], "retired": [], "same": 0}
    for tid in sorted(set(before) | set(after), key=lambda t: (-after.get(t, 0), t)):
        old, now = before.get(tid, 0), after.get(tid, 0)
        label = labels.get(tid) or (states[tid].label if tid in states else "")
        item = {"id": tid, "label": label, "before": old, "after": now,
                "protected": tid in protected}
        if tid not in states:
            review["new"].append(item)
        elif now > old:
            review["grown"].append(item)
        elif now == 0 and sizes.get(tid, old) - old == 0:
            review["retired"].append(item)
        elif now < old:
            review["shrunk"].append(item)
        else:
            review["same"] += 1
    review["unassigned"] = sum(1 for t, e in zip(final, empty, strict=True) if t is None and not e)
    review["empty"] = sum(empty)
    review["protected"] = len({t for t in after if t in protected})
    return {
        "assign": [
            [o.id, -1 if t is None else t] for o, t in zip(corpus, final, strict=True)
            if t != o.theme_id
        ],
        "empty": [o.id for o, e in zip(corpus, empty, strict=True) if e and o.set_aside == ""],
        "clear": [o.id for o, e in zip(corpus, empty, strict=True)
                  if not e and o.set_aside == EMPTY],
        "model": result.model.to_dict(),
        "new_ids": new_ids,
        "next_id": next_id,
        "themes": [
            {"id": t.id, "label": t.label, "keywords": [w for w, _ in t.keywords],
             "representatives": [corpus[i].id for i in t.representatives if final[i] == t.id],
             "protected": t.id in protected}
            for t in result.themes
        ],
        "review": review,
    }


# --- Review and confirmation ---------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    run_id: int
    status: str  # proposed done discarded superseded
    review: dict[str, Any]
    scope: dict[str, Any]
    stale: bool  # the themes changed since the run: it can only be discarded


async def _is_stale(proposal: Mapping[str, Any]) -> bool:
    base = proposal.get("base", {})
    return (
        base.get("run") != await theme_curation.latest_applied_run_id()
        or base.get("decision") != await theme_curation.latest_decision_id()
    )


async def review(run_id: int) -> Review | None:
    found = await theme_curation.find_proposal(run_id)
    if found is None or not found.proposal:
        return None
    stale = found.status == "proposed" and await _is_stale(found.proposal)
    return Review(found.run_id, found.status, found.proposal.get("review", {}), found.scope,
                  stale)


async def pending_review() -> int | None:
    return await theme_curation.pending_proposal_id()


async def confirm_run(user: CurrentUser, ip: str, run_id: int) -> None:
    """Replace the current themes with a reviewed proposal."""
    async with MODEL_LOCK:
        found = await theme_curation.find_proposal(run_id)
        if found is None or not found.proposal:
            raise ThemeError("该聚类结果不存在")
        if found.status != "proposed":
            raise ThemeError("该聚类结果已处理过，不能再确认")
        proposal = found.proposal
        if await _is_stale(proposal):
            raise ThemeError("运行聚类之后主题已有调整，该结果已过时，请放弃后重新运行聚类")
        registry = await load_registry()
        protected = {int(t["id"]) for t in proposal["themes"] if t["protected"]}
        edited = {tid for tid, s in (registry.states if registry else {}).items()
                  if s.label_edited}
        labels = {int(t["id"]): str(t["label"]) for t in proposal["themes"]}
        new_ids = [int(t) for t in proposal["new_ids"]]
        # Exclusions and sentiment corrections made since the run still stand.
        excluded, corrected = await theme_curation.held_by_analyst(
            [int(o) for o, _ in proposal["assign"]] + [int(o) for o, _ in proposal["sentiments"]]
        )
        async with queries.transaction():
            rows = await queries.insert_themes([labels[t] for t in new_ids])
            id_map = {int(t["id"]): int(t["id"]) for t in proposal["themes"]}
            id_map.update(zip(new_ids, rows, strict=True))
            model = with_earlier_themes(
                relabelled(proposal["model"], id_map), registry.stored if registry else None, ()
            )
            await theme_curation.finish_proposal(run_id, "done", model)
            await queries.set_opinion_themes(
                [(int(o), id_map[int(t)] if int(t) >= 0 else None) for o, t in proposal["assign"]
                 if int(o) not in excluded]
            )
            await theme_curation.set_aside(proposal["empty"], EMPTY)
            await theme_curation.set_aside(proposal["clear"], "")
            await queries.set_opinion_sentiments(
                [(int(o), float(v)) for o, v in proposal["sentiments"] if int(o) not in corrected]
            )
            await queries.describe_themes(
                [
                    queries.ThemeDescription(
                        theme_id=id_map[int(t["id"])],
                        label=None if int(t["id"]) in protected | edited else str(t["label"]),
                        keywords=list(t["keywords"]),
                        representatives=[int(i) for i in t["representatives"]],
                    )
                    for t in proposal["themes"]
                ],
                run_id,
            )
            await queries.refresh_theme_stats()
    await audit.record_event(
        "themes.run_confirm", actor_id=user.id, actor_name=user.username,
        target=f"theme_run:{run_id}", ip=ip,
        detail={key: len(value) for key, value in proposal["review"].items()
                if isinstance(value, list)},
    )


async def discard_run(user: CurrentUser, ip: str, run_id: int) -> None:
    async with MODEL_LOCK:
        found = await theme_curation.find_proposal(run_id)
        if found is None or found.status != "proposed":
            raise ThemeError("该聚类结果不存在或已处理过")
        await theme_curation.finish_proposal(run_id, "discarded")
    await audit.record_event(
        "themes.run_discard", actor_id=user.id, actor_name=user.username,
        target=f"theme_run:{run_id}", ip=ip,
    )


# --- New opinions ---------------------------------------------------------------------------


async def submit_assign_new(user: CurrentUser, ip: str) -> int:
    await require_registry()
    job_id = await submit_job("themes.assign_new", {}, user.id)
    await audit.record_event(
        "themes.assign_new", actor_id=user.id, actor_name=user.username,
        target=f"job:{job_id}", ip=ip,
    )
    return job_id


async def assign_new_opinions(progress: Progress = no_progress) -> dict[str, Any]:
    """Opinions without a theme join the closest known theme when they share a topic word
    with it; content-free answers are set aside; the rest are held as 新议题."""
    async with MODEL_LOCK:
        registry = await require_registry()
        corpus = [o for o in await queries.unassigned_opinions() if not o.locked]
        await progress(10, f"待归类意见 {len(corpus)} 条")
        if not corpus:
            return {"url": "/themes", "assigned": 0, "unassigned": 0, "empty": 0}
        lexicon = await current_lexicon()
        prepared = await asyncio.to_thread(prepare, corpus, rescore=False, lexicon=lexicon)
        empty = [is_content_free(text) for text in prepared.texts]
        await progress(40, "正在归类")
        ids = await asyncio.to_thread(
            assign_to_themes, registry.model, prepared.texts, tokens=prepared.tokens
        )
        keywords = await theme_curation.live_theme_keywords()
        rows: list[int | None] = []
        for tid, tokens, is_empty in zip(ids, prepared.tokens, empty, strict=True):
            row = registry.resolve(tid) if tid >= 0 and not is_empty else None
            if row is not None and not fits_theme(tokens, keywords.get(row, ())):
                row = None
            rows.append(row)
        async with queries.transaction():
            await queries.set_opinion_themes(
                [(o.id, row) for o, row in zip(corpus, rows, strict=True) if row is not None]
            )
            await theme_curation.set_aside(
                [o.id for o, e in zip(corpus, empty, strict=True) if e], EMPTY
            )
            await queries.set_opinion_sentiments(sentiment_changes(corpus, prepared.sentiments))
            await queries.refresh_theme_stats()
    assigned = sum(1 for row in rows if row is not None)
    set_aside = sum(empty)
    held = len(corpus) - assigned - set_aside
    await progress(100, f"已归类 {assigned} 条，新议题 {held} 条，无实质内容 {set_aside} 条")
    return {"url": "/themes", "assigned": assigned, "unassigned": held, "empty": set_aside}
