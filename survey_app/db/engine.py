"""Builds the one database engine from settings.

SQLite: Piccolo's stock engine opens a new connection for every query outside a transaction and
lets concurrent writers fight over the file lock; under load that costs 4-8x in throughput and
gives second-long tails (see shared/research/performance.md). `SerialSQLiteEngine` keeps one
long-lived writer connection per event loop, serialises every write and every transaction through
an asyncio lock (BEGIN IMMEDIATE), and serves plain SELECTs from a small pool of long-lived reader
connections, which WAL lets run beside the writer.

The respondent path's writes (`run_in_writer`: a submission, a draft) run on a plain sqlite3
connection on the event loop's own thread: a thread hop per write let the GIL bounce between the
loop and aiosqlite's thread (each switch waits up to the 5 ms switch interval), which cost more
than the write itself. The writes that arrive during one turn of the loop are committed together
(group commit, each in its own savepoint); submissions even share their statements
(`write_grouped`). Such a transaction is short and never waits for the
file lock on the loop (busy timeout 0: when another process holds it, the writes go to the
aiosqlite thread instead), nor for a checkpoint's fsync: that connection does not checkpoint
itself; every CHECKPOINT_EVERY writes a PASSIVE checkpoint runs on a worker thread (it blocks
neither readers nor the writer). The respondent pages' point reads (`select_now`) use the same
connection, whose page cache its own commits keep valid.

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
from survey_app.db.turn_groups import settle, settle_each

T = TypeVar("T")
READER_POOL_SIZE = 4
CHECKPOINT_EVERY = 200
BUSY_TIMEOUT_MS = 10_000


_Batch = list[tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]]
_Outcomes = list[tuple["asyncio.Future[Any]", Any, BaseException | None]]


@dataclass
class _Group:
    """Items waiting for one `write_many` call, and their callers' futures (write_grouped)."""

    items: list[Any] = field(default_factory=list)
    futures: list[asyncio.Future[Any]] = field(default_factory=list)  # one per item

    def settle(self, done: asyncio.Future[list[Any]]) -> None:
        """Each item's result or error, once the group's write is committed (or failed)."""
        failure = asyncio.CancelledError() if done.cancelled() else done.exception()
        settle_each(self.futures, [failure] * len(self.futures) if failure else done.result())


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
    loop_writer: sqlite3.Connection | None = None
    commits_since_checkpoint: int = 0
    batch: _Batch = field(default_factory=list)  # works waiting for the next group commit
    flushing: asyncio.Task[None] | None = None
    checkpoint: asyncio.Task[None] | None = None
    groups: dict[Any, _Group] = field(default_factory=dict)  # write_grouped's, by write_many


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
        that touch a handful of rows by index. `query` uses `?` placeholders. It runs on the
        loop's writer connection (between its transactions, which never span an await): the
        respondent path's own writes leave that connection's page cache valid, where a separate
        reader would re-read every page after each commit."""
        return self._loop_writer(self.loop_connections()).execute(query, args).fetchall()

    def _loop_writer(self, state: _LoopConnections) -> sqlite3.Connection:
        if state.loop_writer is None:
            connection = sqlite3.connect(**self.connection_kwargs)
            connection.row_factory = dict_factory
            for pragma in ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                           "PRAGMA foreign_keys = 1", "PRAGMA busy_timeout = 0",
                           "PRAGMA wal_autocheckpoint = 0"):
                connection.execute(pragma)
            state.loop_writer = connection
        return state.loop_writer

    async def run_in_writer(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` atomically, serialised with every other write of this process
        by the write lock; returns its result once it is committed, or raises its error (and
        nothing of it is written).

        Group commit: the works that arrive while one event-loop turn runs are written in ONE
        transaction, each inside its own SAVEPOINT, so one failing (a unique violation) undoes
        only itself, and a burst of submissions pays for one COMMIT rather than one each. On the
        event loop's thread; on the aiosqlite writer's thread, each in its own transaction, when
        another process holds the database's write lock (waiting there, up to the busy
        timeout)."""
        state = self.loop_connections()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        state.batch.append((work, future))
        if len(state.batch) == 1:
            state.flushing = asyncio.create_task(self._flush(state))
        return await future  # type: ignore[no-any-return]

    async def _flush(self, state: _LoopConnections) -> None:
        async with state.write_lock:
            batch, state.batch = state.batch, []
            try:
                outcomes = await self._write_batch(state, batch)
            except BaseException as failure:  # e.g. the file cannot be opened: no caller hangs
                for _, future in batch:
                    settle(future, error=failure)
                raise
        for future, result, error in outcomes:
            settle(future, result, error)
        self._count_commits(state, len(outcomes))

    def _count_commits(self, state: _LoopConnections, count: int) -> None:
        """Every CHECKPOINT_EVERY writes, a PASSIVE checkpoint on a worker thread (the writer
        connections never checkpoint themselves: that would fsync on their thread)."""
        state.commits_since_checkpoint += count
        if state.commits_since_checkpoint >= CHECKPOINT_EVERY and (
                state.checkpoint is None or state.checkpoint.done()):
            state.commits_since_checkpoint = 0
            state.checkpoint = asyncio.create_task(asyncio.to_thread(self._checkpoint))

    async def write_grouped(self, write_many: Callable[[sqlite3.Connection, list[Any]], list[Any]],
                            item: Any) -> Any:
        """Like `run_in_writer`, for writes that are cheaper together: the items given to the
        same `write_many` during one event-loop turn are written by ONE call, `write_many(
        connection, items)`, in the next group commit; returns this item's result once
        committed, or raises its error. `write_many` returns one result or exception per item,
        in order, and undoes (a savepoint) whatever a failed item wrote. Submissions use it:
        a few multi-row statements for a burst instead of a handful per submission."""
        state = self.loop_connections()
        group = state.groups.get(write_many)
        if group is None:
            group = state.groups[write_many] = _Group()

            def write(connection: sqlite3.Connection) -> list[Any]:
                del state.groups[write_many]  # later items make a group of their own
                # Checkpoints follow the writes, not the works: a group counts as its items.
                state.commits_since_checkpoint += len(group.items) - 1
                return write_many(connection, group.items)

            done = asyncio.ensure_future(self.run_in_writer(write))
            done.add_done_callback(group.settle)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        group.items.append(item)
        group.futures.append(future)
        return await future  # cancelled alone: the group's write goes on for the others

    async def _write_batch(self, state: _LoopConnections, batch: _Batch) -> _Outcomes:
        connection = self._loop_writer(state)
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # SQLITE_BUSY: another process is writing
            writer = await self.writer_connection(state)
            outcomes: _Outcomes = []
            for work, future in batch:
                try:
                    # aiosqlite runs a callable on its thread with the sqlite3 connection
                    result = await writer._execute(_in_transaction, writer._conn, work)
                except Exception as error:
                    outcomes.append((future, None, error))
                else:
                    outcomes.append((future, result, None))
            return outcomes
        return _run_batch(connection, batch)

    def _checkpoint(self) -> None:
        """Copy the WAL back into the database file, off the event loop (its own connection:
        a sqlite3 connection is used by one thread at a time)."""
        with contextlib.closing(sqlite3.connect(self.connection_kwargs["database"])) as db:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")

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
            if state.checkpoint is not None:
                await state.checkpoint
            if state.loop_writer is not None:
                state.loop_writer.close()


def _run_batch(connection: sqlite3.Connection, batch: _Batch) -> _Outcomes:
    """Every work of the batch in the transaction just begun, each in a savepoint; COMMIT.
    A failed COMMIT fails them all (nothing of them is written)."""
    outcomes: _Outcomes = []
    try:
        for work, future in batch:
            connection.execute("SAVEPOINT submission")
            try:
                result = work(connection)
            except Exception as error:
                connection.execute("ROLLBACK TO submission")
                connection.execute("RELEASE submission")
                outcomes.append((future, None, error))
            else:
                connection.execute("RELEASE submission")
                outcomes.append((future, result, None))
        connection.execute("COMMIT")
    except BaseException as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        return [(future, None, error) for _, future in batch]
    return outcomes


def _finish(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """`work` inside the transaction just begun: COMMIT, or ROLLBACK and re-raise."""
    try:
        result = work(connection)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


def _in_transaction(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    connection.execute("BEGIN IMMEDIATE")
    return _finish(connection, work)


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


def direct_postgres(engine: Any) -> Any | None:
    """The asyncpg pool of Piccolo's PostgresEngine when a read may bypass Piccolo (the
    respondent pages' point reads): the pool is started and no transaction is open in this
    task. Piccolo's `run_querystring` parses its QueryString and wraps the call on every
    request; asyncpg's own statement cache prepares a fixed SQL text once per connection."""
    if isinstance(engine, PostgresEngine) and engine.pool is not None and \
            engine.current_transaction.get() is None:
        return engine.pool
    return None


def direct_sqlite(engine: Any) -> SerialSQLiteEngine | None:
    """The engine when a statement may bypass Piccolo (select_now, run_in_writer): SQLite and no
    transaction open in this task. Inside one (the demo loads in a single transaction) the write
    lock is already held and other connections cannot see its rows, so statements must go
    through the transaction."""
    if isinstance(engine, SerialSQLiteEngine) and engine.current_transaction.get() is None:
        return engine
    return None
