"""Every action the application writes to the audit log, with its Chinese name and, in that
action's own context, the Chinese name of each detail key and of each coded value.

The same key means different things in different actions ("cards" is the number of QR cards
printed in campaign.qr_sheet but of red/yellow cards issued in appraisal.publish; "from"/"to"
are roles, theme workflow states or names), so labels are given per action and fall back to
the generic ones in audit_labels only where the meaning is the same everywhere.
tests/unit/test_audit_actions.py scans the source for every audited action and detail key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analysis.scoring.quality import QualityIssue
from survey_app.roles import ROLE_LABELS
from survey_app.services.api_tokens import SCOPES
from survey_app.services.campaigns import REPLACEMENT_REASONS
from survey_app.services.lifecycle import FILTERS as REMINDER_FILTERS
from survey_app.services.roster import STATUS_LABELS as ROSTER_STATUS_LABELS
from survey_app.services.themes.common import CHANNEL_LABELS, SENTIMENT_LABELS
from survey_app.services.themes.common import STATUS_LABELS as THEME_STATUS_LABELS
from survey_app.services.themes.lexicon import KINDS as LEXICON_KINDS  # noqa: F401 (re-exported)
from survey_app.services.themes.set_aside import SET_ASIDE_REASONS

# Action types for the audit log's filter: the action's prefix -> label.
ACTION_TYPES: dict[str, str] = {
    "login": "登录与身份验证", "user": "账号", "mfa": "两步验证", "api": "API 令牌与调用",
    "unit": "单位", "roster": "样本框", "questionnaire": "问卷", "campaign": "调查批次",
    "entry": "纸质录入", "open_link": "公开链接", "response": "答卷审核", "scores": "满意度得分",
    "appraisal": "考核结果",
    "themes": "意见主题", "retention": "个人信息清除", "audit": "审计日志",
}
# A key whose value is what a person typed (a reason, a name): never looked up as a code.
AS_TYPED: Mapping[str, str] = {}

# Why a password or second-factor check failed (auth.py, mfa.py, reauth.py).
FAILURE_REASONS = {
    "unknown_user": "用户名不存在", "bad_password": "密码错误", "inactive": "账号已停用",
    "locked": "账号已锁定", "bad_code": "验证码错误", "reused_code": "验证码已用过",
    "replayed": "验证码已用过（重复提交）", "bad_recovery_code": "恢复码错误",
    "secret_unreadable": "两步验证密钥无法读取（请管理员重置两步验证）",
    "half_session_spent": "验证页面已过期，需重新登录",
}
SECOND_FACTOR = {"verify": "输入验证码", "enrol": "设置两步验证"}
CHECK_METHODS = {"password": "密码", "totp": "动态验证码", "recovery": "恢复码"}
ALLOCATIONS = {"proportional": "按比例分配", "neyman": "奈曼最优分配", "fixed_rate": "各层固定比例"}
AUDIENCES = {"enterprise": "企业", "resident": "居民"}
EXPORT_FORMATS = {"xlsx": "XLSX 表格", "csv": "CSV 文件", "yaml": "YAML 文本", "xlsform": "XLSForm 表格",
                  "pdf": "PDF 文件"}
THEME_EDITS = {"split": "拆分", "merge": "合并", "pin": "固定关键词"}
CARD_DECISIONS = {"accept": "通过，解除红黄牌", "return": "退回重新整改"}
QUALITY_FLAGS = {issue.value: issue.label for issue in QualityIssue}
# The filter of the audit log's own export (audit_log.AuditQuery) and of the theme report
# (themes OpinionFilter): the labels of the keys inside the "filter" detail.
AUDIT_FILTER_KEYS = {"date_from": "开始日期", "date_to": "结束日期", "actor": "操作人",
                     "type": "操作类型", "action": "操作", "target": "对象"}
OPINION_FILTER_KEYS = {"campaign_ids": "调查批次", "unit_code": "单位", "question": "题目",
                       "channel": "渠道", "period": "统计期", "industry": "行业",
                       "size_class": "规模", "street": "街道"}
# Whose detail holds a [before, after] pair per changed field (unit.update).
UNIT_FIELDS = {"code": "代码", "name": "名称", "category": "类别"}


@dataclass(frozen=True)
class Action:
    label: str
    keys: Mapping[str, str] = field(default_factory=dict)  # detail key -> label here
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # key -> code -> name
    nested: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # dict key -> its keys


_LOGIN_FAILURE = {"reason": "原因", "failures": "连续失败次数", "locked": "因此锁定账号"}
_THEME_MOVE = {"from": "原状态", "to": "新状态"}
_THEME_MOVE_VALUES = {"from": THEME_STATUS_LABELS, "to": THEME_STATUS_LABELS}
_THEME_EDIT = {"kind": "操作", "theme_id": "主题编号", "others": "并入的主题编号",
               "keyword": "固定的关键词", "k": "拆分数量（空为自动）", "label": "合并后名称",
               "labels": "拆分后名称", "job": "后台任务编号"}
_THEME_EDIT_VALUES = {"kind": THEME_EDITS, "keyword": AS_TYPED, "label": AS_TYPED,
                      "labels": AS_TYPED}
_CARD = {"card": "红黄牌编号", "chars": "整改方案字数", "decision": "审核结论", "note": "审核意见"}
_RESPONSE = {"campaign": "调查批次编号", "reason": "理由", "flags": "质量标记", "receipt": "回执编号"}
_RESPONSE_VALUES = {"reason": AS_TYPED, "flags": QUALITY_FLAGS, "receipt": AS_TYPED}
_UPLOAD = {"upload": "上传编号", "cells": "数据格数", "problems": "问题数", "changed": "改动格数",
           "unchanged": "未变格数"}

ACTIONS: dict[str, Action] = {
    # --- Signing in ---------------------------------------------------------------------
    "login": Action("登录", {**_LOGIN_FAILURE, "second_factor": "下一步"},
                    {"reason": FAILURE_REASONS, "second_factor": SECOND_FACTOR}),
    "logout": Action("退出登录"),
    "reauth": Action("再次验证身份", {**_LOGIN_FAILURE, "method": "验证方式"},
                     {"reason": FAILURE_REASONS, "method": CHECK_METHODS}),
    # --- Accounts -----------------------------------------------------------------------
    "user.create": Action("新建账号", {"role": "角色", "unit": "所属单位代码"}, {"role": ROLE_LABELS}),
    "user.role": Action(
        "修改账号角色",
        {"from": "原角色", "to": "新角色", "unit": "所属单位代码", "unit_before": "原所属单位代码"},
        {"from": ROLE_LABELS, "to": ROLE_LABELS},
    ),
    "user.password": Action("修改本人密码", {"other_sessions_ended": "退出的其他登录会话数"}),
    "user.password_reset": Action("重置账号密码"),
    "user.unlock": Action("解锁账号", {"failures": "解锁前连续失败次数"}),
    "user.disable": Action("停用账号"),
    "user.enable": Action("启用账号"),
    # --- Two-step verification ------------------------------------------------------------
    "mfa.enrol": Action("设置两步验证", {"reason": "原因", "renewal": "更换验证器"},
                        {"reason": FAILURE_REASONS}),
    "mfa.verify": Action("两步验证登录", {**_LOGIN_FAILURE, "method": "验证方式",
                                     "recovery_codes_left": "剩余恢复码"},
                         {"reason": FAILURE_REASONS, "method": CHECK_METHODS}),
    "mfa.disable": Action("关闭两步验证"),
    "mfa.renew": Action("更换两步验证密钥"),
    "mfa.recovery_codes": Action("重新生成恢复码", {"count": "生成恢复码数"}),
    "mfa.reset": Action("重置他人两步验证", {"reason": "原因", "was_enrolled": "重置前已启用"},
                        {"reason": AS_TYPED}),
    # --- API ----------------------------------------------------------------------------
    "api_token.create": Action("新建 API 令牌", {"token": "令牌编号", "scopes": "权限范围",
                                             "days": "有效天数（空为不过期）"},
                               {"scopes": SCOPES}),
    "api_token.revoke": Action("撤销 API 令牌", {"token": "令牌编号", "scopes": "权限范围"},
                               {"scopes": SCOPES}),
    "api.use": Action("使用 API", {"scope": "所需权限", "token": "令牌编号", "status": "拒绝（HTTP 状态码）"},
                      {"scope": SCOPES}),
    # --- Units --------------------------------------------------------------------------
    "unit.create": Action("新建单位", {"name": "名称", "category": "类别"}),
    "unit.update": Action("修改单位", UNIT_FIELDS),
    "unit.activate": Action("恢复单位参加考评", {"name": "名称"}),
    "unit.deactivate": Action("停用单位", {
        "name": "名称", "open_campaigns": "停用时进行中的调查数", "draft_campaigns": "停用时草稿调查数",
    }),
    "unit.delete": Action("删除单位", {"name": "名称"}),
    "unit.import": Action("导入单位名录", {"created": "新增单位数", "updated": "更新单位数"}),
    "unit_category.create": Action("新增单位类别"),
    "unit_category.rename": Action("单位类别改名", {"from": "原名称", "to": "新名称"},
                                   {"from": AS_TYPED, "to": AS_TYPED}),
    "unit_category.delete": Action("删除单位类别"),
    # --- Roster -------------------------------------------------------------------------
    "roster.import": Action("导入样本框", {"rows": "数据行数", "inserted": "新增对象数",
                                      "updated": "更新对象数", "errors": "问题行数"}),
    "roster.import_held": Action("样本框导入待确认", {"rows": "数据行数", "changes": "待确认改动数"}),
    "roster.import_confirm": Action("确认样本框导入", {"changes": "确认的改动数"}),
    "roster.import_cancel": Action("取消样本框导入", {"changes": "放弃的改动数"}),
    "roster.contact_view": Action("查看完整联系方式", {"kind": "对象类型"}, {"kind": AUDIENCES}),
    "roster.status": Action("标记样本框对象状态", {"status": "标记为", "count": "标记对象数",
                                          "ids": "对象编号"},
                            {"status": ROSTER_STATUS_LABELS}),
    "roster.error_report": Action("下载导入问题报告", {"errors": "问题行数"}),
    # --- Questionnaires -----------------------------------------------------------------
    "questionnaire.draft": Action("新建问卷草稿", {"version": "问卷版本"}),
    "questionnaire.edit": Action("编辑问卷", {"version": "问卷版本"}),
    "questionnaire.publish": Action("发布问卷", {"version": "问卷版本",
                                            "unknown_units": "单位名录中没有的单位代码"}),
    "questionnaire.export": Action("导出问卷", {"version": "问卷版本", "format": "格式"},
                                   {"format": EXPORT_FORMATS}),
    # --- Campaigns ----------------------------------------------------------------------
    "campaign.create": Action("新建调查批次", {"period": "统计期", "audience": "调查对象",
                                         "version": "问卷版本编号"},
                              {"audience": AUDIENCES}),
    "campaign.draw": Action("抽样", {"seed": "随机种子", "frame_size": "样本框大小",
                                   "sample_size": "样本量", "roster_hash": "样本框快照哈希",
                                   "strata": "分层字段", "allocation": "分配方式",
                                   "rate": "抽样比例", "total_n": "总样本量",
                                   "excluded_campaigns": "排除的批次", "fingerprint": "方案指纹"},
                            {"allocation": ALLOCATIONS}),
    "campaign.open": Action("开始调查"),
    "campaign.close": Action("结束调查", {"awaiting": "未回复邀请", "drafts": "填写中草稿",
                                      "early": "提前结束"}),
    "campaign.reopen": Action("重新开放调查", {"reason": "原因"}, {"reason": AS_TYPED}),
    "campaign.results_final": Action("标记结果已公布"),
    "campaign.replace": Action("同层替补", {"invitation": "被替补的邀请编号",
                                        "replacement": "替补邀请编号", "reason": "替补原因",
                                        "stratum": "所在层", "draft_answered": "草稿已答题数",
                                        "draft_saved_at": "草稿最近保存时间",
                                        "reminders": "已提醒次数", "confirmed": "经确认替补"},
                               {"reason": {k: r.label for k, r in REPLACEMENT_REASONS.items()}}),
    "campaign.remind": Action("记录提醒", {"count": "记为已提醒的对象数"}),
    "campaign.reminder_batch": Action("导出提醒批次", {"rows": "导出对象数", "filter": "范围",
                                                 "select_all": "全选", "marked": "同时记为已提醒"},
                                      {"filter": REMINDER_FILTERS}),
    "campaign.export_links": Action("导出邀请名单", {"format": "格式", "full_contacts": "含完整联系方式",
                                                "rows": "导出行数"},
                                    {"format": EXPORT_FORMATS}),
    "campaign.links": Action("导出问卷链接", {"links": "链接数"}),
    "campaign.qr_sheet": Action("打印二维码", {"page": "页码", "cards": "二维码数"}),
    "campaign.open_link": Action("开放链接操作"),  # written by earlier versions
    "open_link.create": Action("创建公开链接"),
    "open_link.pause": Action("暂停公开链接"),
    "open_link.resume": Action("恢复公开链接"),
    "open_link.revoke": Action("作废公开链接"),
    "open_link.poster": Action("打印公开链接海报"),
    "entry.submit": Action("录入纸质问卷", {"invitation": "邀请编号", "channel": "渠道"},
                           {"channel": CHANNEL_LABELS}),
    # --- Scores and response review -----------------------------------------------------
    "response.exclude": Action("剔除答卷", _RESPONSE, _RESPONSE_VALUES),
    "response.keep": Action("保留答卷", _RESPONSE, _RESPONSE_VALUES),
    "response.restore": Action("恢复答卷", _RESPONSE, _RESPONSE_VALUES),
    "scores.compute": Action("计算满意度得分", {"run": "计算编号", "units": "单位数",
                                           "inputs_hash": "输入数据哈希"}),
    "scores.export": Action("导出得分", {"format": "格式", "runs": "计算编号", "rows": "导出行数"},
                            {"format": EXPORT_FORMATS}),
    # --- Appraisal ----------------------------------------------------------------------
    "appraisal.scheme": Action("保存考核方案", {"scheme": "方案编号", "name": "方案名称",
                                           "version": "方案文本版本"}),
    "appraisal.inputs.rejected": Action("上传考核指标数据（未通过检查）", _UPLOAD),
    "appraisal.inputs.staged": Action("上传考核指标数据（待确认）", _UPLOAD),
    "appraisal.inputs.applied": Action("确认应用考核指标数据", {
        "upload": "上传编号", "changed": "改动格数", "unchanged": "未变格数",
        "cells": "改动（单位代码、期、指标、原值、新值）"}),
    "appraisal.inputs.discarded": Action("放弃上传的考核指标数据", _UPLOAD),
    "appraisal.run": Action("计算考核结果", {
        "scheme": "方案编号", "run": "计算编号", "units": "单位数", "inputs_hash": "输入数据哈希",
        "periods": "纳入的调查期", "include_low": "纳入回收率不足的期",
        "low_reason": "纳入回收率不足的期的理由", "missing_count": "缺失的指标数据格数",
        "missing_reason": "缺失数据照算的理由"},
        {"low_reason": AS_TYPED, "missing_reason": AS_TYPED}),
    "appraisal.override": Action("调整考核等次", {
        "unit": "单位代码", "computed": "计算等次", "from": "调整前等次", "to": "调整后等次",
        "reason": "调整理由", "quota_breach": "突破强制分布", "quota_reason": "突破依据"},
        {"reason": AS_TYPED, "quota_reason": AS_TYPED, "from": AS_TYPED, "to": AS_TYPED}),
    "appraisal.publish": Action("发布考核结果", {
        "run": "计算编号", "republish": "重新发布", "reason": "发布说明", "changes": "结果有变化的单位数",
        "cards": "发出红黄牌数"}, {"reason": AS_TYPED}),
    "appraisal.export": Action("导出考核结果", {"format": "格式", "rows": "导出行数", "state": "结果状态"},
                               {"format": EXPORT_FORMATS}),
    "appraisal.card.plan": Action("提交红黄牌整改方案", _CARD),
    "appraisal.card.review": Action("审核红黄牌整改方案", _CARD,
                                    {"decision": CARD_DECISIONS, "note": AS_TYPED}),
    # --- Opinion themes -----------------------------------------------------------------
    "themes.run": Action("意见聚类", {
        "campaign_ids": "调查批次编号", "unit_code": "单位代码", "question": "题目",
        "channel": "渠道", "k": "主题数（空为自动）", "seed": "随机种子"},
        {"channel": CHANNEL_LABELS}),
    "themes.run_confirm": Action("确认聚类结果", {"new": "新主题数", "grown": "扩大的主题数",
                                             "retired": "消失的主题数", "shrunk": "缩小的主题数"}),
    "themes.run_discard": Action("放弃聚类结果"),
    "themes.assign_new": Action("归类新意见"),
    "themes.rename": Action("主题改名", {"from": "原名称", "to": "新名称"},
                            {"from": AS_TYPED, "to": AS_TYPED}),
    "themes.merge": Action("合并主题", _THEME_EDIT, _THEME_EDIT_VALUES),
    "themes.split": Action("拆分主题", _THEME_EDIT, _THEME_EDIT_VALUES),
    "themes.pin": Action("固定关键词", _THEME_EDIT, _THEME_EDIT_VALUES),
    "themes.unpin": Action("取消固定关键词", {"keyword": "关键词"}, {"keyword": AS_TYPED}),
    "themes.move": Action("移动意见", {"opinions": "意见编号", "count": "移动的意见数"}),
    "themes.exclude": Action("排除意见", {"opinions": "意见编号", "count": "排除的意见数"}),
    "themes.restore": Action("恢复已搁置的意见", {
        **{reason: f"恢复的意见编号（{label}）" for reason, label in SET_ASIDE_REASONS.items()},
        "count": "恢复的意见数"}),
    "themes.sentiment": Action("更正意见情感", {"label": "更正为", "theme": "所在主题编号"},
                               {"label": {**SENTIMENT_LABELS, "": "取消更正"}}),
    "themes.create": Action("采纳新议题为主题", {"word": "议题关键词", "count": "意见数"},
                            {"word": AS_TYPED}),
    "themes.handover": Action("交办主题", {"unit": "承办单位代码", "deadline": "整改期限",
                                       **_THEME_MOVE}, _THEME_MOVE_VALUES),
    "themes.reply": Action("单位回复整改", _THEME_MOVE, _THEME_MOVE_VALUES),
    "themes.accept": Action("验收整改", _THEME_MOVE, _THEME_MOVE_VALUES),
    "themes.return": Action("退回整改", _THEME_MOVE, _THEME_MOVE_VALUES),
    "themes.export": Action("导出主题报告", {"filter": "筛选条件", "themes": "主题数",
                                        "opinions": "意见数", "suppressed": "因人数过少未列出的主题数"},
                            {"channel": CHANNEL_LABELS}, {"filter": OPINION_FILTER_KEYS}),
    "themes.xlsx": Action("导出主题表格"),  # written by earlier versions
    "themes.lexicon": Action("修改词表", {"version": "词表版本", "entries": "条目数"}),
    # --- Retention and the audit log itself -----------------------------------------------
    "retention.purge": Action("清除到期个人信息", {"days": "保存天数",
                                             "unlinked_invitations": "解除关联的邀请数",
                                             "deleted_drafts": "删除的填写中草稿数"}),
    "audit.export": Action("导出审计日志", {"rows": "导出行数", "filter": "筛选条件"},
                           {"type": ACTION_TYPES, "action": AS_TYPED, "actor": AS_TYPED,
                            "target": AS_TYPED}, {"filter": AUDIT_FILTER_KEYS}),
}
