"""Hand-over of themes to units (整改) and the rectification thread: the unit replies as
often as it needs (kept in order) and reports the matter done; only the analyst or the
performance office closes it by accepting (验收), or returns it (退回) with a comment.
A unit sees only its own handed themes, and of their opinions only those about itself,
masked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from analysis.text import mask_personal_info
from survey_app.db.queries import audit, theme_curation, theme_handover, units
from survey_app.db.queries import theme_opinions as opinion_queries
from survey_app.db.queries import themes as queries
from survey_app.db.queries._rows import utcnow
from survey_app.db.queries.theme_handover import ThreadEntry
from survey_app.db.queries.themes import (
    ASSIGNED,
    DONE,
    PENDING,
    RECTIFYING,
    REVIEW,
    OpinionFilter,
    ThemeRecord,
)
from survey_app.errors import NotFound
from survey_app.roles import ADMIN, ANALYST, OFFICE, UNIT_VIEWER
from survey_app.services.auth import CurrentUser
from survey_app.services.themes.common import CHINA, MAX_NOTE, ThemeError
from survey_app.services.themes.lineage import refuse_if_split
from survey_app.services.themes.reading import Pager, ThemeDetail, pager_for, theme_detail

DEFAULT_HANDOVER_WORKING_DAYS = 15
REPLY_STATUSES = (RECTIFYING, REVIEW)  # what a unit may set: 整改中, or 报请验收
REVIEWERS = (ADMIN, ANALYST, OFFICE)
THREAD_LABELS = {"reply": "单位答复", "accept": "验收通过", "return": "退回重办"}


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
    return (now or utcnow()).astimezone(CHINA).date()


def default_deadline(now: dt.datetime | None = None) -> dt.date:
    return add_working_days(today_in_china(now), DEFAULT_HANDOVER_WORKING_DAYS)


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=CHINA)


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
    theme = await queries.find_theme(theme_id)
    if theme is None:
        raise ThemeError("主题不存在")
    if theme.merged_into is not None:
        raise ThemeError(f"主题“{theme.label}”已被合并，不能再编辑")
    await refuse_if_split([theme_id])
    known = {u.id: u for u in await active_units()}
    if unit_id not in known:
        raise ThemeError("请选择承办单位")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ThemeError(f"转办说明不能超过 {MAX_NOTE} 个字")
    async with queries.transaction():
        await theme_handover.hand_over(theme_id, unit_id, _end_of_day(deadline), note)
        await theme_curation.record_decisions(
            [theme_id], "handover",
            {"unit": known[unit_id].code, "deadline": deadline.isoformat()}, user.id,
        )
    await audit.record_event(
        "themes.handover", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"unit": known[unit_id].code, "deadline": deadline.isoformat(),
                       "from": theme.status, "to": ASSIGNED},
    )


async def active_units() -> list[units.UnitRecord]:
    """The units a theme can be handed to."""
    return await units.list_units(active_only=True)


def _handed_to(user: CurrentUser, theme: ThemeRecord | None) -> ThemeRecord:
    """A unit viewer sees a theme only once it is handed to their own unit; anything else
    looks exactly like a missing theme."""
    if theme is None or theme.status == PENDING or theme.unit_id is None:
        raise NotFound("主题不存在")
    if user.role == UNIT_VIEWER and theme.unit_id != user.unit_id:
        raise NotFound("主题不存在")
    return theme


def _checked_text(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise ThemeError(f"请填写{what}")
    if len(text) > MAX_NOTE:
        raise ThemeError(f"{what}不能超过 {MAX_NOTE} 个字")
    return text


async def reply(user: CurrentUser, ip: str, theme_id: int, status: str, text: str) -> None:
    """A unit's reply: added to the thread (earlier replies stay). The unit can report the
    matter done (待验收) but cannot close it."""
    theme = _handed_to(user, await queries.find_theme(theme_id))
    if status not in REPLY_STATUSES:
        raise ThemeError("请选择整改状态：整改中或报请验收")
    text = _checked_text(text, "整改措施或办理情况")
    if theme.status == DONE:
        raise ThemeError("该事项已验收办结，不能再答复")
    await theme_handover.add_entry(theme_id, kind="reply", status=status, text=text,
                                   actor_id=user.id, actor_name=user.username)
    await audit.record_event(
        "themes.reply", actor_id=user.id, actor_name=user.username, target=f"theme:{theme_id}",
        ip=ip, detail={"from": theme.status, "to": status},
    )


async def review_rectification(
    user: CurrentUser, ip: str, theme_id: int, decision: str, comment: str
) -> None:
    """The analyst or the office accepts a unit's report (验收, the matter is closed) or
    returns it (退回, with a comment saying what is missing)."""
    if user.role not in REVIEWERS:
        raise NotFound("主题不存在")
    theme = _handed_to(user, await queries.find_theme(theme_id))
    if decision not in ("accept", "return"):
        raise ThemeError("请选择验收通过或退回重办")
    if decision == "accept":
        if theme.status != REVIEW:
            raise ThemeError("单位报请验收后才能验收")
        comment = comment.strip()[:MAX_NOTE]
        status = DONE
    else:
        if theme.status not in (RECTIFYING, REVIEW, DONE):
            raise ThemeError("单位尚未答复，不能退回")
        comment = _checked_text(comment, "退回意见")
        status = RECTIFYING
    await theme_handover.add_entry(theme_id, kind=decision, status=status, text=comment,
                                   actor_id=user.id, actor_name=user.username)
    await audit.record_event(
        f"themes.{decision}", actor_id=user.id, actor_name=user.username,
        target=f"theme:{theme_id}", ip=ip, detail={"from": theme.status, "to": status},
    )


@dataclass(frozen=True)
class HandedOver:
    themes: list[tuple[ThemeRecord, bool]]  # (theme, overdue)
    pager: Pager
    overdue: int


async def handed_over(user: CurrentUser, page: int) -> HandedOver:
    unit_id = user.unit_id if user.role == UNIT_VIEWER else None
    if user.role == UNIT_VIEWER and unit_id is None:
        return HandedOver([], pager_for(1, 0), 0)
    pager = pager_for(page, await opinion_queries.count_handed_over(unit_id))
    themes = await opinion_queries.handed_over_themes(unit_id, limit=pager.size, offset=pager.offset)
    now = utcnow()
    lines = [(t, t.is_overdue(now)) for t in themes]
    return HandedOver(lines, pager, sum(1 for _, late in lines if late))


@dataclass(frozen=True)
class HandedDetail:
    detail: ThemeDetail
    thread: list[ThreadEntry]
    can_review: bool


async def handed_over_detail(user: CurrentUser, theme_id: int, page: int) -> HandedDetail:
    """A handed theme as its unit (or a reviewer) reads it. A unit reads only the opinions
    about itself, with personal information masked once more on the way out."""
    theme = _handed_to(user, await queries.find_theme(theme_id))
    scope = OpinionFilter()
    if user.role == UNIT_VIEWER:
        code = await theme_handover.unit_code(theme.unit_id or 0)
        scope = OpinionFilter(unit_code=code or " ")
    detail = await theme_detail(theme_id, scope, page, suppress_small=False)
    masked = [
        replace(item, segments=[replace(s, text=mask_personal_info(s.text)) for s in item.segments])
        for item in detail.opinions
    ]
    reps = [
        replace(item, segments=[replace(s, text=mask_personal_info(s.text)) for s in item.segments])
        for item in detail.representatives
    ]
    detail = replace(detail, options=[], opinions=masked, representatives=reps)
    if user.role == UNIT_VIEWER:
        detail = replace(detail, units=[u for u in detail.units if u.code == (code or "")])
    return HandedDetail(detail, await theme_handover.thread(theme_id),
                        reviews_rectification(user, theme.status))


def reviews_rectification(user: CurrentUser, status: str) -> bool:
    """Whether the user may accept or return a handed theme in this status (the analyst and
    the office, once the unit has answered): the same forms on the theme page and the thread."""
    return user.role in REVIEWERS and status in (RECTIFYING, REVIEW, DONE)
