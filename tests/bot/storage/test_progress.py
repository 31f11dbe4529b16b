"""A member's figures for `stats`, read in one statement: each figure stays in its member and workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.storage.database import Database
from bot.storage.models import Answer, PointEntry, ReviewItem
from bot.storage.progress import ProgressRepository, Summary
from bot.storage.rounds import RoundRepository
from bot.vocabulary import Place

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


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
        for n, (user, amount, at) in enumerate(
            [("ada", 10, MONDAY - timedelta(seconds=1)), ("ada", 2, MONDAY), ("ada", 4, NOW), ("bob", 10, NOW)]
        ):
            session.add(PointEntry(platform="slack", workspace="T1", user=user, amount=amount, reason="answer",
                                   ref=f"r{n}", created_at=at))  # fmt: skip
        session.add(PointEntry(platform="slack", workspace="T2", user="ada", amount=99, reason="answer",
                               ref="elsewhere", created_at=NOW))  # fmt: skip
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


async def test_a_periods_board_reads_the_period_by_time_and_all_time_reads_by_member(db: Database) -> None:
    plans: list[str] = []

    def explain(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("SELECT") and "FROM points" in statement and conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plans.append(" ".join(str(row[-1]) for row in rows))

    event.listen(db.engine.sync_engine, "after_cursor_execute", explain)
    async with db.session() as session:
        for since in (MONDAY, None):
            await ProgressRepository(session).leaderboard("slack", "T1", since)
    if db.is_sqlite:
        assert "ix_points_board" in plans[0] and "ix_points_member" in plans[1], plans
