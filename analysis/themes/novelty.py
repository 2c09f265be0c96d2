"""Answers that say nothing, and opinions that fit no theme: content-free answers ("无",
"没有", "暂无意见" …) are set aside and counted, never clustered; opinions that fit no known
theme are held as 新议题, and when enough of them share a topic word they are proposed as a
new theme.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from analysis.text import normalize_text

# How many similar held opinions make a proposed new theme.
MIN_NEW_THEME = 5

_FILLER = re.compile(r"[\s\W_]+", re.UNICODE)
_CONTENT_FREE = frozenset(
    {
        "无", "无无", "没有", "没", "没了", "没有了", "暂无", "暂时没有", "暂时无", "目前没有",
        "目前无", "无意见", "没意见", "没有意见", "暂无意见", "无建议", "没建议", "没有建议",
        "暂无建议", "无意见建议", "没有意见建议", "暂无意见建议", "无意见和建议",
        "没有意见和建议", "无其他意见", "无其它意见", "没有其他意见", "没有其它意见", "无其他",
        "无其它", "没有其他", "没有其它", "没什么意见", "没什么建议", "没有什么意见",
        "没有什么建议", "没啥意见", "没啥建议", "没什么", "没啥", "以上无", "无补充",
        "没有补充", "不清楚", "不知道", "说不清", "说不好", "略", "否", "空", "无所谓",
        "none", "no", "nothing", "na", "n/a", "nil", "null",
    }
)


def is_content_free(text: str) -> bool:
    """True for answers that carry no opinion: empty, punctuation or digits only, a single
    repeated character, or a stock phrase such as "无", "暂无意见", "没有什么建议"."""
    core = _FILLER.sub("", normalize_text(text)).lower()
    core = core.rstrip("了啊呀哈的")
    if not core or core.isdigit():
        return True
    if len(set(core)) == 1 and len(core) > 1:
        return True
    return core in _CONTENT_FREE


@dataclass(frozen=True)
class NewIssue:
    """Held opinions sharing a topic word: a proposed new theme."""

    word: str
    members: list[int]  # indices into the held opinions


def _features(tokens: Sequence[str]) -> set[str]:
    """A held opinion's topic words: its tokens of two characters or more, plus the two-
    character parts of longer ones (停车位 also counts as 停车 and 车位)."""
    found: set[str] = set()
    for token in tokens:
        if len(token) < 2:
            continue
        found.add(token)
        if len(token) > 2:
            found.update(token[i : i + 2] for i in range(len(token) - 1))
    return found


def propose_new_themes(
    tokens: Sequence[Sequence[str]],
    *,
    min_size: int = MIN_NEW_THEME,
    ignore: Collection[str] = (),
) -> list[NewIssue]:
    """Groups of at least ``min_size`` held opinions sharing a topic word, largest first;
    each opinion is in at most one group. ``ignore``: words that name no topic (e.g. the
    known themes' keywords, which these opinions did not fit)."""
    features = [_features(t) - set(ignore) for t in tokens]
    left = set(range(len(tokens)))
    issues: list[NewIssue] = []
    while True:
        counts = Counter(word for i in left for word in features[i])
        best = [(n, word) for word, n in counts.items() if n >= min_size]
        if not best:
            return issues
        # Most opinions first; among equals the longer (more specific) word, then by text.
        _, word = max(best, key=lambda item: (item[0], len(item[1]), item[1]))
        members = sorted(i for i in left if word in features[i])
        issues.append(NewIssue(word, members))
        left -= set(members)


def fits_theme(tokens: Sequence[str], keywords: Collection[str]) -> bool:
    """An opinion joins a theme by assignment only if it shares a topic word with it;
    otherwise the posterior alone can fold a new issue into an unrelated theme."""
    if not keywords:
        return True
    return bool(_features(tokens) & {w for k in keywords for w in _features([k]) | {k}})
