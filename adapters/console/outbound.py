"""The console's implementation of the outbound port: posts are printed and remembered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import count

from adapters.console.render import render
from bot.vocabulary import Actor, MessageRef, Place, Post


@dataclass
class Shown:
    """A message on the console's screen."""

    message_id: str
    place: Place
    post: Post


class ConsoleOutbound:
    """Print posts as a chat channel would show them, and keep them for button presses."""

    def __init__(self, write: Callable[[str], None], color: bool = False, width: int = 100) -> None:
        self.write = write
        self.color = color
        self.width = width
        self.messages: list[Shown] = []
        self._ids = count(1)

    def remember(self, place: Place, post: Post) -> MessageRef:
        """Give a post a message id and keep it on screen."""
        message_id = f"m{next(self._ids)}"
        self.messages.append(Shown(message_id, place, post))
        return MessageRef(place, message_id)

    def show(self, place: Place, post: Post, private: bool = False) -> MessageRef:
        """Print a post and remember it."""
        where = f"[#{place.channel}{' › thread' if place.thread else ''}]"
        self.write(f"{where}\n{render(post, private=private, color=self.color, width=self.width)}\n")
        return self.remember(place, post)

    async def post(self, place: Place, post: Post) -> MessageRef:
        """Print a post in a channel or thread."""
        return self.show(place, post)

    async def open_thread(self, message: MessageRef, name: str, archive_after: timedelta) -> Place:
        """Open a thread on a message (its id is the message's)."""
        self.write(f"[#{message.place.channel}] 🧵 thread opened: {name}\n")
        return message.place.in_thread(f"t-{message.message_id}")

    async def send_private(self, actor: Actor, place: Place, post: Post) -> None:
        """Print a post only the actor sees."""
        self.show(place, post, private=True)

    async def update(self, message: MessageRef, post: Post) -> None:
        """Replace a message's content (its buttons go away with the old post)."""
        for shown in self.messages:
            if shown.message_id == message.message_id:
                shown.post = post
        self.write(f"[#{message.place.channel}] (updated {post.title})\n")

    async def react(self, message: MessageRef, emoji: str) -> None:
        """Show a reaction on a message."""
        self.write(f"[#{message.place.channel}{' › thread' if message.place.thread else ''}] {emoji}\n")
