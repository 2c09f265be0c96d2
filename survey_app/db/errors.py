"""What the database drivers raise, translated for the layers above (which import no driver)."""

from __future__ import annotations

import sqlite3


def is_unique_violation(error: BaseException) -> bool:
    """A UNIQUE constraint refused the write, on SQLite or PostgreSQL (asyncpg)."""
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE" in str(error)
    return type(error).__name__ == "UniqueViolationError"
