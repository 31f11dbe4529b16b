"""SQLite for SQLAlchemy's asyncio engine: writes in place, reads in one trip to a thread.

SQLAlchemy runs SQLite under asyncio through aiosqlite, which sends every DBAPI call (cursor, execute,
fetch, close, commit) to a thread of its own and wakes the event loop when it returns: about five round
trips for one short transaction, each costing more CPU than the statement itself (measured: an on-demand
round's INSERT and COMMIT, 0.36 ms of CPU through aiosqlite against 0.12 ms calling `sqlite3` directly,
and 1.1 ms through the ORM session on top). Here the same stdlib `sqlite3` connection sits behind the
interface SQLAlchemy's aiosqlite dialect expects (SQLAlchemy, its dialect and its pool are unchanged:
`create_async_engine(..., module=dbapi())`), and

- writes, commits and everything else run on the event loop's own thread: they touch the few pages of
  recent rows, which are in memory, so a thread hop would cost more than the work;
- reads (SELECT, WITH) run in one trip to a thread of the connection's own, statement and fetch together:
  they may walk a long history whose pages are not in memory (the first `random` in a channel, a
  leaderboard), and the loop must stay free meanwhile to acknowledge other commands (Slack times acks).

Nothing waits for a lock on the loop. The bot runs one process with one pooled connection in WAL mode, so
it rarely meets another writer (a CLI command, a test's second engine); when it does, SQLite's busy
handler would sleep on the loop's thread, holding up every other command, and the writer holding the lock
might be waiting for the loop itself. So SQLite gives up at once (`busy_timeout` 0) and the statement is
retried after an `asyncio.sleep`, with backoff, for up to `timeout` seconds (the connection's `timeout`
argument, as `sqlite3.connect` takes it); a read retries likewise in its thread. As with aiosqlite, a
read whose caller is cancelled finishes in its thread; SQLite serialises the connection's use, so a
rollback that follows waits for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
DEFAULT_TIMEOUT = 5.0  # seconds to wait for another connection's lock, as `sqlite3.connect` defaults to
FIRST_RETRY = 0.001
LAST_RETRY = 0.05


def is_busy(error: BaseException) -> bool:
    """Return whether SQLite refused because another connection holds a lock that it may release.

    Not SQLITE_BUSY_SNAPSHOT: a transaction that read before another one wrote must start over, and
    waiting does not change that.
    """
    return (
        isinstance(error, sqlite3.OperationalError) and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
    )


async def _waiting(patience: float, call: Callable[[], Any]) -> Any:
    """Run `call` in place; while another connection holds the lock, sleep on the loop and try again."""
    try:
        return call()
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
    deadline, delay = time.monotonic() + patience, FIRST_RETRY
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 2, LAST_RETRY)
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise


def _waiting_here(patience: float, call: Callable[[], Any]) -> Any:
    """`_waiting` for the reads' thread, where sleeping holds up no one else."""
    deadline, delay = time.monotonic() + patience, FIRST_RETRY
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, LAST_RETRY)


def is_read(sql: str) -> bool:
    """Return whether a statement only reads (SELECT, or a WITH query), so it may wait off the loop."""
    head = sql.lstrip()[:6].upper()
    return head.startswith(("SELECT", "WITH"))


class Cursor:
    """A `sqlite3.Cursor` whose methods are awaitable, as aiosqlite's are; see the module for where each runs."""

    def __init__(self, cursor: sqlite3.Cursor, connection: Connection) -> None:
        self._cursor = cursor
        self._connection = connection
        self._rows: deque[Any] | None = None  # a read's rows, fetched with it in the thread

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
        self._rows = None
        if is_read(sql):
            self._rows = deque(await self._connection.off_loop(self._read, sql, parameters))
        else:
            await _waiting(self._connection.timeout, lambda: self._cursor.execute(sql, parameters))
        return self

    def _read(self, sql: str, parameters: Sequence[Any] | dict[str, Any]) -> list[Any]:
        return _waiting_here(  # type: ignore[no-any-return]
            self._connection.timeout, lambda: self._cursor.execute(sql, parameters).fetchall()
        )

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        self._rows = None
        rows = list(parameters)  # a retry needs them again
        await _waiting(self._connection.timeout, lambda: self._cursor.executemany(sql, rows))
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
    """A `sqlite3.Connection` with aiosqlite's awaitable interface: writes in place, reads in its own thread."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], timeout: float = DEFAULT_TIMEOUT) -> None:
        self._connect = connect
        self.timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._thread = self._tx = _Now()
        self._reads: ThreadPoolExecutor | None = None

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
        if self._reads is None:
            self._reads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlq-sqlite-reads")
        return await asyncio.get_running_loop().run_in_executor(self._reads, function, *args)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        await _waiting(self.timeout, self._conn.commit)

    async def rollback(self) -> None:
        await _waiting(self.timeout, self._conn.rollback)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close the connection (aiosqlite's forced close; here no different from `close`)."""
        if self._reads is not None:
            self._reads.shutdown(wait=True)  # a read still running finishes before the connection closes
            self._reads = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connect(database: str, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> Connection:
    """Return a connection that opens when awaited (used from the loop's thread and its reads' thread, in turn).

    `timeout` is how long a statement waits for another connection's lock, by retrying (see the module);
    SQLite itself is told not to wait.
    """
    kwargs.pop("check_same_thread", None)
    return Connection(lambda: sqlite3.connect(database, timeout=0, check_same_thread=False, **kwargs), timeout)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """Return the DBAPI module to give `create_async_engine` for a SQLite URL (`module=`)."""
    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)
