"""The engine, sessions, and schema upgrades through Alembic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.settings import async_database_url


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


def _sqlite_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
    # The pool's default reset rolls back every connection it gets back, even right after a commit; on
    # aiosqlite each rollback is one more round trip to its thread (one in six of a `random`'s). Roll back
    # only a transaction that is still open, and only where it can be awaited (as the default does).
    if state.asyncio_safe and not state.terminate_only and record.driver_connection.in_transaction:
        dbapi_connection.rollback()


_AFTER_COMMIT = "mlquestion.after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction committed (for caches of what was written)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


class Database:
    """An async engine and its session factory; one session per unit of work."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = async_database_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite and ":memory:" not in self.url:
            # SQLite has one writer. Several pooled connections would wait for its lock in SQLite's busy
            # handler, which sleeps in steps of up to 100 ms; one connection makes sessions queue on the
            # event loop instead, in order and without sleeping (measured: write p99 from 439 ms to 2 ms).
            engine_options = {"pool_size": 1, "max_overflow": 0, **engine_options}
        if self.is_sqlite:
            engine_options = {"pool_reset_on_return": None, **engine_options}
        self.engine = create_async_engine(self.url, **engine_options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Open a session and a transaction; commit on success, roll back on error.

        What `after_commit` registered runs once the commit succeeded (never after a rollback).
        """
        async with self._sessions() as session:
            async with session.begin():
                yield session
            for callback in session.info.pop(_AFTER_COMMIT, ()):
                callback()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
