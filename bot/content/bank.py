"""The loaded bank: topics, questions, and look-ups by what members type."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.content.question import Difficulty, Question
from bot.content.validation import ContentError, validate_tree
from bot.errors import UnknownTopicError, UsageError


@dataclass(frozen=True)
class Topic:
    """A topic members can ask for."""

    slug: str
    name: str
    aliases: tuple[str, ...] = ()


class ContentInvalidError(Exception):
    """The bank has broken files; the bot refuses to start on it."""

    def __init__(self, errors: list[ContentError]) -> None:
        lines = "\n".join(f"  {e}" for e in errors[:50])
        more = f"\n  … and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"the question bank has {len(errors)} problem(s):\n{lines}{more}")
        self.errors = errors


def bundled_content_dir() -> Path:
    """Return the bank shipped with the package (installed wheel or source checkout)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_bundled" / "content"
    return installed if installed.is_dir() else package.parent / "content"


class Bank:
    """The questions of the bank, indexed for the picker and the commands."""

    def __init__(self, topics: list[Topic], questions: list[Question]) -> None:
        self.topics = topics
        self.questions = questions
        self._by_id = {q.id: q for q in questions}
        self._topic_by_word: dict[str, Topic] = {}
        for topic in topics:
            for word in (topic.slug, *topic.aliases, topic.name):
                self._topic_by_word[word.lower()] = topic

    def get(self, question_id: str) -> Question | None:
        """Return the bank question with this id, if any."""
        return self._by_id.get(question_id)

    def topic(self, word: str) -> Topic:
        """Return the topic a member means by `word`, or explain the choices."""
        found = self._topic_by_word.get(word.strip().lower())
        if found is None:
            known = ", ".join(t.slug for t in self.topics)
            raise UnknownTopicError(f"There is no topic `{word}`. Topics: {known}.")
        return found

    def topic_name(self, slug: str) -> str:
        """Return the display name of a topic slug."""
        for topic in self.topics:
            if topic.slug == slug:
                return topic.name
        return slug

    def counts(self) -> Counter[str]:
        """Return how many questions each topic has."""
        return Counter(q.topic for q in self.questions)

    def matching(self, topics: tuple[str, ...] = (), difficulty: Difficulty | None = None) -> list[Question]:
        """Return the questions in `topics` (all when empty) at `difficulty` (any when None)."""
        return [
            q
            for q in self.questions
            if (not topics or q.topic in topics) and (difficulty is None or q.difficulty == difficulty)
        ]

    def complete(self, prefix: str, limit: int = 25) -> list[Topic]:
        """Return up to `limit` topics whose slug, alias or name starts with or contains `prefix`."""
        needle = prefix.strip().lower()
        starts = [t for t in self.topics if any(w.lower().startswith(needle) for w in (t.slug, *t.aliases, t.name))]
        inside = [t for t in self.topics if t not in starts and needle in f"{t.slug} {t.name}".lower()]
        return (starts + inside)[:limit]


def load_bank(root: Path | None = None) -> Bank:
    """Load and validate the bank at `root` (the bundled one by default)."""
    questions, specs, errors = validate_tree(root or bundled_content_dir())
    if errors:
        raise ContentInvalidError(errors)
    return Bank([Topic(s.slug, s.name, s.aliases) for s in specs], questions)


def parse_difficulty(word: str) -> Difficulty:
    """Return the difficulty a member typed, or explain the choices."""
    try:
        return Difficulty(word.strip().lower())
    except ValueError:
        raise UsageError(f"`{word}` is not a difficulty. Write easy, medium or hard.") from None
