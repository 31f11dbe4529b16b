"""The question bank: files in `content/`, validated and loaded into memory."""

from bot.content.bank import Bank, Topic, load_bank
from bot.content.question import Difficulty, Question
from bot.content.validation import ContentError, validate_tree

__all__ = [
    "Bank",
    "ContentError",
    "Difficulty",
    "Question",
    "Topic",
    "load_bank",
    "validate_tree",
]
