"""SQLite through SQLAlchemy's asyncio engine, with each call on the event loop's thread (no thread hops)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, exc, func, insert, select, text

from bot.storage import inline_sqlite
from bot.storage.database import Database, upgrade_async
from bot.storage.models import Member

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _member(user: str) -> dict[str, Any]:
    return {"platform": "slack", "workspace": "T1", "user": user, "display_name": user, "updated_at": NOW}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'mlq.db'}"
    await upgrade_async(url)
    database = Database(url)
    yield database
    await database.dispose()


async def test_statements_run_on_the_event_loops_thread(db: Database) -> None:
    def register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    event.listen(db.engine.sync_engine, "connect", register)
    async with db.session() as session:
        assert (await session.execute(text("SELECT thread_id()"))).scalar() == threading.get_ident()
        raw = (await session.connection()).sync_connection
        assert raw is not None
        assert isinstance(raw.connection.driver_connection, inline_sqlite.Connection)


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
        assert isinstance(driver, inline_sqlite.Connection)
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
