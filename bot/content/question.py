"""One interview question with its rubric and model answer."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Difficulty(enum.StrEnum):
    """How hard a question is."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


@dataclass(frozen=True)
class Question:
    """A question of the bank, or one an admin added for their workspace."""

    id: str
    question: str
    topic: str
    difficulty: Difficulty
    answer: str
    key_points: tuple[str, ...]
    follow_ups: tuple[str, ...] = ()
    sources: tuple[str, ...] = ("original",)

    def as_dict(self) -> dict[str, object]:
        """Return the question as plain data (for `content export`)."""
        return {
            "id": self.id,
            "question": self.question,
            "topic": self.topic,
            "difficulty": self.difficulty.value,
            "answer": self.answer,
            "key_points": list(self.key_points),
            "follow_ups": list(self.follow_ups),
            "sources": list(self.sources),
        }
