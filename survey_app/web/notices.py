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
    "import_cancelled": "已取消导入，样本框未作任何修改",
    "campaign_closed": "调查已结束（{a} 份邀请未回复）。结果公布前可重新开放。",
    "campaign_reopened": "调查已重新开放，受访者可继续填写",
    "results_final": "已标记结果已公布：该批次不能再重新开放",
    "open_link_create": "已创建公开链接",
    "open_link_pause": "公开链接已暂停：扫码者会看到“暂停使用”",
    "open_link_resume": "公开链接已恢复",
    "open_link_revoke": "公开链接已作废：已印出的海报将无法再使用",
    "account_created": "已创建账号，首次登录时须修改初始密码",
    "role_saved": "已保存角色，新权限在其下次登录时生效",
    "role_unchanged": "角色未改变，未作修改",
    "account_unlocked": "已解锁账号",
    "account_enabled": "已启用账号",
    "account_disabled": "已停用账号，其会话已结束",
    "unit_created": "已创建单位",
    "unit_saved": "已保存单位",
    "unit_reactivated": "单位已恢复参加考评",
    "unit_deactivated": "单位已停用",
    "unit_deleted": "已删除单位",
    "category_renamed": "已修改类别名称",
    "category_deleted": "已删除类别",
    "category_added": "已添加类别",
    "units_imported": "导入完成：新增 {a} 个单位，更新 {b} 个单位",
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
