"""The theme report as a spreadsheet: themes, and opinions with question titles and channel
names rather than codes. Under a filter, a theme (or the unassigned opinions) resting on fewer
than 5 respondents is left out, as on the pages."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from analysis.tabular import write_xlsx
from analysis.themes import UNASSIGNED_LABEL
from survey_app.db.queries import audit, theme_search
from survey_app.db.queries import theme_aggregates as aggregates
from survey_app.db.queries import theme_opinions as opinion_queries
from survey_app.db.queries.themes import OpinionFilter
from survey_app.services.auth import CurrentUser
from survey_app.services.themes.common import (
    CHANNEL_LABELS,
    SENTIMENT_LABELS,
    STATUS_LABELS,
    china_date,
    china_time,
)
from survey_app.services.themes.reading import MIN_RESPONDENTS, theme_lines

# --- Export -----------------------------------------------------------------------------------


THEME_SHEET_HEADER = [
    "主题编号", "主题名称", "关键词", "意见数", "平均情感", "涉及单位", "状态", "承办单位",
    "整改期限", "是否逾期", "转办说明", "整改答复", "答复时间",
]
OPINION_SHEET_HEADER = [
    "意见编号", "调查批次", "期别", "单位代码", "单位名称", "题目", "渠道", "意见内容", "情感",
    "主题编号", "主题名称", "人工调整", "人工校正情感",
]


async def export_report(user: CurrentUser, ip: str, scope: OpinionFilter) -> bytes:
    lines, _, _ = await theme_lines(scope, limit=100_000, offset=0)
    hidden: set[int | None] = {line.theme.id for line in lines if line.suppressed}
    if not scope.is_empty and await aggregates.unassigned_respondents(scope) < MIN_RESPONDENTS:
        hidden.add(None)
    lines = [line for line in lines if not line.suppressed]
    opinions = [o for o in await opinion_queries.export_opinions(scope)
                if o.theme_id not in hidden]
    names = await opinion_queries.unit_names()
    titles = await theme_search.question_titles()
    theme_rows = [
        [
            line.theme.id, line.theme.label, "、".join(line.theme.keywords), line.count,
            None if line.mean_sentiment is None else round(line.mean_sentiment, 3),
            "、".join(f"{u.name}({u.count})" for u in line.units),
            STATUS_LABELS.get(line.theme.status, line.theme.status), line.theme.unit_name or "",
            china_date(line.theme.deadline), "是" if line.overdue else "",
            line.theme.handover_note, line.theme.reply, china_time(line.theme.replied_at),
        ]
        for line in lines
    ]
    opinion_rows = [
        [
            o.id, o.campaign_name, o.period, o.unit_code, names.get(o.unit_code, ""),
            titles.get(o.question, o.question), CHANNEL_LABELS.get(o.channel, o.channel), o.text,
            None if o.sentiment is None else round(o.sentiment, 3),
            o.theme_id, o.theme_label if o.theme_id is not None else UNASSIGNED_LABEL,
            "是" if o.locked else "", SENTIMENT_LABELS.get(o.sentiment_label, ""),
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
                       "opinions": len(opinion_rows), "suppressed": len(hidden)},
    )
    return data
