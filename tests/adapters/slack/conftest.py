"""Fixtures for the Slack adapter tests: the loopback fake and the real bot process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.slack.process import BotProcess, start_bot
from tests.fakes.slack_fake import SlackFake

ADMIN, ADA, GRACE, ALAN = "UADMIN1", "UADA001", "UGRACE1", "UALAN01"
CHANNEL = "C0STUDY"


@pytest.fixture
async def fake() -> AsyncIterator[SlackFake]:
    """Yield a running fake of Slack with four members, one of them a workspace admin."""
    slack = SlackFake(
        users={
            ADMIN: {"name": "Boss", "is_admin": True},
            ADA: {"name": "Ada"},
            GRACE: {"name": "Grace"},
            ALAN: {"name": "Alan"},
        }
    )
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
async def bot(fake: SlackFake, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """Yield the real bot in HTTP mode; it must stop cleanly on SIGTERM."""
    process = await start_bot(fake, tmp_path)
    yield process
    status = await process.stop()
    assert status == 0, process.log()
    assert "slack adapter started" in process.log()
