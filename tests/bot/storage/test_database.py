"""Sessions: one transaction each; a connection goes back to the pool with no transaction left open."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from bot.storage import sqlite_thread
from bot.storage.database import SELF_CHECKPOINT_PAGES, Database, upgrade_async
from bot.storage.models import Member

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _member(user: str) -> dict[str, Any]:
    return {"platform": "slack", "workspace": "T1", "user": user, "display_name": user, "updated_at": NOW}


async def _members(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Member)) or 0)


async def test_a_committed_session_hands_its_connection_back_without_a_rollback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'mlq.db'}"  # SQLite's reset: an avoidable rollback per command
    await upgrade_async(url)
    rollbacks: list[bool] = []
    driver_rollback = sqlite_thread.Connection.rollback

    async def rollback(connection: sqlite_thread.Connection) -> None:
        rollbacks.append(connection.in_transaction)
        await driver_rollback(connection)

    monkeypatch.setattr(sqlite_thread.Connection, "rollback", rollback)
    db = Database(url)
    try:
        await _members(db)  # SQLAlchemy rolls back once after setting up the first connection
        rollbacks.clear()
        for user in ("ada", "bob"):
            async with db.session() as session:
                await session.execute(insert(Member).values(**_member(user)))
        assert rollbacks == [], "nothing was left to roll back after the commits"

        # A failing session still rolls back its transaction.
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                await session.execute(insert(Member).values(**_member("cy")))
                raise RuntimeError("boom")
        assert rollbacks == [True]
        assert await _members(db) == 2
    finally:
        await db.dispose()


async def test_a_connection_returned_mid_transaction_is_rolled_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mlq.db'}"
    await upgrade_async(url)
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            # A transaction SQLAlchemy does not know about (begun on the driver), left open.
            raw = (await connection.get_raw_connection()).driver_connection
            assert isinstance(raw, sqlite_thread.Connection)
            await raw.execute("BEGIN")
            await raw.execute("INSERT INTO members (platform, workspace, user, display_name, updated_at) "
                              "VALUES ('slack', 'T1', 'ada', 'Ada', '2026-11-25 12:00:00')")  # fmt: skip
        # The pool rolled it back: the next session neither commits it along with its own work nor waits.
        async with db.session() as session:
            await session.execute(insert(Member).values(**_member("bob")))
        assert await _members(db) == 1
    finally:
        await db.dispose()


async def test_the_log_is_copied_into_the_database_file_off_the_commands_path(tmp_path: Path) -> None:
    path = tmp_path / "mlq.db"
    await upgrade_async(f"sqlite:///{path}")
    db = Database(f"sqlite:///{path}")
    assert db.checkpoints is not None
    db.checkpoints.interval = 0.05
    try:
        async with db.session() as session:
            pages = (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
            assert pages == SELF_CHECKPOINT_PAGES, "the bot's own connection leaves checkpoints to the thread"
        for n in range(20):
            async with db.session() as session:
                await session.execute(insert(Member).values(**_member(f"u{n}")))
        for _ in range(100):
            await asyncio.sleep(0.05)
            # The database file alone (without its -wal file) holds the members once a checkpoint copied them.
            copy = tmp_path / f"copy-{_}.db"
            shutil.copyfile(path, copy)
            with closing(sqlite3.connect(copy)) as alone:
                if alone.execute("SELECT count(*) FROM members").fetchone() == (20,):
                    break
        else:
            raise AssertionError("the write-ahead log was never copied into the database file")
    finally:
        await db.dispose()
    assert db.checkpoints.rounds > 0
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "mlquestion-sqlite-checkpoints"]
