"""Jinja2 environment setup: filters and globals shared by all templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from survey_app.roles import ROLE_LABELS
from survey_app.web.answer_view import answer_view
from survey_app.web.static_assets import static_url

_CHINA = dt.timezone(dt.timedelta(hours=8))


def format_time(value: dt.datetime | None) -> str:
    """Show times in China Standard Time; the database stores UTC."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M")


def format_percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


# Navigation per role; each feature adds its pages here.
NAV_BY_ROLE: dict[str, list[tuple[str, str]]] = {
    "admin": [
        ("首页", "/"), ("单位", "/units"), ("样本框", "/roster"), ("问卷", "/questionnaires"),
        ("调查批次", "/campaigns"), ("意见主题", "/themes"), ("满意度得分", "/scores"),
        ("考核结果", "/appraisal"), ("账号", "/admin/users"), ("API 令牌", "/admin/api-tokens"),
        ("审计日志", "/admin/audit"),
    ],
    "analyst": [("首页", "/"), ("意见主题", "/themes"), ("满意度得分", "/scores")],
    "office": [
        ("首页", "/"), ("调查批次", "/campaigns"), ("满意度得分", "/scores"),
        ("考核结果", "/appraisal"), ("单位", "/units"),
    ],
    "unit_viewer": [("首页", "/"), ("本单位得分", "/scores"), ("整改事项", "/themes/assigned")],
    "data_entry": [("首页", "/"), ("纸质问卷录入", "/entry")],
}


def nav_for(role: str) -> list[tuple[str, str]]:
    return NAV_BY_ROLE.get(role, [("首页", "/")])


def configure_environment(engine: Any) -> None:
    env = engine.engine
    env.filters["time"] = format_time
    env.filters["percent"] = format_percent
    env.globals["ROLE_LABELS"] = ROLE_LABELS
    env.globals["nav_for"] = nav_for
    env.globals["answer_view"] = answer_view
    env.globals["static_url"] = static_url
    env.trim_blocks = True
    env.lstrip_blocks = True
    # Templates ship inside the package and change only with a new release (and a restart):
    # no file-system check on every render (~3 % of a submission's CPU).
    env.auto_reload = False
