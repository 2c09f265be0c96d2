"""Roles and what the UI calls them."""

from __future__ import annotations

ADMIN = "admin"
ANALYST = "analyst"
OFFICE = "office"
UNIT_VIEWER = "unit_viewer"
DATA_ENTRY = "data_entry"

ROLE_LABELS = {
    ADMIN: "系统管理员",
    ANALYST: "分析员",
    OFFICE: "绩效办",
    UNIT_VIEWER: "被考评单位",
    DATA_ENTRY: "数据录入员",
}

ALL_ROLES = tuple(ROLE_LABELS)
