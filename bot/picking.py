"""Which question to ask next in a channel."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence

from bot.content.question import Question


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
    fewest = min(asked[q.id] for q in candidates)
    pool = [q for q in candidates if asked[q.id] == fewest]
    # A topic's staleness is how far back the channel last saw it (not seen lately: the stalest of all).
    staleness: dict[str, int] = {}
    for position, question_id in enumerate(recent):
        topic = topic_of(question_id)
        if topic is not None:
            staleness.setdefault(topic, position)
    never = len(recent) + 1
    stalest = max(staleness.get(q.topic, never) for q in pool)
    pool = [q for q in pool if staleness.get(q.topic, never) == stalest]
    return rng.choice(sorted(pool, key=lambda q: q.id))
