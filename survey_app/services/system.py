"""The platform's own state, for monitoring."""

from __future__ import annotations

from survey_app.db.queries import units


async def database_answers() -> bool:
    """True when the database answers a query; the one dependency worth reporting."""
    try:
        await units.count_units()
    except Exception:  # any driver or network failure means "not ready"
        return False
    return True
