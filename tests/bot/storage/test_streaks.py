"""Streaks kept as members answer (and filled by migration 0003) agree with counting rounds one by one."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Table, insert

from bot.storage.database import Database, alembic_config
from bot.storage.models import Answer, Round
from bot.storage.progress import ProgressRepository, Streak
from bot.storage.rounds import RoundRepository

ROUNDS = Round.__table__
assert isinstance(ROUNDS, Table)

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
USERS = ("ada", "grace", "alan")
COUNTED = ("posting", "open", "revealing", "revealed")
History = dict[str, list[tuple[str, set[str]]]]  # channel -> (state, who answered) per day, oldest first


def reference_streak(rounds_newest_first: list[tuple[str, bool]]) -> Streak:
    """The rule, round by round: consecutive answered daily rounds; a pending round nobody answered yet does not
    break it."""
    current = 0
    counting = True
    best = run = 0
    for index, (state, answered) in enumerate(rounds_newest_first):
        if answered:
            run += 1
            if counting:
                current += 1
        else:
            if not (index == 0 and state in ("open", "posting")):
                counting = False
            best = max(best, run)
            run = 0
    return Streak(current, max(best, run))


def random_history(rng: random.Random) -> History:
    """Six channels of up to 40 days: mostly revealed, a few failed posts, the newest open or being posted."""
    history: History = {}
    for c in range(6):
        days = rng.randint(1, 40)
        rows = []
        for d in range(days):
            last = d == days - 1
            state = rng.choice(["open", "posting"]) if last else rng.choices(["revealed", "failed"], [9, 1])[0]
            rows.append((state, {u for u in USERS if rng.random() < (0.8 if u == "ada" else 0.4)}))
        history[f"C{c}"] = rows
    return history


def expected_streaks(history: History) -> dict[str, dict[str, Streak]]:
    expected: dict[str, dict[str, Streak]] = {}
    for channel, rows in history.items():
        counted = [(state, who) for state, who in reversed(rows) if state in COUNTED]
        for user in USERS:
            if any(user in who for _, who in counted):
                expected.setdefault(user, {})[channel] = reference_streak([(s, user in who) for s, who in counted])
    return expected


async def add_rounds(db: Database, history: History) -> dict[tuple[str, int], Round]:
    """Store every round of the history; return them by (channel, day).

    The rows go in with the columns revision 0002 already had (the migration test starts there), and
    come back as detached `Round`s carrying those values.
    """
    rounds: dict[tuple[str, int], Round] = {}
    async with db.session() as session:
        for channel, rows in history.items():
            for d, (state, _) in enumerate(rows):
                values = {
                    "platform": "slack",
                    "workspace": "T1",
                    "channel": channel,
                    "question_id": f"q{d}",
                    "kind": "daily",
                    "number": d + 1,
                    "local_date": date(2026, 1, 1) + timedelta(days=d),
                    "state": state,
                    "claimed_at": T0 + timedelta(days=d),
                    "opened_at": T0 + timedelta(days=d),
                    "reveal_due_at": T0 + timedelta(days=d, hours=8),
                }
                round_id = (await session.execute(insert(ROUNDS).values(values).returning(ROUNDS.c.id))).scalar_one()
                rounds[(channel, d)] = Round(id=round_id, **values)
    return rounds


async def assert_streaks(db: Database, expected: dict[str, dict[str, Streak]]) -> None:
    async with db.session() as session:
        progress = ProgressRepository(session)
        assert await progress.streaks_of("slack", "T1", list(USERS)) == expected
        for user in USERS:
            assert await progress.streaks("slack", "T1", user) == expected.get(user, {})
        assert await progress.streaks("slack", "T1", "nobody") == {}
        assert await progress.streaks("slack", "T2", "ada") == {}


@pytest.mark.parametrize("seed", [0, 1, 2])
async def test_streaks_kept_as_members_answer_match_the_rule(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    history = random_history(rng)
    rounds = await add_rounds(db, history)
    answers = [(c, d, user) for c, rows in history.items() for d, (_, who) in enumerate(rows) for user in who]
    answers.sort(key=lambda a: a[1] + rng.choice([0, 0, 0, 0, 3]))  # mostly day by day, some come late
    for channel, d, user in answers:
        async with db.session() as session:
            stored = await RoundRepository(session).add_answer(rounds[(channel, d)], user, user, "text", "form", T0)
            assert stored is not None
    await assert_streaks(db, expected_streaks(history))


async def test_a_newer_post_ends_a_streak_only_once_it_is_missed(db: Database) -> None:
    history: History = {"C1": [("revealed", {"ada"}), ("revealed", {"ada"}), ("open", set())]}
    rounds = await add_rounds(db, history)
    for d in (0, 1):
        async with db.session() as session:
            await RoundRepository(session).add_answer(rounds[("C1", d)], "ada", "Ada", "text", "form", T0)
    await assert_streaks(db, {"ada": {"C1": Streak(2, 2)}})  # today's round is still open
    async with db.session() as session:
        round_ = await session.get(Round, rounds[("C1", 2)].id)
        assert round_ is not None
        round_.state = "revealed"
    await assert_streaks(db, {"ada": {"C1": Streak(0, 2)}})  # revealed unanswered: the streak is over


def _migrate(url: str, revision: str, down: bool = False) -> None:
    config = alembic_config(url)
    (command.downgrade if down else command.upgrade)(config, revision)


async def test_the_migration_fills_streaks_from_the_history(database_url: str) -> None:
    await asyncio.to_thread(_migrate, database_url, "0002", True)
    history = random_history(random.Random(5))
    db = Database(database_url)
    try:
        rounds = await add_rounds(db, history)
        async with db.session() as session:
            for (channel, d), round_ in rounds.items():
                for user in history[channel][d][1]:
                    session.add(
                        Answer(
                            round_id=round_.id,
                            platform="slack",
                            workspace="T1",
                            user=user,
                            display_name=user,
                            text="an answer",
                            source="form",
                            created_at=T0 + timedelta(days=d, hours=1),
                        )
                    )
        await db.dispose()
        await asyncio.to_thread(_migrate, database_url, "head")
        await assert_streaks(db, expected_streaks(history))
    finally:
        await db.dispose()
