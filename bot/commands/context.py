"""What a command handler gets: who asked, where, and the core's services."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.catalogue import Catalogue
from bot.clock import Clock
from bot.content.bank import Bank
from bot.errors import NotAllowedError
from bot.ports import Outbound
from bot.storage.database import Database
from bot.storage.library import LibraryRepository
from bot.vocabulary import Actor, Place


@dataclass
class Services:
    """The core's dependencies, built once by the composition root."""

    db: Database
    bank: Bank
    clock: Clock
    outbound: Outbound
    rng: random.Random
    default_reveal_after: timedelta = timedelta(hours=8)
    # How long a workspace's catalogue is reused before its own questions are read again. This process
    # forgets it at once when it adds a question; other processes see the question within this time.
    catalogue_lifetime: float = 30.0
    _catalogues: dict[tuple[str, str], tuple[float, Catalogue]] = field(default_factory=dict, repr=False)

    async def catalogue(self, platform: str, workspace: str) -> Catalogue:
        """Return the workspace's questions (the bank plus its own), read at most once per lifetime."""
        key = (platform, workspace)
        cached = self._catalogues.get(key)
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        async with self.db.session() as session:
            catalogue = await Catalogue.load(self.bank, LibraryRepository(session), platform, workspace)
        self._catalogues[key] = (time.monotonic() + self.catalogue_lifetime, catalogue)
        return catalogue

    def forget_catalogue(self, platform: str, workspace: str) -> None:
        """Drop the workspace's cached catalogue (after its admins added a question)."""
        self._catalogues.pop((platform, workspace), None)


@dataclass(frozen=True)
class Context:
    """One member's command in one place."""

    actor: Actor
    place: Place
    services: Services

    def now(self) -> datetime:
        """Return the core clock's time."""
        return self.services.clock.now()

    def require_admin(self, what: str) -> None:
        """Refuse members who are not admins, saying who may (`Core` checks every admin command's spec)."""
        if not self.actor.is_admin:
            raise NotAllowedError(
                f"Only admins can {what}. On Discord that is the Manage Server permission; "
                "on Slack, workspace admins and the users listed in MLQ_SLACK_ADMINS."
            )
