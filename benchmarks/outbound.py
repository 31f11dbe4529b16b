"""A recording fake of the outbound port for benchmarks: instant, and it counts what the core sent."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count

from bot.vocabulary import Actor, MessageRef, Place, Post


@dataclass
class RecordingOutbound:
    """Answers at once, like a platform with no latency, and records each call compactly."""

    calls: Counter[str] = field(default_factory=Counter)
    posts_by_kind: Counter[str] = field(default_factory=Counter)
    questions_per_channel: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    reveals_per_channel: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    _ids: count[int] = field(default_factory=lambda: count(1))

    async def post(self, place: Place, post: Post) -> MessageRef:
        self.calls["post"] += 1
        self.posts_by_kind[post.kind] += 1
        key = (place.platform, place.workspace, place.channel)
        if post.kind == "question" and place.thread is None:
            self.questions_per_channel[key] += 1
        elif post.kind == "reveal":
            self.reveals_per_channel[key] += 1
        return MessageRef(place, f"bench{next(self._ids)}")

    async def open_thread(self, message: MessageRef, name: str, archive_after: timedelta) -> Place:
        self.calls["thread"] += 1
        return message.place.in_thread(f"thread-{message.message_id}")

    async def send_private(self, actor: Actor, place: Place, post: Post) -> None:
        self.calls["private"] += 1

    async def update(self, message: MessageRef, post: Post) -> None:
        self.calls["update"] += 1

    async def react(self, message: MessageRef, emoji: str) -> None:
        self.calls["react"] += 1

    def reset(self) -> None:
        """Forget everything recorded so far."""
        self.calls.clear()
        self.posts_by_kind.clear()
        self.questions_per_channel.clear()
        self.reveals_per_channel.clear()
