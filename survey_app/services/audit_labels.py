"""The audit log in Chinese: a label for every action code and detail key, and detail values
written out as text (never raw JSON), so an auditor reads it without the codes."""

from __future__ import annotations

from typing import Any

from questionnaires.roster import FIELD_LABELS as ROSTER_FIELD_LABELS

ACTION_LABELS: dict[str, str] = {
    "login": "登录", "logout": "退出登录", "reauth": "再次验证身份",
    "user.create": "新建账号", "user.role": "修改账号角色", "user.password": "修改本人密码",
    "user.password_reset": "重置账号密码", "user.unlock": "解锁账号", "user.disable": "停用账号",
    "user.enable": "启用账号",
    "mfa.enrol": "设置两步验证", "mfa.verify": "两步验证登录", "mfa.disable": "关闭两步验证",
    "mfa.renew": "更换两步验证密钥", "mfa.recovery_codes": "重新生成恢复码",
    "mfa.reset": "重置他人两步验证",
    "api_token.create": "新建 API 令牌", "api_token.revoke": "吊销 API 令牌", "api.use": "使用 API",
    "unit.create": "新建单位", "unit.update": "修改单位", "unit.activate": "恢复单位参加考评",
    "unit.deactivate": "停用单位", "unit.delete": "删除单位", "unit.import": "导入单位名录",
    "unit_category.create": "新增单位类别", "unit_category.rename": "单位类别改名",
    "unit_category.delete": "删除单位类别",
    "roster.import": "导入样本框", "roster.import_held": "样本框导入待确认",
    "roster.import_confirm": "确认样本框导入", "roster.import_cancel": "取消样本框导入",
    "roster.contact_view": "查看完整联系方式", "roster.status": "标记样本框对象状态",
    "roster.error_report": "下载导入问题报告",
    "questionnaire.draft": "新建问卷草稿", "questionnaire.edit": "编辑问卷",
    "questionnaire.publish": "发布问卷", "questionnaire.export": "导出问卷",
    "campaign.create": "新建调查批次", "campaign.draw": "抽样", "campaign.open": "开始调查",
    "campaign.close": "结束调查", "campaign.reopen": "重新开放调查",
    "campaign.results_final": "标记结果已公布", "campaign.replace": "同层替补",
    "campaign.remind": "记录提醒", "campaign.reminder_batch": "导出提醒批次",
    "campaign.export_links": "导出邀请名单", "campaign.links": "导出问卷链接",
    "campaign.qr_sheet": "打印二维码", "campaign.open_link": "开放链接操作",
    "open_link.create": "创建公开链接", "open_link.pause": "暂停公开链接",
    "open_link.resume": "恢复公开链接", "open_link.revoke": "作废公开链接",
    "open_link.poster": "打印公开链接海报",
    "entry.submit": "录入纸质问卷",
    "response.exclude": "剔除答卷", "response.restore": "恢复答卷", "response.keep": "保留答卷",
    "scores.compute": "计算满意度得分", "scores.export": "导出得分",
    "appraisal.run": "计算考核结果", "appraisal.override": "调整考核等次",
    "appraisal.scheme": "保存考核方案", "appraisal.export": "导出考核结果",
    "themes.run": "意见聚类", "themes.rename": "主题改名", "themes.merge": "合并主题",
    "themes.split": "拆分主题", "themes.move": "移动意见", "themes.pin": "固定关键词",
    "themes.unpin": "取消固定关键词", "themes.handover": "交办主题", "themes.assign_new": "归类新意见",
    "themes.reply": "单位回复整改", "themes.export": "导出主题报告", "themes.xlsx": "导出主题表格",
    "themes.exclude": "排除意见", "themes.restore": "恢复已搁置的意见",
    "themes.sentiment": "更正意见情感", "themes.create": "采纳新议题为主题",
    "themes.run_confirm": "确认聚类结果", "themes.run_discard": "放弃聚类结果",
    "themes.lexicon": "修改词表", "themes.accept": "验收整改", "themes.return": "退回整改",
    "retention.purge": "清除到期个人信息", "audit.export": "导出审计日志",
}
# Action types for the filter: prefix -> label.
ACTION_TYPES: dict[str, str] = {
    "login": "登录与身份验证", "user": "账号", "mfa": "两步验证", "api": "API 令牌与调用",
    "unit": "单位", "roster": "样本框", "questionnaire": "问卷", "campaign": "调查批次",
    "entry": "纸质录入", "open_link": "公开链接", "response": "答卷审核", "scores": "满意度得分",
    "appraisal": "考核结果",
    "themes": "意见主题", "retention": "个人信息清除", "audit": "审计日志",
}
_TYPE_OF_EXTRA = {"logout": "login", "reauth": "login", "unit_category": "unit",
                  "api_token": "api"}
DETAIL_LABELS: dict[str, str] = {
    "reason": "原因", "failures": "连续失败次数", "locked": "已锁定", "second_factor": "第二步",
    "method": "方式", "role": "角色", "from": "原值", "to": "新值", "unit": "单位",
    "name": "名称", "category": "类别", "code": "代码", "created": "新增", "updated": "更新",
    "inserted": "新增", "rows": "行数", "errors": "问题数", "changes": "改动数", "count": "数量",
    "status": "状态", "ids": "编号", "kind": "类型", "version": "问卷版本", "period": "统计期",
    "audience": "调查对象", "seed": "随机种子", "frame_size": "样本框大小",
    "sample_size": "样本量", "roster_hash": "样本框快照哈希", "strata": "分层字段",
    "allocation": "分配方式", "rate": "抽样比例", "total_n": "总样本量",
    "excluded_campaigns": "排除的批次", "fingerprint": "方案指纹", "awaiting": "未回复邀请",
    "drafts": "填写中草稿", "early": "提前结束", "filter": "筛选条件", "select_all": "全选",
    "marked": "记为已提醒", "format": "格式", "full_contacts": "含完整联系方式",
    "links": "链接数", "page": "页码", "cards": "二维码数", "invitation": "邀请",
    "replacement": "替补邀请", "channel": "渠道", "job": "后台任务", "scheme": "考核方案",
    "scopes": "权限范围", "scope": "权限范围", "token": "令牌", "units": "单位",
    "unknown_units": "未知单位", "themes": "主题", "opinions": "意见", "keyword": "关键词",
    "deadline": "截止日期", "others": "其他主题", "was_enrolled": "原已启用", "days": "天数",
    "campaign": "调查批次", "campaign_ids": "调查批次", "runs": "运行次数", "run": "运行",
    "computed": "已计算", "flags": "标记", "inputs_hash": "输入哈希", "rate_percent": "抽样比例",
    "detail": "说明", "held_job": "待确认任务", "discarded": "确认不保存的跳过题",
}
VALUE_LABELS: dict[str, str] = {
    "unknown_user": "用户名不存在", "bad_password": "密码错误", "inactive": "账号已停用",
    "locked": "账号已锁定", "bad_code": "验证码错误", "reused_code": "验证码已用过",
    "verify": "输入验证码", "enrol": "设置两步验证", "password": "密码", "totp": "动态验证码",
    "recovery": "恢复码", "proportional": "按比例分配", "neyman": "奈曼最优分配",
    "fixed_rate": "各层固定比例", "enterprise": "企业", "resident": "居民", "xlsx": "XLSX",
    "csv": "CSV", "admin": "系统管理员", "analyst": "分析员", "office": "绩效办",
    "unit_viewer": "被考评单位", "data_entry": "数据录入员", "all": "全部",
    "started": "已开始填写", "not_started": "尚未开始", "reminded": "已提醒过",
    "never_reminded": "从未提醒",
}


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


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        if len(value) == 2 and all(not isinstance(v, list | dict) for v in value):
            return f"{_value(value[0])} → {_value(value[1])}"
        return "、".join(_value(v) for v in value[:50]) + ("…" if len(value) > 50 else "")
    if isinstance(value, dict):
        return "，".join(f"{DETAIL_LABELS.get(k, k)} {_value(v)}" for k, v in value.items())
    text = str(value)
    return VALUE_LABELS.get(text, text)


# Details whose value is a list of items, never a [before, after] pair (a two-strata draw read
# "分层字段：industry → size_class").
_LIST_DETAILS = frozenset({"excluded_campaigns", "campaign_ids", "ids", "units", "unknown_units",
                           "scopes", "themes", "opinions", "others", "flags", "discarded"})


def _detail_value(key: str, value: Any) -> str:
    if key == "strata" and isinstance(value, list):
        return " × ".join(ROSTER_FIELD_LABELS.get(str(v), str(v)) for v in value) or "不分层"
    if key == "rate" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:g}%"
    if key in _LIST_DETAILS and isinstance(value, list):
        return "、".join(_value(v) for v in value) or "无"
    return _value(value)


def detail_text(detail: dict[str, Any]) -> str:
    """{"reason": "bad_password", "failures": 2} -> 原因：密码错误；连续失败次数：2"""
    if not detail:
        return ""
    return "；".join(f"{DETAIL_LABELS.get(k, k)}：{_detail_value(k, v)}" for k, v in detail.items())
