"""Shared fixtures: a real database (SQLite, and PostgreSQL where one answers), a frozen clock, the core."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.clock import FixedClock
from bot.commands.context import Services
from bot.content.bank import Bank, load_bank
from bot.core import Core
from bot.storage.database import Database, upgrade_async
from bot.vocabulary import Actor, Place
from tests.fakes.outbound import RecordingOutbound

POSTGRES_URL = os.environ.get("MLQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday


async def _postgres_answers() -> str | None:
    try:
        connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=3)
        await connection.close()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://").replace("postgres://", "postgresql://")


_PG_PROBLEM: str | None = None
_PG_PROBED = False


async def postgres_or_skip() -> None:
    """Skip (or, in CI, fail) when no PostgreSQL server answers."""
    global _PG_PROBED, _PG_PROBLEM
    if not _PG_PROBED:
        _PG_PROBLEM, _PG_PROBED = await _postgres_answers(), True
    if _PG_PROBLEM:
        message = f"PostgreSQL at MLQ_TEST_POSTGRES_URL={POSTGRES_URL} does not answer ({_PG_PROBLEM})"
        if IN_CI:
            pytest.fail(message + "; in CI the PostgreSQL tests must run")
        pytest.skip(message)


async def _create_pg_database() -> tuple[str, str]:
    name = f"mlq_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}", name


async def _drop_pg_database(name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Yield the URL of a fresh, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mlq.db'}"
        await upgrade_async(url)
        yield url
        return
    await postgres_or_skip()
    url, name = await _create_pg_database()
    try:
        await upgrade_async(url)
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """Yield an open database."""
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def bank() -> Bank:
    """Return the shipped question bank."""
    return load_bank()


@pytest.fixture
def clock() -> FixedClock:
    """Return a clock that moves only when a test says so."""
    return FixedClock(START)


@pytest.fixture
def outbound() -> RecordingOutbound:
    """Return the recording fake of the outbound port."""
    return RecordingOutbound()


@pytest.fixture
def core(db: Database, bank: Bank, clock: FixedClock, outbound: RecordingOutbound) -> Core:
    """Return a core wired to the real database, the frozen clock and the recording port."""
    return Core(Services(db=db, bank=bank, clock=clock, outbound=outbound, rng=random.Random(7)))


@pytest.fixture
def place() -> Place:
    """Return the study channel of a Slack workspace."""
    return Place("slack", "T1", "C-study")


def member(user: str, *, admin: bool = False, workspace: str = "T1") -> Actor:
    """Return a member of the test workspace."""
    return Actor("slack", workspace, user, user.capitalize(), admin)


@pytest.fixture
def admin() -> Actor:
    """Return an admin of the test workspace."""
    return member("boss", admin=True)


@pytest.fixture(autouse=True)
def _no_leaked_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("DATABASE_URL", "DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    yield
