"""The picker: no repeats until the eligible questions are used up; topics spread out."""

from __future__ import annotations

import itertools
import random
from collections import Counter

from bot.content.question import Difficulty, Question
from bot.picking import pick


def q(qid: str, topic: str) -> Question:
    return Question(qid, f"{qid}?", topic, Difficulty.EASY, "answer", ("a", "b", "c"))


QUESTIONS = [q(f"{t}-{n}", t) for t in ("cnn", "nlp", "stats") for n in range(4)]
TOPIC = {x.id: x.topic for x in QUESTIONS}


def run(rounds: int, candidates: list[Question], seed: int = 1) -> list[Question]:
    asked: Counter[str] = Counter()
    history: list[str] = []
    rng = random.Random(seed)
    picked = []
    for _ in range(rounds):
        choice = pick(candidates, asked, list(reversed(history)), TOPIC.get, rng)
        asked[choice.id] += 1
        history.append(choice.id)
        picked.append(choice)
    return picked


def test_every_question_once_before_any_twice() -> None:
    picked = run(len(QUESTIONS) * 2, QUESTIONS)
    first, second = picked[: len(QUESTIONS)], picked[len(QUESTIONS) :]
    assert len({x.id for x in first}) == len(QUESTIONS)
    assert len({x.id for x in second}) == len(QUESTIONS)


def test_topics_do_not_cluster() -> None:
    picked = run(len(QUESTIONS), QUESTIONS)
    for a, b in itertools.pairwise(picked):
        assert a.topic != b.topic
    assert [x.topic for x in picked[:3]] != [picked[0].topic] * 3


def test_filters_are_honoured_by_the_candidates() -> None:
    cnn_only = [x for x in QUESTIONS if x.topic == "cnn"]
    assert {x.topic for x in run(10, cnn_only)} == {"cnn"}


def test_questions_no_longer_eligible_do_not_block_a_new_cycle() -> None:
    asked = Counter({x.id: 1 for x in QUESTIONS[:6]})
    choice = pick(QUESTIONS, asked, [], TOPIC.get, random.Random(3))
    assert asked[choice.id] == 0
