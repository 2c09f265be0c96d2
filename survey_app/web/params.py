"""Parameter types shared by the route handlers."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

# Database ids are 32-bit on PostgreSQL; anything outside is refused before it reaches a query.
RecordId = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]
