"""The picker: no repeats until the eligible questions are used up; topics spread out; busy channels' history
is read once and kept up to date in memory."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter

import pytest
from sqlalchemy import event, select

from bot.commands.context import Services
from bot.content.question import Difficulty, Question
from bot.core import Core
from bot.picking import AskedMemo, pick
from bot.storage.database import Database
from bot.storage.models import Round
from bot.storage.rounds import RoundRepository
from bot.vocabulary import Place
from tests.conftest import member


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


def test_the_memo_keeps_busy_channels_counts_up_to_date_and_forgets_old_or_least_used_ones() -> None:
    memo = AskedMemo(lifetime=60.0, capacity=2, recent=3)
    c1, c2, c3 = Place("slack", "T1", "C1"), Place("slack", "T1", "C2"), Place("slack", "T1", "C3")
    assert memo.get(c1) is None
    memo.put(c1, Counter({"a": 1, "b": 1}), ["b", "a"])
    for question_id in ("c", "a", "d"):
        memo.asked(c1, question_id)
    assert memo.get(c1) == (Counter({"a": 2, "b": 1, "c": 1, "d": 1}), ["d", "a", "c"])  # newest first, each once
    memo.asked(c2, "a")  # a channel it does not know stays unknown
    assert memo.get(c2) is None
    memo.put(c2, Counter(), [])
    assert memo.get(c1) is not None  # c1 is now the most recently used: c2 goes first
    memo.put(c3, Counter(), [])
    assert (memo.get(c1) is not None, memo.get(c2), memo.get(c3)) == (True, None, (Counter(), []))
    memo.forget(c3)
    assert memo.get(c3) is None
    memo.lifetime = 0.0
    assert memo.get(c1) is None


async def test_a_burst_in_one_channel_reads_its_history_once_and_never_repeats(
    core: Core, db: Database, place: Place
) -> None:
    reads: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "GROUP BY rounds.question_id" in statement:
            reads.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    cnn = [q.id for q in core.services.bank.questions if q.topic == "cnn"]
    await core.command("/mlquestion random cnn", member("first"), place)
    burst = (core.command("/mlquestion random cnn", member(f"m{n}"), place) for n in range(len(cnn) - 1))
    await asyncio.gather(*burst)  # concurrent: each pick counts at once, so none repeats
    async with db.session() as session:
        asked = list(await session.scalars(select(Round.question_id).where(Round.channel == place.channel)))
    assert sorted(asked) == sorted(cnn), "every cnn question once before any twice"
    assert len(reads) == 1

    # Another process opens a round here; this one sees it once its entry is older than the lifetime.
    other = Core(Services(db, core.services.bank, core.services.clock, core.services.outbound, random.Random(5)))
    await other.command("/mlquestion random cnn", member("x"), place)
    core.services.asked.lifetime = 0.0
    await core.command("/mlquestion random cnn", member("y"), place)
    assert len(reads) == 3
    async with db.session() as session:
        counts = Counter(await session.scalars(select(Round.question_id).where(Round.channel == place.channel)))
    assert sorted(counts.values()) == [1] * (len(cnn) - 2) + [2, 2], "the second cycle never repeats either"


async def test_a_failed_write_makes_the_next_question_read_the_channel_again(
    core: Core, db: Database, place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    await core.command("/mlquestion random", member("ada"), place)
    assert core.services.asked.get(place) is not None

    async def broken(*_: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(RoundRepository, "open_on_demand", broken)
    with pytest.raises(OSError):  # the adapters turn it into a private apology
        await core.command("/mlquestion random", member("ada"), place)
    assert core.services.asked.get(place) is None


async def test_a_question_shown_by_id_counts_for_the_next_pick(core: Core, db: Database, place: Place) -> None:
    cnn = sorted(q.id for q in core.services.bank.questions if q.topic == "cnn")
    first = await core.command("/mlquestion random cnn", member("ada"), place)  # the channel is now in memory
    assert core.services.asked.get(place) is not None
    async with db.session() as session:
        served = await session.scalar(select(Round.question_id).where(Round.channel == place.channel))
    left = [qid for qid in cnn if qid != served]
    for question_id in left[1:]:
        await core.command(f"/mlquestion show {question_id}", member("ada"), place)
    await core.command("/mlquestion random cnn", member("bob"), place)
    async with db.session() as session:
        last = await session.scalar(select(Round.question_id).order_by(Round.id.desc()).limit(1))
    assert first.responses and last == left[0], "the one cnn question never asked, shown or served"
