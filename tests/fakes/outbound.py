"""A recording fake of the outbound port: what the core asked a platform to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count

from bot.errors import PlatformRefusedError
from bot.vocabulary import Actor, MessageRef, Place, Post


@dataclass
class Sent:
    """One call the core made."""

    call: str
    place: Place
    post: Post | None = None
    message_id: str = ""
    extra: str = ""


@dataclass
class RecordingOutbound:
    """Records every call; `refuse` makes posts to a channel fail as a platform would."""

    sent: list[Sent] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_threads: bool = False
    _ids: count[int] = field(default_factory=lambda: count(1))

    async def post(self, place: Place, post: Post) -> MessageRef:
        key = place.thread if place.thread and place.thread in self.refuse else place.channel
        if key in self.refuse:
            raise PlatformRefusedError(self.refuse[key])
        message_id = f"msg{next(self._ids)}"
        self.sent.append(Sent("post", place, post, message_id))
        return MessageRef(place, message_id)

    async def open_thread(self, message: MessageRef, name: str, archive_after: timedelta) -> Place:
        if self.refuse_threads:
            raise PlatformRefusedError("threads are disabled")
        thread = f"thread-{message.message_id}"
        self.sent.append(Sent("thread", message.place, None, message.message_id, f"{name}|{archive_after}"))
        return message.place.in_thread(thread)

    async def send_private(self, actor: Actor, place: Place, post: Post) -> None:
        self.sent.append(Sent("private", place, post, extra=actor.user))

    async def update(self, message: MessageRef, post: Post) -> None:
        self.sent.append(Sent("update", message.place, post, message.message_id))

    async def react(self, message: MessageRef, emoji: str) -> None:
        self.sent.append(Sent("react", message.place, None, message.message_id, emoji))

    def posts(self, kind: str | None = None) -> list[Sent]:
        """Return the posts made, of one kind (question, answer, reveal) or all."""
        return [s for s in self.sent if s.call == "post" and (kind is None or (s.post and s.post.kind == kind))]
