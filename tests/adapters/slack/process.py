"""Run the real bot (`python -m bot run`) against the loopback Slack fake, and talk to it as Slack does."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.adapters.slack.payloads import FORM, JSON, SECRET, interactive, signed
from tests.fakes.slack_fake import SlackFake

ROOT = Path(__file__).resolve().parents[3]
BOT_TOKEN, APP_TOKEN = "xoxb-test-token", "xapp-test-token"


def free_port() -> int:
    """Return a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BotProcess:
    """The bot as a subprocess; its log goes to a file that failing tests print."""

    process: asyncio.subprocess.Process
    port: int
    db_path: Path
    log_path: Path

    @property
    def url(self) -> str:
        """Return the bot's Slack Request URL."""
        return f"http://127.0.0.1:{self.port}/slack/events"

    def log(self) -> str:
        """Return what the bot logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def send(self, body: str, content_type: str, headers: Mapping[str, str] | None = None) -> tuple[int, str]:
        """POST a body to the bot, signed unless `headers` are given; return (status, text)."""
        sent = dict(headers) if headers is not None else signed(body, content_type)
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body.encode(), headers=sent, timeout=aiohttp.ClientTimeout(total=3)) as resp,
        ):
            return resp.status, await resp.text()

    async def command(self, body: str) -> tuple[int, str]:
        """Send a slash command body."""
        return await self.send(body, FORM)

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        """Send a block_actions or view_submission payload."""
        return await self.send(interactive(payload), FORM)

    async def event(self, body: str, retry: int | None = None) -> tuple[int, str]:
        """Send an Events API body; `retry` sets X-Slack-Retry-Num as Slack does on redelivery."""
        headers = signed(body, JSON)
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return await self.send(body, JSON, headers)

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Query the bot's SQLite database."""
        with sqlite3.connect(self.db_path) as connection:
            return list(connection.execute(sql, params).fetchall())

    async def stop(self, within: float = 10.0) -> int:
        """Send SIGTERM and wait for the process to end; return its exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), within)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise AssertionError(f"the bot did not stop on SIGTERM within {within}s\n{self.log()}") from None
        return int(self.process.returncode or 0)


async def start_bot(
    fake: SlackFake, tmp: Path, *, socket_mode: bool = False, env: Mapping[str, str] | None = None, wait: bool = True
) -> BotProcess:
    """Start `python -m bot run` with Slack pointed at the fake; wait until it serves (or connects)."""
    port = free_port()
    db_path, log_path = tmp / "bot.db", tmp / "bot.log"
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp),
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "MLQ_SLACK_API_BASE": fake.api_base.rstrip("/"),  # the adapter must add the trailing slash itself
        "PORT": str(port),
        "MLQ_TICK_SECONDS": "0.2",
        "MLQ_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    environment["SLACK_APP_TOKEN" if socket_mode else "SLACK_SIGNING_SECRET"] = APP_TOKEN if socket_mode else SECRET
    environment.update(env or {})
    log_file = log_path.open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp, env=environment, stdout=log_file, stderr=log_file
    )
    log_file.close()
    bot = BotProcess(process, port, db_path, log_path)
    if wait:
        await (fake.connected() if socket_mode else _healthy(bot))
    return bot


async def _healthy(bot: BotProcess, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            if bot.process.returncode is not None:
                raise AssertionError(f"the bot exited with {bot.process.returncode}\n{bot.log()}")
            try:
                async with session.get(f"http://127.0.0.1:{bot.port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the bot did not serve /healthz within {within}s\n{bot.log()}")
