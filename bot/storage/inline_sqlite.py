"""SQLite for SQLAlchemy's asyncio engine without a thread hop per call.

SQLAlchemy runs SQLite under asyncio through aiosqlite, which sends every DBAPI call (cursor, execute,
fetch, close, commit) to a thread of its own and wakes the event loop when it returns: about five round
trips for one short transaction, each costing more CPU than the statement itself (measured: an on-demand
round's INSERT and COMMIT, 0.36 ms of CPU through aiosqlite against 0.12 ms calling `sqlite3` directly,
and 1.1 ms through the ORM session on top). Here the same calls run on the event loop's own thread, to the
same stdlib `sqlite3` connection, behind the interface SQLAlchemy's aiosqlite dialect expects; SQLAlchemy,
its dialect and its pool are unchanged (`create_async_engine(..., module=dbapi())`).

This suits the bot because it runs a single process on SQLite (README: several processes need PostgreSQL)
with one pooled connection, in WAL mode, whose statements are short: nobody else holds the write lock, so
a statement never waits for one while blocking the loop. A statement does hold the loop for as long as it
runs (the longest, a full-scale leaderboard, about 10 ms), which on one connection the other commands
waited for anyway.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Generator, Iterable, Sequence
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
    """A `sqlite3.Cursor` whose methods are awaitable, as aiosqlite's are; each runs at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __aiter__(self) -> Cursor:
        return self

    async def __anext__(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
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
    """A `sqlite3.Connection` with aiosqlite's awaitable interface, calling SQLite on the caller's thread."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._connection: sqlite3.Connection | None = None
        self._thread = self._tx = _Now()

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
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        return Cursor(self._conn.execute(sql, parameters))

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close the connection (aiosqlite's forced close; here no different from `close`)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connect(database: str, **kwargs: Any) -> Connection:
    """Return a connection that opens when awaited; `check_same_thread` is moot (one thread)."""
    kwargs.pop("check_same_thread", None)
    return Connection(lambda: sqlite3.connect(database, check_same_thread=False, **kwargs))


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """Return the DBAPI module to give `create_async_engine` for a SQLite URL (`module=`)."""
    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)
