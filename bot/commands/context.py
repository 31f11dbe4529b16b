"""What a command handler gets: who asked, where, and the core's services."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.catalogue import Catalogue
from bot.clock import Clock
from bot.content.bank import Bank
from bot.errors import NotAllowedError
from bot.picking import AskedMemo
from bot.ports import Outbound
from bot.storage.database import Database
from bot.storage.library import LibraryRepository
from bot.vocabulary import Actor, Place


class NameMemo:
    """Members' display names this process wrote lately, so a command skips rewriting an unchanged one.

    A name is noted only once the transaction that wrote it committed. Another process may write a newer
    name meanwhile, so a note lasts `lifetime` seconds; at most `capacity` notes are kept (oldest go first).
    """

    def __init__(self, lifetime: float = 600.0, capacity: int = 20_000) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self._written: dict[tuple[str, str, str], tuple[str, float]] = {}

    def unchanged(self, platform: str, workspace: str, user: str, name: str) -> bool:
        """Whether this process wrote exactly this name for the member within the lifetime."""
        note = self._written.get((platform, workspace, user))
        return note is not None and note[0] == name and time.monotonic() - note[1] < self.lifetime

    def note(self, platform: str, workspace: str, user: str, name: str) -> None:
        """Remember that the member's name was written (call after the commit)."""
        key = (platform, workspace, user)
        self._written.pop(key, None)
        if len(self._written) >= self.capacity:
            del self._written[next(iter(self._written))]
        self._written[key] = (name, time.monotonic())


class Openings:
    """On-demand rounds this process has shown but not stored yet (their answer went out first), so a
    button pressed on one waits until it is stored instead of finding nothing."""

    def __init__(self, patience: float = 5.0) -> None:
        self.patience = patience
        self._stored: dict[str, asyncio.Event] = {}

    def begin(self, token: str) -> None:
        """Note a round shown before it is stored."""
        self._stored[token] = asyncio.Event()

    def end(self, token: str) -> None:
        """Note that the round is stored, or will not be."""
        event = self._stored.pop(token, None)
        if event is not None:
            event.set()

    async def wait(self, token: str) -> None:
        """Return once the round named by `token` is stored, or at once when it is not being stored here
        (at most `patience` seconds: a store that takes longer has failed or will)."""
        event = self._stored.get(token)
        if event is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.patience):
                    await event.wait()


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
    names: NameMemo = field(default_factory=NameMemo, repr=False)
    asked: AskedMemo = field(default_factory=AskedMemo, repr=False)
    openings: Openings = field(default_factory=Openings, repr=False)

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
    # The adapter answers first and stores after (Outcome.pending): Discord's slash commands, where the
    # time to the answer is what members feel. Other adapters get outcomes already stored.
    answer_first: bool = False

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
