"""The analysts' word lists for theme runs, edited in the UI and versioned: synonyms (one
line per group, the first word the standard one: "停车位 车位 泊位"), stop words and custom
words (one per line). A save takes effect on the next run or assignment."""

from __future__ import annotations

import re
from dataclasses import dataclass

from survey_app.db.queries import audit, theme_lexicon
from survey_app.services.auth import CurrentUser
from survey_app.services.themes.common import Lexicon, ThemeError

KINDS = {"synonyms": "同义词", "stop_words": "停用词", "custom_words": "自定义词"}
MAX_LINES, MAX_WORD = 2000, 20


@dataclass(frozen=True)
class WordList:
    kind: str
    name: str
    version: int  # 0: never saved
    text: str  # as the analyst edits it
    saved_by: str
    history: list[theme_lexicon.LexiconVersion]


def _words(line: str, line_no: int, name: str) -> list[str]:
    words = [w for w in re.split(r"[\s，,、;；]+", line.strip()) if w]
    for word in words:
        if len(word) > MAX_WORD:
            raise ThemeError(f"{name}第 {line_no} 行的“{word[:MAX_WORD]}…”超过 {MAX_WORD} 个字")
    return words


def parse_list(kind: str, text: str) -> list[object]:
    """The entries of a list as the analyst typed it; a Chinese error names the line."""
    if kind not in KINDS:
        raise ThemeError("词表类型有误")
    name = KINDS[kind]
    lines = [line for line in text.replace("\r", "").split("\n")]
    if len([line for line in lines if line.strip()]) > MAX_LINES:
        raise ThemeError(f"{name}最多 {MAX_LINES} 行")
    entries: list[object] = []
    for number, line in enumerate(lines, start=1):
        words = _words(line, number, name)
        if not words:
            continue
        if kind == "synonyms":
            if len(words) < 2:
                raise ThemeError(f"同义词第 {number} 行只有一个词：每行写标准词及其同义词，用空格分隔")
            entries.append(words)
        else:
            entries.extend(words)
    if kind != "synonyms":
        entries = list(dict.fromkeys(entries))
    return entries


def _as_text(kind: str, entries: list[object]) -> str:
    if kind == "synonyms":
        return "\n".join(" ".join(str(w) for w in group) for group in entries  # type: ignore[attr-defined]
                         if isinstance(group, list))
    return "\n".join(str(w) for w in entries)


async def word_lists() -> list[WordList]:
    lists = []
    for kind, name in KINDS.items():
        latest = await theme_lexicon.latest(kind)
        lists.append(WordList(
            kind, name, latest.version if latest else 0,
            _as_text(kind, latest.entries) if latest else "",
            latest.created_by if latest else "", await theme_lexicon.history(kind),
        ))
    return lists


async def save_list(user: CurrentUser, ip: str, kind: str, text: str) -> int:
    entries = parse_list(kind, text)
    version = await theme_lexicon.save(kind, entries, user.id)
    await audit.record_event(
        "themes.lexicon", actor_id=user.id, actor_name=user.username, target=f"lexicon:{kind}",
        ip=ip, detail={"version": version, "entries": len(entries)},
    )
    return version


async def current_lexicon() -> Lexicon:
    """The latest version of every list, as the pipeline applies it."""
    synonyms: list[tuple[str, str]] = []
    stop_words: list[str] = []
    custom: list[str] = []
    for kind in KINDS:
        latest = await theme_lexicon.latest(kind)
        if latest is None:
            continue
        if kind == "synonyms":
            for group in latest.entries:
                standard, *variants = [str(w) for w in group]
                synonyms.extend((variant, standard) for variant in variants)
        elif kind == "stop_words":
            stop_words = [str(w) for w in latest.entries]
        else:
            custom = [str(w) for w in latest.entries]
    return Lexicon(tuple(synonyms), tuple(stop_words), tuple(custom))
