"""Opinions set aside — content-free answers ("无", "暂无") and those an analyst excluded —
listed by reason and restored to 未归类 (audited). A restored content-free answer is held by
hand so no run sets it aside again; a restored exclusion is assigned like any new opinion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from survey_app.db.queries import audit, theme_curation
from survey_app.db.queries import theme_opinions as opinion_queries
from survey_app.db.queries import themes as queries
from survey_app.services.auth import CurrentUser
from survey_app.services.themes.common import MODEL_LOCK, PAGE_SIZE, ThemeError
from survey_app.services.themes.reading import MarkedOpinion, Pager, marked_opinions, pager_for

SET_ASIDE_REASONS = {"excluded": "人工排除", "empty": "无实质内容"}


@dataclass(frozen=True)
class SetAsidePage:
    reason: str
    opinions: list[MarkedOpinion]
    pager: Pager
    counts: dict[str, int]  # reason → opinions


async def set_aside_page(reason: str, page: int) -> SetAsidePage:
    if reason not in SET_ASIDE_REASONS:
        reason = "excluded"
    counts = {r: await theme_curation.count_set_aside(r) for r in SET_ASIDE_REASONS}
    pager = pager_for(page, counts[reason])
    opinions = await theme_curation.set_aside_opinions(
        reason, limit=PAGE_SIZE, offset=pager.offset
    )
    return SetAsidePage(
        reason, await marked_opinions(opinions), pager, counts
    )


async def restore_opinions(user: CurrentUser, ip: str, opinion_ids: Sequence[int]) -> int:
    """Return the ticked set-aside opinions to 未归类."""
    if not opinion_ids:
        raise ThemeError("请先勾选要恢复的意见")
    async with MODEL_LOCK:
        found = await opinion_queries.existing_opinion_ids(sorted(set(opinion_ids)))
        if len(found) != len(set(opinion_ids)):
            raise ThemeError("部分意见不存在，请刷新页面后重试")
        async with queries.transaction():
            restored = await theme_curation.restore_set_aside(found)
            await queries.refresh_theme_stats()
    count = sum(len(ids) for ids in restored.values())
    await audit.record_event(
        "themes.restore", actor_id=user.id, actor_name=user.username, target="opinions",
        ip=ip, detail={reason: ids[:200] for reason, ids in restored.items()} | {"count": count},
    )
    return count
