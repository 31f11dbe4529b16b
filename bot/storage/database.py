"""The engine, sessions, and schema upgrades through Alembic."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.settings import async_database_url
from bot.storage import sqlite_thread

log = logging.getLogger(__name__)
# How often the write-ahead log is copied into the SQLite database file, off the commands' path; the bot's
# own connection checkpoints only if the log outgrows this many pages (4 KB each) all the same.
CHECKPOINT_INTERVAL_S = 0.25
SELF_CHECKPOINT_PAGES = 10_000


def migrations_dir() -> Path:
    """Return the Alembic scripts shipped with the package (wheel or source checkout)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_bundled" / "migrations"
    return installed if installed.is_dir() else package.parent / "migrations"


def alembic_config(url: str) -> Config:
    """Return an Alembic config for `url` that works from any working directory."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", async_database_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (all of them by default) to the database at `url` (blocking)."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str) -> None:
    """Apply every migration from inside a running event loop."""
    await asyncio.to_thread(upgrade, url)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # One writer at a time: WAL lets readers go on, busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    # busy_timeout first: switching to WAL needs a lock, and a new connection must wait for it, not fail.
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints rather than at every commit: a crash of the process loses
    # nothing and the file never corrupts; only a power cut may lose the last transactions.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _checkpoints_elsewhere(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA wal_autocheckpoint={SELF_CHECKPOINT_PAGES}")
    cursor.close()


def _sqlite_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
    # The pool's default reset rolls back every connection it gets back, even right after a commit; each
    # rollback is one more trip to the connection's thread (it was one in six of a `random`'s). Roll back
    # only a transaction that is still open, and only where it can be awaited (as the default does).
    if state.asyncio_safe and not state.terminate_only and record.driver_connection.in_transaction:
        dbapi_connection.rollback()


class Checkpoints:
    """Copy SQLite's write-ahead log into the database file from a thread and connection of their own.

    By default SQLite checkpoints in the commit that takes the log past 1,000 pages, so one command in
    every few dozen writing ones paid ~20 ms for it (a full-scale `answer`'s p99). Here a checkpoint runs
    every quarter second on another connection (PASSIVE: it never waits for, nor blocks, the bot's reads
    and writes) and the log restarts from its beginning once copied; the bot's connection checkpoints
    itself only past `SELF_CHECKPOINT_PAGES`, should these checkpoints ever fall behind.
    """

    def __init__(self, path: str, interval: float = CHECKPOINT_INTERVAL_S) -> None:
        self.path = path
        self.interval = interval
        self.rounds = 0  # checkpoints run, for tests
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        """Start the checkpoints on the running event loop (again, if they stopped or the loop changed)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), name="mlquestion-sqlite-checkpoints")

    async def stop(self) -> None:
        """Stop checkpointing; the last checkpoint in progress finishes first."""
        task, self._task = self._task, None
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        # A connection of its own, in a thread of its own (sqlite_thread's, as the bot's connection has).
        connection = await sqlite_thread.connect(self.path, isolation_level=None)
        try:
            while True:
                await asyncio.sleep(self.interval)
                try:
                    await connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:  # the next round tries again
                    log.warning("sqlite checkpoint failed: %s", exc)
                else:
                    self.rounds += 1
        finally:
            await connection.close()  # after a checkpoint in progress ends


_AFTER_COMMIT = "mlquestion.after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction committed (for caches of what was written)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


class Database:
    """An async engine and its session factory; one session per unit of work."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = async_database_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.checkpoints: Checkpoints | None = None
        if self.is_sqlite:
            engine_options = {"pool_reset_on_return": None, "module": sqlite_thread.dbapi(), **engine_options}
        if self.is_sqlite and ":memory:" not in self.url:
            # SQLite has one writer. Several pooled connections would wait for its lock in SQLite's busy
            # handler, which sleeps in steps of up to 100 ms; one connection makes sessions queue on the
            # event loop instead, in order and without sleeping (measured: write p99 from 439 ms to 2 ms).
            engine_options = {"pool_size": 1, "max_overflow": 0, **engine_options}
        self.engine = create_async_engine(self.url, **engine_options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
            path = self.engine.url.database
            if path and path != ":memory:":
                self.checkpoints = Checkpoints(path)
                event.listen(self.engine.sync_engine, "connect", _checkpoints_elsewhere)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Open a session and a transaction; commit on success, roll back on error.

        What `after_commit` registered runs once the commit succeeded (never after a rollback).
        """
        if self.checkpoints is not None:
            self.checkpoints.ensure_running()
        if self.is_sqlite:
            # SQLAlchemy closes a session in a task of its own, so that a cancellation cannot cut the close
            # short while it waits for the database; on SQLite (sqlite_thread) closing a session after its
            # commit or rollback waits for nothing, and the task only cost two turns of the loop per command.
            session = self._sessions()
            try:
                async with session.begin():
                    yield session
            finally:
                await session.close()
        else:
            async with self._sessions() as session, session.begin():
                yield session
        for callback in session.info.pop(_AFTER_COMMIT, ()):
            callback()

    async def dispose(self) -> None:
        """Stop the checkpoints and close every pooled connection."""
        if self.checkpoints is not None:
            await self.checkpoints.stop()
        await self.engine.dispose()
