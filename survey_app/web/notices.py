"""Banners after a redirect come from server-side message keys, never from the URL's text
(issue 17): a link can only choose which known message to show and its whole numbers."""

from __future__ import annotations

NOTICES = {
    "sampled": "抽样完成：从 {a} 个对象中抽取 {b} 个，已生成邀请",
    "opened": "调查已开始",
    "closed": "调查已结束",
    "reminded": "已记录 {a} 个对象的提醒",
    "replaced": "邀请 {a} 已替补为同层的邀请 {b}，请向新对象发送链接",
    "status_set": "已将 {a} 个对象标记为“{label}”",
    "status_failed": "未能修改状态：请选择对象和有效的状态后重试",
}


def notice_query(key: str, a: int = 0, b: int = 0, label: str = "") -> dict[str, str]:
    """Query parameters for a redirect that shows NOTICES[key] (`label` must be a key of a
    server-side table the page passes to `notice_text`)."""
    assert key in NOTICES
    query = {"notice": key, "a": str(int(a)), "b": str(int(b))}
    if label:
        query["label"] = label
    return query


def notice_text(key: str, a: str = "0", b: str = "0", label: str = "",
                labels: dict[str, str] | None = None) -> str:
    """The banner for a key from the URL; empty for anything unknown."""
    template = NOTICES.get(key)
    if template is None or not (a.isascii() and a.isdigit() and b.isascii() and b.isdigit()):
        return ""
    known_label = (labels or {}).get(label, "")
    if "{label}" in template and not known_label:
        return ""
    return template.format(a=int(a[:12]), b=int(b[:12]), label=known_label)
