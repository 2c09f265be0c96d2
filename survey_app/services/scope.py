"""Object-level authorisation: which units a user may see."""

from __future__ import annotations

from survey_app.errors import NotFound
from survey_app.roles import UNIT_VIEWER
from survey_app.services.auth import CurrentUser


def can_see_unit(user: CurrentUser, unit_id: int) -> bool:
    return user.role != UNIT_VIEWER or user.unit_id == unit_id


def require_unit_access(user: CurrentUser, unit_id: int) -> None:
    """A unit viewer asking for another unit gets the same answer as for a missing unit."""
    if not can_see_unit(user, unit_id):
        raise NotFound("单位不存在或无权查看")
