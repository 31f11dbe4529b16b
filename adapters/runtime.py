"""The composition root: settings in, a running bot out. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.clock import AcceleratedClock, Clock, SystemClock
from bot.commands.context import Services
from bot.content.bank import Bank, ContentInvalidError, load_bank
from bot.core import Core
from bot.ports import Outbound
from bot.settings import Settings
from bot.storage.database import Database, alembic_config, upgrade_async
from bot.timing import parse_duration

log = logging.getLogger(__name__)
CREDENTIALS_HELP = (
    "No platform credentials are set. Set DISCORD_TOKEN for Discord; for Slack set SLACK_BOT_TOKEN with "
    "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP). To try the bot without any account: "
    "mlquestion console"
)


def has_platform_credentials(settings: Settings) -> bool:
    """Tell whether any platform can be started."""
    return settings.discord_token is not None or settings.slack_bot_token is not None


def make_clock(settings: Settings, speed: float | None = None) -> Clock:
    """Return the real clock, or an accelerated one for demos (MLQ_CLOCK_SPEED)."""
    factor = speed if speed is not None else settings.clock_speed
    return SystemClock() if factor == 1 else AcceleratedClock(factor)


def load_content(settings: Settings) -> Bank:
    """Load the bank, or stop with every problem listed."""
    return load_bank(settings.content_dir)


async def prepare_database(settings: Settings) -> Database:
    """Open the database; create the schema on SQLite, insist on migrations elsewhere."""
    db = Database(settings.database_url)
    if db.is_sqlite:
        await upgrade_async(settings.database_url)
        return db
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as connection:
        revision = await connection.run_sync(current)
    if revision != head:
        await db.dispose()
        raise SystemExit("mlquestion: the database schema is not up to date; run `mlquestion db upgrade` first.")
    return db


def build_core(settings: Settings, db: Database, bank: Bank, clock: Clock, outbound: Outbound) -> Core:
    """Wire the core's services."""
    services = Services(
        db=db,
        bank=bank,
        clock=clock,
        outbound=outbound,
        rng=random.Random(),
        default_reveal_after=parse_duration(settings.default_reveal_after),
    )
    return Core(services)


def _guarded(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    try:
        return asyncio.run(main())
    except ContentInvalidError as exc:
        print(f"mlquestion: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def console(settings: Settings, speed: float | None = None, user: str = "you") -> int:
    """Run the console channel in this terminal."""
    from adapters.console.channel import play

    return _guarded(lambda: play(settings, speed=speed, user=user))


def run(settings: Settings) -> int:
    """Connect to every platform whose credentials are set, until SIGTERM or Ctrl-C."""
    if not has_platform_credentials(settings):
        print(f"mlquestion: {CREDENTIALS_HELP}", file=sys.stderr)
        return 2
    return _guarded(lambda: _run_platforms(settings))


async def _run_platforms(settings: Settings) -> int:
    from adapters.platforms import start_platforms

    bank = load_content(settings)
    db = await prepare_database(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await start_platforms(settings, db, bank, make_clock(settings), stop)
    finally:
        await db.dispose()
    return 0
