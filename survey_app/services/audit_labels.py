"""The audit log in Chinese: a label for every action code and, in that action's context, every
detail key and coded value (audit_actions.py), with values written out as text (never raw
JSON), so an auditor reads it without the codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from questionnaires.roster import FIELD_LABELS as ROSTER_FIELD_LABELS
from survey_app.roles import ROLE_LABELS
from survey_app.services.audit_actions import (
    ACTION_TYPES,
    ACTIONS,
    ALLOCATIONS,
    AS_TYPED,
    AUDIENCES,
    CHANNEL_LABELS,
    CHECK_METHODS,
    EXPORT_FORMATS,
    FAILURE_REASONS,
    LEXICON_KINDS,
    SECOND_FACTOR,
    Action,
)

__all__ = ["ACTION_LABELS", "ACTION_TYPES", "action_label", "action_type", "actions_matching",
           "actor_text", "detail_label", "detail_text", "target_text"]

ACTION_LABELS: dict[str, str] = {code: spec.label for code, spec in ACTIONS.items()}
_TYPE_OF_EXTRA = {"logout": "login", "reauth": "login", "unit_category": "unit",
                  "api_token": "api"}
# Keys that read the same in every action; an action's own labels come first.
DETAIL_LABELS: dict[str, str] = {
    "reason": "原因", "failures": "连续失败次数", "locked": "已锁定", "second_factor": "第二步",
    "method": "方式", "role": "角色", "from": "原值", "to": "新值", "unit": "单位",
    "name": "名称", "category": "类别", "code": "代码", "created": "新增", "updated": "更新",
    "inserted": "新增", "rows": "行数", "errors": "问题数", "changes": "改动数", "count": "数量",
    "status": "状态", "ids": "编号", "kind": "类型", "version": "版本", "period": "统计期",
    "audience": "调查对象", "seed": "随机种子", "frame_size": "样本框大小",
    "sample_size": "样本量", "roster_hash": "样本框快照哈希", "strata": "分层字段",
    "allocation": "分配方式", "rate": "抽样比例", "total_n": "总样本量",
    "excluded_campaigns": "排除的批次", "fingerprint": "方案指纹", "awaiting": "未回复邀请",
    "drafts": "填写中草稿", "early": "提前结束", "filter": "筛选条件", "select_all": "全选",
    "marked": "记为已提醒", "format": "格式", "full_contacts": "含完整联系方式",
    "links": "链接数", "page": "页码", "invitation": "邀请编号",
    "replacement": "替补邀请编号", "channel": "渠道", "job": "后台任务编号", "scheme": "考核方案编号",
    "scopes": "权限范围", "scope": "权限范围", "token": "令牌编号", "units": "单位",
    "unknown_units": "未知单位", "themes": "主题", "opinions": "意见", "keyword": "关键词",
    "deadline": "截止日期", "others": "其他主题", "was_enrolled": "原已启用", "days": "天数",
    "campaign": "调查批次", "campaign_ids": "调查批次", "runs": "计算编号", "run": "计算编号",
    "computed": "已计算", "flags": "标记", "inputs_hash": "输入哈希", "rate_percent": "抽样比例",
    "detail": "说明", "held_job": "待确认任务", "problem_rows": "有问题的行数",
    "overwrote": "覆盖了别处的修改", "discarded": "确认不保存的跳过题",
}
# Coded values of keys that mean the same in every action.
_KEY_VALUES: dict[str, Mapping[str, str]] = {
    "role": ROLE_LABELS, "format": EXPORT_FORMATS, "audience": AUDIENCES,
    "channel": CHANNEL_LABELS, "allocation": ALLOCATIONS, "method": CHECK_METHODS,
}
# Entries read without an action (older callers): any known code is written out.
_ANY_CODE: dict[str, str] = {
    **FAILURE_REASONS, **SECOND_FACTOR, **CHECK_METHODS, **ALLOCATIONS, **AUDIENCES,
    **ROLE_LABELS, "xlsx": "XLSX", "csv": "CSV", "all": "全部",
}
_NO_ACTION = Action("")
# Details whose value is a list of items, never a [before, after] pair (a two-strata draw read
# "分层字段：industry → size_class").
_LIST_DETAILS = frozenset({"excluded_campaigns", "campaign_ids", "ids", "units", "unknown_units",
                           "scopes", "themes", "opinions", "others", "flags", "periods", "runs",
                           "cells", "excluded", "empty", "include_low", "discarded", "labels"})


def action_type(action: str) -> str:
    head = action.split(".", 1)[0]
    return _TYPE_OF_EXTRA.get(head, head)


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    kind = ACTION_TYPES.get(action_type(action))
    return f"{kind}（其他操作）" if kind else "其他操作"


def actions_matching(text: str, known: list[str]) -> list[str]:
    """Action codes whose Chinese label (or type) contains the text: "登录" finds login, …"""
    text = text.strip()
    if not text:
        return []
    return [code for code in known
            if text in action_label(code) or text in ACTION_TYPES.get(action_type(code), "")
            or text == code]


def detail_label(action: str, key: str) -> str | None:
    """The Chinese name of a detail key in this action, None when there is none."""
    return ACTIONS.get(action, _NO_ACTION).keys.get(key) or DETAIL_LABELS.get(key)


def _codes(spec: Action, key: str) -> Mapping[str, str]:
    if key in spec.values:
        return spec.values[key]
    if key in _KEY_VALUES:
        return _KEY_VALUES[key]
    return _ANY_CODE if spec is _NO_ACTION else AS_TYPED


def _value(value: Any, codes: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        if len(value) == 2 and all(not isinstance(v, list | dict) for v in value):
            return f"{_value(value[0], codes)} → {_value(value[1], codes)}"
        return "、".join(_value(v, codes) for v in value[:50]) + ("…" if len(value) > 50 else "")
    if isinstance(value, dict):
        return "，".join(f"{DETAIL_LABELS.get(k, k)} {_value(v, codes)}" for k, v in value.items())
    text = str(value)
    return codes.get(text, text)


def _nested(spec: Action, key: str, value: dict[str, Any]) -> str:
    """A filter or similar dict: only what was set, each under its Chinese name."""
    labels = spec.nested.get(key, {})
    parts = [f"{labels.get(k) or DETAIL_LABELS.get(k, k)} {_listed(spec, k, v)}"
             for k, v in value.items() if v not in ("", None, [], {})]
    return "，".join(parts) or "全部"


def _listed(spec: Action, key: str, value: Any) -> str:
    codes = _codes(spec, key)
    if isinstance(value, list):
        return "、".join(_value(v, codes) for v in value[:50]) + ("…" if len(value) > 50 else "")
    return _value(value, codes)


def _cell_change(cell: Any) -> str:
    """[unit code, period, column, old, new] of an applied indicator upload."""
    if isinstance(cell, list) and len(cell) == 5:
        unit, period, column, old, new = (_value(v, AS_TYPED) for v in cell)
        return f"{unit} {period} {column}：{old} → {new}"
    return _value(cell, AS_TYPED)


def _detail_value(spec: Action, key: str, value: Any) -> str:
    if key == "strata" and isinstance(value, list):
        return " × ".join(ROSTER_FIELD_LABELS.get(str(v), str(v)) for v in value) or "不分层"
    if key == "rate" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:g}%"
    if key == "cells" and isinstance(value, list):
        return "；".join(_cell_change(c) for c in value[:50]) + ("…" if len(value) > 50 else "")
    if isinstance(value, dict):
        return _nested(spec, key, value)
    if key in _LIST_DETAILS and isinstance(value, list):
        return _listed(spec, key, value) or "无"
    return _value(value, _codes(spec, key))


def detail_text(detail: dict[str, Any], action: str = "") -> str:
    """{"reason": "bad_password", "failures": 2} -> 原因：密码错误；连续失败次数：2"""
    if not detail:
        return ""
    spec = ACTIONS.get(action, _NO_ACTION)
    # In the action's own order: PostgreSQL's jsonb gives the keys back sorted its own way.
    order = {key: i for i, key in enumerate(spec.keys)}
    items = sorted(detail.items(), key=lambda item: order.get(item[0], len(order)))
    return "；".join(f"{spec.keys.get(k) or DETAIL_LABELS.get(k, k)}：{_detail_value(spec, k, v)}"
                    for k, v in items)


# Targets written as "kind:id" (theme:12, job:5) or as a fixed word.
_TARGET_KINDS = {"theme": "主题", "theme_run": "聚类结果", "job": "后台任务", "opinion": "意见",
                 "respondent": "样本框对象", "campaign": "调查批次"}
_FIXED_TARGETS = {"opinions": "意见", "roster": "样本框", "themes.xlsx": "主题报告",
                  **AUDIENCES}
_CARD_COLOURS = {"red": "红牌", "yellow": "黄牌"}
_KIND_ID = re.compile(r"^([a-z_]+):(.+)$")


def target_text(action: str, target: str) -> str:
    """The object of an entry without its internal prefix: "theme:12" -> 主题 #12."""
    if target in _FIXED_TARGETS:
        return _FIXED_TARGETS[target]
    if action.startswith("appraisal.card."):
        head, _, colour = target.rpartition(" ")
        return f"{head} {_CARD_COLOURS[colour]}" if colour in _CARD_COLOURS else target
    found = _KIND_ID.match(target)
    if found is None:
        return target
    kind, rest = found.groups()
    if kind == "lexicon":
        return f"词表：{LEXICON_KINDS.get(rest, rest)}"
    if kind in _TARGET_KINDS:
        return f"{_TARGET_KINDS[kind]} {'#' + rest if rest.isdigit() else rest}"
    return target


def actor_text(action: str, actor_name: str) -> str:
    """API calls are logged under "api:<token name>" (a user name cannot hold a colon; only
    api.use is read this way, since a failed login logs whatever name was typed)."""
    if action == "api.use" and actor_name.startswith("api:"):
        return f"API 令牌“{actor_name[4:]}”"
    if action == "api.use" and actor_name == "api":
        return "API（未知令牌）"
    return actor_name
