"""Small helpers shared by the query modules: JSON columns come back as text on some drivers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def json_value(raw: Any, default: Any) -> Any:
    """Decode a JSON column whatever the driver returned (text on SQLite/raw asyncpg)."""
    if raw is None:
        return default
    if isinstance(raw, str | bytes):
        return json.loads(raw) if raw else default
    return raw


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite may return naive datetimes; every timestamp we write is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
