"""Start every platform whose credentials are set, share one core and one ticker, stop cleanly."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import timedelta
from typing import Protocol

from adapters.runtime import build_core
from adapters.ticker import start_ticker
from bot.clock import Clock
from bot.content.bank import Bank
from bot.core import Core
from bot.ports import Outbound
from bot.settings import Settings
from bot.storage.database import Database
from bot.vocabulary import Actor, MessageRef, Place, Post

log = logging.getLogger(__name__)


class PlatformAdapter(Protocol):
    """What every platform adapter offers the composition root."""

    platform: str

    @property
    def outbound(self) -> Outbound:
        """Where the core's posts for this platform go."""
        ...

    async def start(self) -> None:
        """Connect and begin serving (returns once connected or serving)."""
        ...

    async def close(self) -> None:
        """Disconnect cleanly."""
        ...


class RoutingOutbound:
    """The core's one outbound port, routing each call to the adapter of the place's platform."""

    def __init__(self) -> None:
        self.routes: dict[str, Outbound] = {}

    def _to(self, place: Place) -> Outbound:
        try:
            return self.routes[place.platform]
        except KeyError:
            raise RuntimeError(f"no adapter for platform {place.platform!r} is running") from None

    async def post(self, place: Place, post: Post) -> MessageRef:
        """Post on the place's platform."""
        return await self._to(place).post(place, post)

    async def open_thread(self, message: MessageRef, name: str, archive_after: timedelta) -> Place:
        """Open a thread on the message's platform."""
        return await self._to(message.place).open_thread(message, name, archive_after)

    async def send_private(self, actor: Actor, place: Place, post: Post) -> None:
        """Send privately on the place's platform."""
        await self._to(place).send_private(actor, place, post)

    async def update(self, message: MessageRef, post: Post) -> None:
        """Update a message on its platform."""
        await self._to(message.place).update(message, post)

    async def react(self, message: MessageRef, emoji: str) -> None:
        """React on the message's platform."""
        await self._to(message.place).react(message, emoji)


def make_adapters(settings: Settings, core: Core) -> list[PlatformAdapter]:
    """Build the adapters whose credentials are set; platform libraries are imported only then."""
    adapters: list[PlatformAdapter] = []
    if settings.discord_token is not None:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter(settings, core))
    if settings.slack_bot_token is not None:
        from adapters.slack.adapter import SlackAdapter

        adapters.append(SlackAdapter(settings, core))
    return adapters


async def start_platforms(settings: Settings, db: Database, bank: Bank, clock: Clock, stop: asyncio.Event) -> None:
    """Run the platforms until `stop` is set."""
    router = RoutingOutbound()
    core = build_core(settings, db, bank, clock, router)
    adapters = make_adapters(settings, core)
    for adapter in adapters:
        router.routes[adapter.platform] = adapter.outbound
    started: list[PlatformAdapter] = []
    ticker = None
    try:
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
            log.info("%s adapter started", adapter.platform)
        # What start-up made (modules, the bank, the libraries' tables) lives as long as the process: keep
        # it out of the collector's full passes, which otherwise pause the event loop for 40-170 ms.
        gc.collect()
        gc.freeze()
        ticker = start_ticker(core.sweep, settings.tick_seconds)
        await stop.wait()
    finally:
        if ticker is not None:
            await ticker.stop()
        for adapter in reversed(started):
            await adapter.close()
        log.info("stopped")
