"""The one outbound port: everything the core asks a platform to do."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from bot.vocabulary import Actor, MessageRef, Place, Post


class Outbound(Protocol):
    """Send posts to a platform. Adapters, the console and the test fake implement it.

    Methods raise `PlatformRefusedError` when the platform refuses for good
    (missing access, deleted channel); other errors are treated as passing.
    """

    async def post(self, place: Place, post: Post) -> MessageRef:
        """Post in a channel, or in a thread when `place.thread` is set."""
        ...

    async def open_thread(self, message: MessageRef, name: str, archive_after: timedelta) -> Place:
        """Open a discussion thread on a message and return its place."""
        ...

    async def send_private(self, actor: Actor, place: Place, post: Post) -> None:
        """Show a post to one member only (an ephemeral message or a DM)."""
        ...

    async def update(self, message: MessageRef, post: Post) -> None:
        """Replace the content of a message the bot sent."""
        ...

    async def react(self, message: MessageRef, emoji: str) -> None:
        """Add a reaction to a message (the ✅ on a reply that counted)."""
        ...
