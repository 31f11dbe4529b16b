"""The questions a workspace can be asked: the shared bank plus its admins' own."""

from __future__ import annotations

from bot.content.bank import Bank
from bot.content.question import Difficulty, Question
from bot.storage.library import LibraryRepository
from bot.storage.models import CustomQuestion


def custom_to_question(row: CustomQuestion) -> Question:
    """Return an admin-added question in the bank's shape."""
    return Question(
        id=row.question_id,
        question=row.question,
        topic=row.topic,
        difficulty=Difficulty(row.difficulty),
        answer=row.answer,
        key_points=tuple(row.key_points),
        sources=("community",),
    )


class Catalogue:
    """One workspace's view of the questions."""

    def __init__(self, bank: Bank, custom: list[Question]) -> None:
        self.bank = bank
        self.custom = custom
        self._custom_by_id = {q.id: q for q in custom}
        self._matching: dict[tuple[tuple[str, ...], Difficulty | None], tuple[Question, ...]] = {}

    @classmethod
    async def load(cls, bank: Bank, library: LibraryRepository, platform: str, workspace: str) -> Catalogue:
        """Read the workspace's own questions and combine them with the bank."""
        rows = await library.custom_questions(platform, workspace)
        return cls(bank, [custom_to_question(r) for r in rows])

    def get(self, question_id: str) -> Question | None:
        """Return a question by id (bank or this workspace's)."""
        return self.bank.get(question_id) or self._custom_by_id.get(question_id)

    def topic_of(self, question_id: str) -> str | None:
        """Return a question's topic, if it still exists."""
        question = self.get(question_id)
        return question.topic if question else None

    def matching(self, topics: tuple[str, ...] = (), difficulty: Difficulty | None = None) -> tuple[Question, ...]:
        """Return every question of `topics` at `difficulty` (worked out once per filter: catalogues are kept)."""
        key = (topics, difficulty)
        found = self._matching.get(key)
        if found is None:
            extra = [
                q
                for q in self.custom
                if (not topics or q.topic in topics) and (difficulty is None or q.difficulty == difficulty)
            ]
            # In id order, the order the picker draws from (so its sort has nothing left to do).
            found = tuple(sorted((*self.bank.matching(topics, difficulty), *extra), key=lambda q: q.id))
            self._matching[key] = found
        return found

    def counts(self) -> dict[str, int]:
        """Return the number of questions per topic, custom ones included."""
        counts = dict(self.bank.counts())
        for question in self.custom:
            counts[question.topic] = counts.get(question.topic, 0) + 1
        return counts
