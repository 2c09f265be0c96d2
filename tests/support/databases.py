"""A throwaway PostgreSQL database next to the one an admin URL names: the test session's
(tests/conftest.py) and each bench run's (bench/_submit_server.py, bench/scores_speed.py)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit


def database_url(admin_url: str, name: str) -> str:
    """The URL of database `name` on the server of `admin_url`."""
    return urlunsplit(urlsplit(admin_url)._replace(path="/" + name))


async def run_admin_sql(admin_url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def scratch_postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """Create `<prefix>_<random>` on the server of `admin_url`, yield its URL, drop it after
    (forcibly: a server left running must not keep it alive)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    asyncio.run(run_admin_sql(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(admin_url, name)
    finally:
        asyncio.run(run_admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
