"""SQLite for SQLAlchemy's asyncio engine, with one trip to a thread per statement.

SQLAlchemy runs SQLite under asyncio through aiosqlite, which sends every DBAPI call (cursor, execute,
fetch, close, commit) to a thread of its own and wakes the event loop when it returns: five round trips
for an INSERT ... RETURNING and its commit, each costing more CPU than the statement itself (measured in
isolation: that transaction through the ORM session, 1.1 ms of CPU through aiosqlite, 0.96 ms here with two
trips, 0.08 ms in `sqlite3` itself). Here the
same stdlib `sqlite3` connection sits behind the interface SQLAlchemy's aiosqlite dialect expects
(SQLAlchemy, its dialect and its pool are unchanged: `create_async_engine(..., module=dbapi())`), and a
statement goes to the connection's thread once, executed and, if it returns rows, fetched in the same trip;
a commit or a rollback is one trip; opening and closing cursors, which touch no file, stay on the loop.

Statements do not run on the loop itself, though that would save the trips too: any of them may read pages
that are not in memory (a channel's history, the index pages of a member's rows), and the loop must keep
answering meanwhile (Slack times acknowledgements). Full-scale runs with the history partly paged out showed
it: with writes in place and reads in the thread, Slack's ack p99 was 28-36 ms (the bare app's 15); with
every statement in place, 115 ms (docs/BENCHMARKS.md, fifth round).
Waiting for another connection's lock happens in the thread too, in SQLite's busy handler, so two engines
on one file in one process (a test's racing sweepers) each wait without holding up the other.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import suppress
from functools import partial
from queue import SimpleQueue
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

Error = sqlite3.Error
DatabaseError = sqlite3.DatabaseError
IntegrityError = sqlite3.IntegrityError
NotSupportedError = sqlite3.NotSupportedError
OperationalError = sqlite3.OperationalError
ProgrammingError = sqlite3.ProgrammingError
sqlite_version = sqlite3.sqlite_version
sqlite_version_info = sqlite3.sqlite_version_info


class Cursor:
    """A `sqlite3.Cursor` whose methods are awaitable, as aiosqlite's are: a statement is one trip to the thread."""

    def __init__(self, cursor: sqlite3.Cursor, connection: Connection) -> None:
        self._cursor = cursor
        self._connection = connection
        self._rows: deque[Any] | None = None  # the rows of the last statement, fetched with it in the thread

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __aiter__(self) -> Cursor:
        return self

    async def __anext__(self) -> Any:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        self._rows = None  # a failed statement leaves no rows of the one before
        rows = await self._connection.off_loop(self._run, sql, parameters)
        self._rows = None if rows is None else deque(rows)
        return self

    def _run(self, sql: str, parameters: Sequence[Any] | dict[str, Any]) -> list[Any] | None:
        cursor = self._cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description else None

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        self._rows = None
        await self._connection.off_loop(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        if self._rows is None:
            return self._cursor.fetchone()
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = self._cursor.arraysize if size is None else size
        if self._rows is None:
            return self._cursor.fetchmany(size)
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        if self._rows is None:
            return self._cursor.fetchall()
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows = None
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Worker:
    """A thread that runs calls in order and hands each result back to the awaiting event loop.

    The same shape as aiosqlite's: a queue in, `call_soon_threadsafe` out (a `ThreadPoolExecutor` with
    `run_in_executor` costs about twice as much per trip, with its futures, locks and chaining).
    """

    def __init__(self) -> None:
        self._calls: SimpleQueue[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[[], Any]] | None]
        self._calls = SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="mlq-sqlite", daemon=True)
        self._thread.start()

    def run(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._calls.put((loop, future, partial(function, *args)))
        return future

    def stop(self) -> None:
        self._calls.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            loop, future, function = call
            outcome: Callable[[asyncio.Future[Any], Any], None]
            try:
                result = function()
            except BaseException as exc:  # handed to the awaiting caller
                outcome, value = _fail, exc
            else:
                outcome, value = _succeed, result
            with suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting any more
                loop.call_soon_threadsafe(outcome, future, value)


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():  # the caller may have been cancelled
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: Any) -> None:
    if not future.done():
        future.set_exception(exc)


class _Now:
    """aiosqlite's request queue, as SQLAlchemy uses it to set the isolation level: run the request now."""

    def __init__(self) -> None:
        self.daemon = True  # SQLAlchemy marks aiosqlite's thread a daemon; there is none here

    @staticmethod
    def put_nowait(request: tuple[Any, Callable[[], Any]]) -> None:
        future, function = request
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(exc)


class Connection:
    """A `sqlite3.Connection` with aiosqlite's awaitable interface and one thread for its statements."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._connection: sqlite3.Connection | None = None
        self._thread = self._tx = _Now()
        self._worker: _Worker | None = None

    def __await__(self) -> Generator[Any, None, Connection]:
        if self._connection is None:
            self._connection = self._connect()
        return self
        yield  # a generator: `await connect(...)` opens the connection and returns it

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor(), self)

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        return await self.cursor().execute(sql, parameters)

    async def off_loop(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run `function(*args)` in the connection's thread (one, so its statements keep their order)."""
        if self._worker is None:
            self._worker = _Worker()
        return await self._worker.run(function, *args)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        await self.off_loop(self._conn.commit)

    async def rollback(self) -> None:
        await self.off_loop(self._conn.rollback)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close the connection (aiosqlite's forced close; here no different from `close`)."""
        if self._worker is not None:
            self._worker.stop()  # a statement still running finishes before the connection closes
            self._worker = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connect(database: str, **kwargs: Any) -> Connection:
    """Return a connection that opens when awaited (used from the loop's thread and its own, in turn)."""
    kwargs.pop("check_same_thread", None)
    return Connection(lambda: sqlite3.connect(database, check_same_thread=False, **kwargs))


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """Return the DBAPI module to give `create_async_engine` for a SQLite URL (`module=`)."""
    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)
