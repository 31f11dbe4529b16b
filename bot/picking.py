"""Which question to ask next in a channel."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import attrgetter

from bot.content.question import Question
from bot.vocabulary import Place

_ID = attrgetter("id")
_TOPIC = attrgetter("topic")


def pick(
    candidates: Sequence[Question],
    asked: Counter[str],
    recent: Sequence[str],
    topic_of: Callable[[str], str | None],
    rng: random.Random,
) -> Question:
    """Pick a question the channel has been asked least, from the topic it saw least recently.

    Every eligible question is asked once before any is asked twice; among those left,
    topics not seen lately come first so a channel does not get three CNN questions in a row.
    """
    if not candidates:
        raise ValueError("no candidates")
    # map/compress rather than comprehensions: this runs on every question of the bank for every pick.
    counts = list(map(asked.get, map(_ID, candidates), repeat(0)))
    fewest = min(counts)
    pool = list(compress(candidates, map(fewest.__eq__, counts)))
    # A topic's staleness is how far back the channel last saw it (not seen lately: the stalest of all).
    staleness: dict[str, int] = {}
    for position, question_id in enumerate(recent):
        topic = topic_of(question_id)
        if topic is not None:
            staleness.setdefault(topic, position)
    never = len(recent) + 1
    ages = list(map(staleness.get, map(_TOPIC, pool), repeat(never)))
    stalest = max(ages)
    return rng.choice(sorted(compress(pool, map(stalest.__eq__, ages)), key=_ID))


class AskedMemo:
    """What this process knows each busy channel was asked, so a burst of `/mlquestion random` in one
    channel reads the channel's history once instead of once per question.

    An entry is read from the database, then kept up to date with every round this process opens in the
    channel; rounds other processes open are seen once the entry is older than `lifetime` seconds and is
    read again. At most `capacity` channels are kept (the least recently used go first).
    """

    def __init__(self, lifetime: float = 60.0, capacity: int = 256, recent: int = 20) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self.recent = recent
        self._entries: dict[tuple[str, str, str], tuple[float, Counter[str], list[str]]] = {}

    def get(self, place: Place) -> tuple[Counter[str], list[str]] | None:
        """Return the channel's counts and recent questions (newest first), or None when unknown or old."""
        key = _channel(place)
        entry = self._entries.pop(key, None)
        if entry is None or time.monotonic() - entry[0] >= self.lifetime:
            return None
        self._entries[key] = entry  # now the most recently used
        return entry[1], entry[2]

    def put(self, place: Place, asked: Counter[str], recent: list[str]) -> None:
        """Keep what the database says the channel was asked."""
        key = _channel(place)
        self._entries.pop(key, None)
        if len(self._entries) >= self.capacity:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (time.monotonic(), asked, recent[: self.recent])

    def asked(self, place: Place, question_id: str) -> None:
        """Count a question this process just asked in the channel (nothing happens for unknown channels)."""
        entry = self._entries.get(_channel(place))
        if entry is None:
            return
        entry[1][question_id] += 1
        recent = entry[2]
        if question_id in recent:
            recent.remove(question_id)
        recent.insert(0, question_id)
        del recent[self.recent :]

    def forget(self, place: Place) -> None:
        """Drop the channel (after a failed write, so the next question reads the database)."""
        self._entries.pop(_channel(place), None)


def _channel(place: Place) -> tuple[str, str, str]:
    """The memo's key: the channel, whatever thread the place is in."""
    return place.platform, place.workspace, place.channel
