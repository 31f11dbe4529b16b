"""SQLite through SQLAlchemy's asyncio engine: one trip to the connection's thread per statement."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, exc, func, insert, select, text

from bot.storage import sqlite_thread
from bot.storage.database import Database, upgrade_async
from bot.storage.models import Member

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _member(user: str) -> dict[str, Any]:
    return {"platform": "slack", "workspace": "T1", "user": user, "display_name": user, "updated_at": NOW}


class Ticks:
    """Counts the turns a task gets on the event loop while the block runs: few turns, a held loop."""

    def __init__(self, interval: float = 0.0) -> None:
        self.count = 0
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Ticks:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    async def _run(self) -> None:
        while True:
            self.count += 1
            await asyncio.sleep(self.interval)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'mlq.db'}"
    await upgrade_async(url)
    database = Database(url)
    yield database
    await database.dispose()


async def test_statements_run_on_the_connections_thread_and_the_loop_runs_meanwhile(db: Database) -> None:
    def slow(value: str) -> str:
        time.sleep(0.05)
        return value

    def register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)
        dbapi_connection.create_function("slow", 1, slow)

    event.listen(db.engine.sync_engine, "connect", register)
    async with Ticks() as ticks, db.session() as session:
        before = ticks.count
        await session.execute(  # a write (slowed down), then a read that sees it
            text(
                "INSERT INTO members (platform, workspace, user, display_name, updated_at) "
                "VALUES ('slack', 'T1', 'ada', slow(CAST(thread_id() AS TEXT)), '2026-11-25 12:00:00')"
            )
        )
        assert ticks.count > before + 10, "the event loop was held during the write"
        before = ticks.count
        row = (await session.execute(text("SELECT slow(thread_id()), display_name FROM members"))).one()
        assert ticks.count > before + 10, "the event loop was held during the read"
        raw = (await session.connection()).sync_connection
        assert raw is not None
        assert isinstance(raw.connection.driver_connection, sqlite_thread.Connection)
    read_in, written_in = row
    assert read_in == int(written_in) != threading.get_ident()


async def test_a_failed_statement_raises_sqlalchemys_error_and_rolls_back_the_transaction(db: Database) -> None:
    async with db.session() as session:
        await session.execute(insert(Member).values(**_member("ada")))
    with pytest.raises(exc.IntegrityError):
        async with db.session() as session:
            await session.execute(insert(Member).values(**_member("bob")))
            await session.execute(insert(Member).values(**_member("ada")))  # the same member twice
    with pytest.raises(exc.OperationalError, match="no such table"):
        async with db.session() as session:
            await session.execute(text("SELECT * FROM nowhere"))
    async with db.session() as session:  # bob went with the failed transaction; the connection still works
        users = (await session.scalars(select(Member.user).order_by(Member.user))).all()
    assert users == ["ada"]


async def test_many_rows_in_one_statement_and_streamed_back(db: Database) -> None:
    async with db.session() as session:
        await session.execute(insert(Member), [_member(f"u{n:03}") for n in range(250)])
    async with db.engine.connect() as connection:
        streamed = await connection.stream(select(Member.user).order_by(Member.user))
        users = [row.user async for row in streamed]
        assert users == [f"u{n:03}" for n in range(250)]
        partitions = await connection.stream(select(Member.user).order_by(Member.user))
        sizes = [len(rows) async for rows in partitions.partitions(100)]
        assert sizes == [100, 100, 50]


async def test_autocommit_and_back(db: Database, tmp_path: Path) -> None:
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(insert(Member).values(**_member("ada")))
        with closing(sqlite3.connect(tmp_path / "mlq.db")) as other:  # committed without a COMMIT
            assert other.execute("SELECT user FROM members").fetchall() == [("ada",)]
    async with db.session() as session:  # the pooled connection is transactional again
        await session.execute(insert(Member).values(**_member("bob")))
        with closing(sqlite3.connect(tmp_path / "mlq.db")) as other:
            assert other.execute("SELECT count(*) FROM members").fetchone() == (1,)
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 2


async def test_dispose_closes_the_connection(db: Database) -> None:
    async with db.session() as session:
        raw = (await session.connection()).sync_connection
        assert raw is not None
        driver = raw.connection.driver_connection
        assert isinstance(driver, sqlite_thread.Connection)
    await db.dispose()
    with pytest.raises(ValueError, match="no active connection"):
        await driver.commit()
    async with db.session() as session:  # a disposed engine opens a new connection when used again
        assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def test_in_memory_databases_work_too() -> None:
    database = Database("sqlite:///:memory:")
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1), (2)"))
            assert (await connection.execute(text("SELECT sum(x) FROM t"))).scalar() == 3
    finally:
        await database.dispose()


async def test_a_write_waits_for_another_connections_lock_without_holding_up_the_loop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mlq.db'}"
    await upgrade_async(url)
    first, second = Database(url), Database(url)  # two engines, as two processes (or a CLI command) would have
    try:
        async with Ticks(0.001) as ticks:
            async with first.session() as holding:
                await holding.execute(insert(Member).values(**_member("ada")))  # takes the write lock

                async def write_too() -> None:
                    async with second.session() as session:
                        await session.execute(insert(Member).values(**_member("bob")))

                waiting = asyncio.create_task(write_too())
                before = ticks.count
                await asyncio.sleep(0.1)  # the first transaction stays open while the loop runs on
                assert not waiting.done(), "the second writer waits for the lock"
                assert ticks.count > before + 20, "and while it waits, the event loop runs"
            await asyncio.wait_for(waiting, 5)  # the lock is free: the second write goes through
        async with second.session() as session:
            assert await session.scalar(select(func.count()).select_from(Member)) == 2
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_statement_is_one_trip_to_the_thread(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    async with db.session() as session:  # the connection is open and set up
        await session.execute(select(func.count()).select_from(Member))
    trips: list[str] = []
    off_loop = sqlite_thread.Connection.off_loop

    async def counted(self: sqlite_thread.Connection, function: Any, *args: Any) -> Any:
        trips.append(getattr(function, "__name__", "?"))
        return await off_loop(self, function, *args)

    monkeypatch.setattr(sqlite_thread.Connection, "off_loop", counted)
    async with db.session() as session:  # an on-demand round's shape: one INSERT … RETURNING, then the commit
        inserted = await session.execute(insert(Member).values(**_member("ada")).returning(Member.user))
        assert inserted.scalar_one() == "ada"
    assert trips == ["_run", "commit"], "aiosqlite made five trips: cursor, execute, fetch, close, commit"


async def test_a_failed_statement_leaves_no_rows_of_the_one_before(db: Database) -> None:
    async with db.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert isinstance(raw, sqlite_thread.Connection)
        cursor = await raw.execute("SELECT 1 UNION ALL SELECT 2")
        with pytest.raises(sqlite3.OperationalError):
            await cursor.execute("SELECT * FROM nowhere")
        assert await cursor.fetchall() == []
