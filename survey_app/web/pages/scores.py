"""scores pages (see the module owner)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
