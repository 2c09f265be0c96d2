"""Statements shared by the requests of one event-loop turn (PostgreSQL's respondent path).

A burst of respondents arrives within milliseconds. The point reads (`GroupedReads`) and the
writes (`GroupedWrites`) that start during one turn of the event loop are answered by ONE
statement on one pooled connection: one round trip, one pool checkout and, for writes, one
commit (one WAL flush) per turn instead of one per request. Each request still starts its
statement after it arrived, so what it reads is as fresh, and what it writes as durable, as
with a statement of its own.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

# Writes in one statement at most: a larger burst is split into statements that run side by
# side on pooled connections (each holds its rows' locks and WAL until its commit). A full
# group starts at once instead of at the end of the turn, so the database works on it while the
# loop still validates the rest: at 64 clients, 24 gave 1,154-1,158 submissions/s and a median
# p99 of 96-102 ms against 966/s and 113 ms with 64, alternating on one database
# (bench/NOTE_submissions.md); 8 was worse again (more statements, more commits).
MAX_GROUP = 24


def settle(future: asyncio.Future[Any], result: Any = None,
            error: BaseException | None = None) -> None:
    if future.done():  # the caller was cancelled (client gone): what is written stays written
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def settle_each(futures: list[asyncio.Future[Any]], results: list[Any]) -> None:
    """Each future its result, or its error where the result is an exception."""
    for future, result in zip(futures, results, strict=True):
        if isinstance(result, BaseException):
            settle(future, error=result)
        else:
            settle(future, result)


class GroupedReads:
    """Point reads by one key that start in the same turn of the event loop, answered by ONE
    statement (`sql` takes the array of keys as $1; `key` names the column that tells the rows
    apart): a burst of respondent pages on PostgreSQL costs one round trip, one pool checkout
    and one statement per turn instead of one per page. Each read still starts after its
    request arrived, so what it returns is as fresh as a read of its own."""

    def __init__(self, sql: str, key: str) -> None:
        self.sql = sql
        self.key = key
        self._waiting: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Any, list[asyncio.Future[Any]]]
        ] = weakref.WeakKeyDictionary()

    async def read(self, pool: Any, value: Any) -> Any:
        """The row whose key is `value`, or None."""
        loop = asyncio.get_running_loop()
        waiting = self._waiting.get(loop)
        if waiting is None:
            waiting = self._waiting[loop] = {}
            loop.call_soon(self._start, loop, pool)
        future: asyncio.Future[Any] = loop.create_future()
        waiting.setdefault(value, []).append(future)
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop, pool: Any) -> None:
        _spawn(loop, self._answer(pool, self._waiting.pop(loop)))

    async def _answer(self, pool: Any, batch: dict[Any, list[asyncio.Future[Any]]]) -> None:
        futures = [future for waiting in batch.values() for future in waiting]
        try:
            rows = await pool.fetch(self.sql, list(batch))
        except Exception as error:  # every waiting request fails as its own read would
            for future in futures:
                settle(future, error=error)
            return
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        found = {row[self.key]: row for row in rows}
        for value, waiting in batch.items():
            for future in waiting:
                settle(future, found.get(value))


class GroupedWrites:
    """Writes that start in the same turn of the event loop, made by ONE call of
    `write_many(connection, items)` on one pooled connection (PostgreSQL submissions: one round
    trip and one commit for a burst). `write_many` returns one result or exception per item and
    leaves nothing of a failed item written."""

    def __init__(self, write_many: Callable[[Any, list[Any]], Any]) -> None:
        self.write_many = write_many
        self._waiting: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[tuple[Any, asyncio.Future[Any]]]
        ] = weakref.WeakKeyDictionary()

    async def write(self, pool: Any, item: Any) -> Any:
        """This item's result once committed; raises its error."""
        loop = asyncio.get_running_loop()
        waiting = self._waiting.get(loop)
        if waiting is None:
            waiting = self._waiting[loop] = []
            loop.call_soon(self._start, loop, pool, waiting)
        future: asyncio.Future[Any] = loop.create_future()
        waiting.append((item, future))
        if len(waiting) >= MAX_GROUP:
            self._waiting.pop(loop)  # full: written now; later items make a group of their own
        return await future  # cancelled alone: the group's write goes on for the others

    def _start(self, loop: asyncio.AbstractEventLoop, pool: Any,
               batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        if self._waiting.get(loop) is batch:
            del self._waiting[loop]
        _spawn(loop, self._write(pool, batch))

    async def _write(self, pool: Any, batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        try:
            async with pool.acquire() as connection:
                results = await self.write_many(connection, [item for item, _ in batch])
        except BaseException as error:  # no connection: every waiting write fails with it
            for _, future in batch:
                settle(future, error=error)
            if not isinstance(error, Exception):
                raise
            return
        settle_each([future for _, future in batch], results)


_RUNNING: set[asyncio.Task[None]] = set()  # their tasks, kept referenced until done


def _spawn(loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, None]) -> None:
    task = loop.create_task(work)
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
