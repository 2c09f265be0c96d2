"""Builds the one database engine from settings.

SQLite: Piccolo's stock engine opens a new connection for every query outside a transaction and
lets concurrent writers fight over the file lock; under load that costs 4-8x in throughput and
gives second-long tails (see shared/research/performance.md). `SerialSQLiteEngine` keeps one
long-lived writer connection per event loop, serialises every write and every transaction through
an asyncio lock (BEGIN IMMEDIATE), and serves plain SELECTs from a small pool of long-lived reader
connections, which WAL lets run beside the writer.

PostgreSQL: Piccolo's asyncpg engine with a connection pool started by the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from survey_app.config import Settings

T = TypeVar("T")
READER_POOL_SIZE = 4
BUSY_TIMEOUT_MS = 10_000


@dataclass
class _LoopConnections:
    """Connections owned by one event loop (aiosqlite futures are bound to a loop)."""

    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    writer: aiosqlite.Connection | None = None
    idle_readers: list[aiosqlite.Connection] = field(default_factory=list)
    all_readers: list[aiosqlite.Connection] = field(default_factory=list)
    reader_slots: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(READER_POOL_SIZE)
    )
    point_reader: sqlite3.Connection | None = None


class SerialTransaction(SQLiteTransaction):
    """A transaction on the shared writer connection, holding the write lock throughout."""

    __slots__ = ("_lock_held",)

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        engine: SerialSQLiteEngine = self.engine  # type: ignore[assignment]
        state = engine.loop_connections()
        await state.write_lock.acquire()
        try:
            self.connection = await engine.writer_connection(state)
            # Every transaction takes the write lock up front: a deferred transaction that later
            # writes could deadlock against another process; IMMEDIATE fails fast instead.
            self.transaction_type = TransactionType.immediate
            await self.begin()
        except BaseException:
            state.write_lock.release()
            raise
        self.context = engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:  # type: ignore[no-untyped-def]
        if self._parent:
            return exception is None
        engine: SerialSQLiteEngine = self.engine  # type: ignore[assignment]
        state = engine.loop_connections()
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            engine.current_transaction.reset(self.context)
            state.write_lock.release()
        return exception is None


class SerialSQLiteEngine(SQLiteEngine):
    """SQLite engine with one serialised writer connection and a reader pool per event loop."""

    def __init__(self, path: str) -> None:
        super().__init__(path=path, timeout=BUSY_TIMEOUT_MS / 1000)
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnections] = (
            weakref.WeakKeyDictionary()
        )

    def loop_connections(self) -> _LoopConnections:
        loop = asyncio.get_running_loop()
        state = self._per_loop.get(loop)
        if state is None:
            state = self._per_loop[loop] = _LoopConnections()
        return state

    async def _open(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # aiosqlite's worker thread is non-daemon: a connection left open by a crashed command
        # would keep the process alive forever. Committed data is safe in the WAL either way.
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = 1",
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
        ):
            await connection.execute(pragma)
        return connection

    async def writer_connection(self, state: _LoopConnections) -> aiosqlite.Connection:
        if state.writer is None:
            state.writer = await self._open()
        return state.writer

    async def get_connection(self) -> aiosqlite.Connection:  # used by batch(): a fresh reader
        return await self._open()

    async def _run_in_existing_connection(  # type: ignore[no-untyped-def]
        self, connection, query, args=None, query_type="generic", table=None
    ):
        # The stock version re-runs PRAGMA foreign_keys before every statement; ours are set once.
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    async def _run_in_new_connection(  # type: ignore[no-untyped-def]
        self, query, args=None, query_type="generic", table=None
    ):
        state = self.loop_connections()
        if query_type == "select":
            return await self._run_on_reader(state, query, args or [])
        async with state.write_lock:
            writer = await self.writer_connection(state)
            async with writer.execute(query, args or []) as cursor:
                return await cursor.fetchall()

    async def _run_on_reader(self, state: _LoopConnections, query: str, args: list[Any]) -> Any:
        async with state.reader_slots:
            if state.idle_readers:
                reader = state.idle_readers.pop()
            else:
                reader = await self._open()
                state.all_readers.append(reader)
            try:
                async with reader.execute(query, args) as cursor:
                    return await cursor.fetchall()
            finally:
                state.idle_readers.append(reader)

    def select_now(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        """A point read by primary or unique key, run on the event loop's own thread.

        For the respondent pages' one query per request: a thread hop to an aiosqlite reader
        costs more than the read (WAL: a reader never waits for the writer). Only for reads
        that touch a handful of rows by index. `query` uses `?` placeholders."""
        state = self.loop_connections()
        if state.point_reader is None:
            connection = sqlite3.connect(**self.connection_kwargs)
            connection.row_factory = dict_factory
            for pragma in ("PRAGMA journal_mode = WAL", "PRAGMA query_only = 1",
                           f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"):
                connection.execute(pragma)
            state.point_reader = connection
        return state.point_reader.execute(query, args).fetchall()

    async def run_in_writer(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` in ONE transaction on the writer connection's own thread:
        a submission's statements cost one thread hop instead of one each (BEGIN IMMEDIATE,
        COMMIT, or ROLLBACK and re-raise)."""
        state = self.loop_connections()
        async with state.write_lock:
            writer = await self.writer_connection(state)

            def transaction(connection: sqlite3.Connection) -> T:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    result = work(connection)
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
                return result

            # aiosqlite runs a callable on its thread with the sqlite3 connection
            return await writer._execute(transaction, writer._conn)  # type: ignore[no-any-return]

    def transaction(  # type: ignore[override]
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SerialTransaction:
        return SerialTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def close(self) -> None:
        """Close this loop's connections (app shutdown, end of a CLI command)."""
        with contextlib.suppress(RuntimeError):
            state = self._per_loop.pop(asyncio.get_running_loop(), None)
            if state is None:
                return
            for connection in [*state.all_readers, *([state.writer] if state.writer else [])]:
                with contextlib.suppress(sqlite3.Error, ValueError):
                    await connection.close()
            if state.point_reader is not None:
                state.point_reader.close()


def build_engine(settings: Settings) -> Engine[Any]:
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return SerialSQLiteEngine(path=str(settings.sqlite_path))
    return PostgresEngine(config={"dsn": settings.database_url})


async def _keep_session(connection: Any) -> None:
    """A connection back in the pool needs no session reset: asyncpg still rolls back an open
    transaction, and the app changes no session state (no SET, LISTEN, held cursor or
    session-level advisory lock: audit.py's lock is transaction-scoped). The default reset is
    a round trip of four statements after every query: ~1/5 of a respondent page's CPU."""


async def start_engine(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=2, max_size=20, reset=_keep_session)


async def stop_engine(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, SerialSQLiteEngine):
        await engine.close()


def direct_sqlite(engine: Any) -> SerialSQLiteEngine | None:
    """The engine when a statement may bypass Piccolo (select_now, run_in_writer): SQLite and no
    transaction open in this task. Inside one (the demo loads in a single transaction) the write
    lock is already held and other connections cannot see its rows, so statements must go
    through the transaction."""
    if isinstance(engine, SerialSQLiteEngine) and engine.current_transaction.get() is None:
        return engine
    return None
