"""A member's figures for `stats`, read in one statement: each figure stays in its member and workspace."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import event, select

from bot.storage.database import Database, alembic_config
from bot.storage.models import Answer, Member, PointEntry, ReviewItem
from bot.storage.progress import ProgressRepository, Summary
from bot.storage.rounds import RoundRepository
from bot.vocabulary import Place

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
T1 = Member(platform="slack", workspace="T1")  # any row of the workspace says where points go
T2 = Member(platform="slack", workspace="T2")


async def test_the_summary_counts_answers_points_and_due_reviews_of_one_member(db: Database) -> None:
    async with db.session() as session:
        progress = ProgressRepository(session)
        await progress.remember_member("slack", "T1", "ada", "Ada", NOW)
        for workspace in ("T1", "T2"):  # the same user id in another workspace counts nowhere here
            round_id = await RoundRepository(session).open_on_demand(
                Place("slack", workspace, "C1"), "q-a", "ada", NOW, timedelta(hours=8)
            )
            session.add(Answer(platform="slack", workspace=workspace, round_id=round_id, user="ada",
                               display_name="Ada", text="...", source="form", created_at=NOW))  # fmt: skip
        rounds = RoundRepository(session)
        for n, (user, amount, at) in enumerate(
            [("ada", 10, MONDAY - timedelta(seconds=1)), ("ada", 2, MONDAY), ("ada", 4, NOW), ("bob", 10, NOW)]
        ):
            assert await rounds.award(T1, user, amount, "answer", f"r{n}", at)
        assert not await rounds.award(T1, "ada", 50, "answer", "r0", NOW)  # once per ref
        assert await rounds.award(T2, "ada", 99, "answer", "elsewhere", NOW)
        session.add(ReviewItem(platform="slack", workspace="T1", user="ada", question_id="q-b", interval_days=1,
                               base_interval_days=1, due_at=NOW + timedelta(hours=1), last_grade="missed",
                               last_graded_at=NOW))  # fmt: skip

    async with db.session() as session:
        progress = ProgressRepository(session)
        assert await progress.summary("slack", "T1", "ada", MONDAY, NOW) == Summary("Ada", 1, 16, 6, False)
        # The review falls due an hour later.
        later = await progress.summary("slack", "T1", "ada", MONDAY, NOW + timedelta(hours=1))
        assert later.review_due
        assert await progress.summary("slack", "T1", "bob", MONDAY, NOW) == Summary(None, 0, 10, 10, False)
        assert await progress.summary("discord", "T1", "ada", MONDAY, NOW) == Summary(None, 0, 0, 0, False)


async def test_a_periods_board_reads_the_period_by_time_and_all_time_reads_the_totals(db: Database) -> None:
    plans: list[str] = []

    def explain(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        board = "FROM points" in statement or "FROM totals" in statement
        if statement.startswith("SELECT") and board and conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plans.append(" ".join(str(row[-1]) for row in rows))

    event.listen(db.engine.sync_engine, "after_cursor_execute", explain)
    async with db.session() as session:
        for since in (MONDAY, None):
            await ProgressRepository(session).leaderboard("slack", "T1", since)
    if db.is_sqlite:
        assert "ix_points_board" in plans[0] and "ix_totals_board" in plans[1], plans


async def test_the_kept_totals_rank_like_summing_every_award(db: Database) -> None:
    rng = random.Random(3)
    users = [f"u{n}" for n in range(12)]
    async with db.session() as session:
        rounds = RoundRepository(session)
        for n in range(300):
            where = rng.choice((T1, T1, T1, T2))
            reason = rng.choice(("answer", "upvote"))
            ref = f"{reason}:{rng.randrange(250)}"  # some refs repeat: those awards are refused
            at = MONDAY + timedelta(minutes=n)
            await rounds.award(where, rng.choice(users), rng.randint(1, 10), reason, ref, at)

    async with db.session() as session:
        entries = (await session.execute(select(PointEntry))).scalars().all()
        for where in (T1, T2):
            points: Counter[str] = Counter()
            answers: Counter[str] = Counter()
            for entry in entries:
                if (entry.platform, entry.workspace) == (where.platform, where.workspace):
                    points[entry.user] += entry.amount
                    answers[entry.user] += entry.reason == "answer"
            expected = sorted(points, key=lambda user: (-points[user], user))[:10]
            board = await ProgressRepository(session).leaderboard(where.platform, where.workspace, None)
            assert [(s.user, s.points, s.answers) for s in board] == [(u, points[u], answers[u]) for u in expected]
            # Since before the first award, the period's board sums the entries: the same ranking.
            since = await ProgressRepository(session).leaderboard(where.platform, where.workspace, MONDAY)
            assert since == board


def _migrate(url: str, revision: str, down: bool = False) -> None:
    config = alembic_config(url)
    (command.downgrade if down else command.upgrade)(config, revision)


async def test_the_migration_fills_the_totals_from_the_points(database_url: str) -> None:
    await asyncio.to_thread(_migrate, database_url, "0003", True)
    db = Database(database_url)
    try:
        async with db.session() as session:
            for n, (workspace, user, amount, reason) in enumerate(
                [("T1", "ada", 5, "answer"), ("T1", "ada", 3, "upvote"), ("T1", "bob", 5, "answer"),
                 ("T2", "ada", 7, "answer"), ("T1", "cy", 2, "upvote")]
            ):  # fmt: skip
                session.add(PointEntry(platform="slack", workspace=workspace, user=user, amount=amount,
                                       reason=reason, ref=f"r{n}", created_at=NOW))  # fmt: skip
        await db.dispose()
        await asyncio.to_thread(_migrate, database_url, "head")
        async with db.session() as session:
            board = await ProgressRepository(session).leaderboard("slack", "T1", None)
            assert [(s.user, s.points, s.answers) for s in board] == [("ada", 8, 1), ("bob", 5, 1), ("cy", 2, 0)]
            # Awards after the upgrade add to the filled totals.
            assert await RoundRepository(session).award(T1, "cy", 10, "answer", "r9", NOW)
        async with db.session() as session:
            board = await ProgressRepository(session).leaderboard("slack", "T1", None)
            assert (board[0].user, board[0].points, board[0].answers) == ("cy", 12, 1)
    finally:
        await db.dispose()
