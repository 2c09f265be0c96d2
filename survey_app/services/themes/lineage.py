"""Theme names and what became of a split theme.

A split retires the theme: its row stays (links, audit and trends point at it) but holds no
opinions, and its page must say where they went rather than offer actions on nothing. The
parts are found through their "split" decisions (theme_decision), which name the source.

Names: two current themes with one name read as one theme on every list and chart, so a
name already taken is refused (merging is the way to make them one). The parts of a split
start from the analyst's name, or from the names typed on the split form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from survey_app.db.queries import theme_curation
from survey_app.db.queries import themes as queries
from survey_app.services.themes.common import MAX_LABEL, ThemeError, china_time

_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class SplitPart:
    id: int
    label: str
    size: int


@dataclass(frozen=True)
class SplitInfo:
    label: str  # the split theme's name
    parts: list[SplitPart]
    created_at: dt.datetime | None
    actor_name: str

    @property
    def when(self) -> str:
        return china_time(self.created_at)

    def refusal(self) -> str:
        names = "、".join(f"“{part.label}”" for part in self.parts)
        return (f"主题“{self.label}”已于 {self.when} 拆分为 {names}，不能再拆分或编辑，"
                "请到拆分后的主题中操作")


async def split_ids() -> set[int]:
    """Themes retired by a split."""
    return {d.theme_id for d in await theme_curation.split_decisions()}


async def split_info(theme_id: int) -> SplitInfo | None:
    decisions = [d for d in await theme_curation.split_decisions() if d.theme_id == theme_id]
    if not decisions:
        return None
    records = await queries.themes_by_ids([theme_id, *(d.part_id for d in decisions)])
    parts = [
        SplitPart(record.id, record.label, record.size)
        for d in decisions if (record := records.get(d.part_id)) is not None
    ]
    source = records.get(theme_id)
    return SplitInfo(source.label if source else "", parts, decisions[0].created_at,
                     decisions[0].actor_name)


async def refuse_if_split(theme_ids: Sequence[int]) -> None:
    for theme_id in theme_ids:
        info = await split_info(theme_id)
        if info is not None:
            raise ThemeError(info.refusal())


def normalised(label: str) -> str:
    return " ".join(label.split())


async def refuse_taken_label(label: str, *, ignore: Collection[int]) -> None:
    """`label` (normalised) must not be another current theme's name; `ignore`: the themes
    that are the one renamed, or go away with this edit."""
    retired = await split_ids()
    for theme_id, other in (await theme_curation.live_theme_labels()).items():
        if theme_id in ignore or theme_id in retired:
            continue
        if normalised(other) == label:
            raise ThemeError(
                f"已有同名主题“{other}”。如果两者说的是同一类问题，请在本页“整理主题”中用“合并”"
                "把它并入本主题；否则请换一个名称"
            )


def parse_split_labels(raw: str, k: int | None) -> tuple[str, ...]:
    """The names typed for the parts, one a line, largest part first; a blank line leaves
    that part to its default name."""
    names = [normalised(line) for line in raw[:10_000].splitlines()]
    while names and not names[-1]:
        names.pop()
    for name in names:
        if len(name) > MAX_LABEL:
            raise ThemeError(f"拆分后的主题名称“{name[:20]}…”超过 {MAX_LABEL} 个字")
    typed = [name for name in names if name]
    for name in typed:
        if typed.count(name) > 1:
            raise ThemeError(f"拆分后的名称“{name}”重复，请给各部分不同的名称")
    if k is not None and len(names) > k:
        raise ThemeError(f"填写了 {len(names)} 个名称，但只拆分为 {k} 个主题，"
                         "请删去多余的名称或增加拆分数量")
    return tuple(names)


def part_names(typed: Sequence[str], count: int, base: str | None) -> list[str | None]:
    """The name of each of `count` parts (largest first): the typed one, else `base`（一）,
    （二）… when the analyst had named the split theme, else None (the keywords name it)."""
    if len(typed) > count:
        raise ThemeError(f"本主题只拆分出 {count} 个主题，但填写了 {len(typed)} 个名称，"
                         "请删去多余的名称或填写拆分数量")
    names: list[str | None] = []
    for i in range(count):
        if i < len(typed) and typed[i]:
            names.append(typed[i])
        elif base:
            suffix = f"（{_NUMERALS[i] if i < len(_NUMERALS) else i + 1}）"
            names.append(base[: MAX_LABEL - len(suffix)] + suffix)
        else:
            names.append(None)
    return names
