"""The shipped bank: every file valid, the seed questions all there, the syllabus covered."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from bot.content.bank import Bank, bundled_content_dir
from bot.content.question import Difficulty
from bot.content.validation import validate_tree

SEED_MAP = Path(__file__).parent / "seed_questions.yaml"


def test_every_shipped_file_is_valid() -> None:
    questions, topics, errors = validate_tree(bundled_content_dir())
    assert errors == []
    assert len(topics) >= 13 and questions


def test_every_seed_question_is_in_the_bank_and_cites_its_article(bank: Bank) -> None:
    seeds = yaml.safe_load(SEED_MAP.read_text())
    assert len(seeds) == 3
    for seed_file, entries in seeds.items():
        for entry in entries:
            question = bank.get(entry["id"])
            assert question is not None, f"{entry['ref']} of {seed_file}: {entry['id']} is missing"
            assert seed_file in question.sources, f"{entry['id']} must cite {seed_file}"


def test_the_bank_covers_the_syllabus(bank: Bank) -> None:
    per_topic = Counter(q.topic for q in bank.questions)
    assert len(bank.questions) >= 250
    assert len(per_topic) >= 12 and min(per_topic.values()) >= 10, per_topic
    levels = Counter(q.difficulty for q in bank.questions)
    assert levels[Difficulty.EASY] >= len(bank.questions) / 4
    assert levels[Difficulty.HARD] >= len(bank.questions) / 4


def test_answers_read_well_in_chat(bank: Bank) -> None:
    for question in bank.questions:
        assert len(question.answer) <= 3000, question.id
        assert 3 <= len(question.key_points) <= 6 and 1 <= len(question.follow_ups) <= 3, question.id
