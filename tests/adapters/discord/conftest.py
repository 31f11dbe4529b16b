"""Run the real bot process (`python -m bot run`) against the loopback Discord fake."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.discord_fake import GUILD_ID, FakeDiscord

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 20.0


class BotProcess:
    """One `python -m bot run` process with Discord pointed at the fake; its log is kept for assertions."""

    def __init__(self, fake: FakeDiscord, tmp_path: Path, **env: str) -> None:
        self.fake = fake
        self.db_path = tmp_path / "mlq.db"
        self.log_path = tmp_path / "bot.log"
        self.cwd = tmp_path
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{self.db_path}",
            "DISCORD_TOKEN": "fake-token",
            "MLQ_DISCORD_API_BASE": fake.api_base,
            "MLQ_DISCORD_GATEWAY_URL": fake.gateway_url,
            "MLQ_DISCORD_GUILD_IDS": GUILD_ID,
            "MLQ_TICK_SECONDS": "0.2",
            "MLQ_LOG_LEVEL": "INFO",
            **env,
        }
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        """Start the process and wait until it is connected and ready."""
        identifies = len(self.fake.identifies)
        log = self.log_path.open("a")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.cwd, env=self.env, stdout=log, stderr=log
        )
        log.close()
        self.starts += 1
        try:
            await self.fake.wait_identified(identifies + 1, START_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"the bot did not identify within {START_TIMEOUT}s:\n{self.log()}") from None
        await self.wait_log("discord adapter started", self.starts)

    async def wait_log(self, text: str, count: int = 1, within: float = START_TIMEOUT) -> None:
        """Wait until the log holds `text` `count` times."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.log().count(text) < count:
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"the bot exited ({self.process.returncode}):\n{self.log()}")
            if loop.time() > deadline:
                raise AssertionError(f"{text!r} not logged within {within}s:\n{self.log()}")
            await asyncio.sleep(0.05)

    async def stop(self) -> int:
        """Send SIGTERM and return the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise AssertionError(f"the bot did not stop on SIGTERM:\n{self.log()}") from None
        return self.process.returncode or 0

    def log(self) -> str:
        """Return everything the process logged."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Query the bot's SQLite database."""
        with sqlite3.connect(self.db_path) as connection:
            return connection.execute(sql, args).fetchall()

    async def wait_rows(self, sql: str, count: int = 1, within: float = 5.0) -> list[tuple[Any, ...]]:
        """Query until at least `count` rows come back (a question's round is stored just after it is shown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(rows := self.rows(sql)) < count:
            if loop.time() > deadline:
                raise AssertionError(f"fewer than {count} row(s) within {within}s for {sql!r}:\n{self.log()}")
            await asyncio.sleep(0.02)
        return rows


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """Yield a started Discord fake."""
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """Yield a started bot process; it is stopped (SIGTERM) afterwards."""
    process = BotProcess(fake, tmp_path)
    await process.start()
    yield process
    if process.process is not None and process.process.returncode is None:
        await process.stop()
