"""Points, leaderboards, streaks, self-grades and reviews of the members of a workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage._sql import insert_ignoring_conflicts
from bot.storage.models import Answer, Grade, Member, PointEntry, ReviewItem, Round

COUNTED_STATES = ("open", "revealing", "revealed")


@dataclass(frozen=True)
class Standing:
    """One line of a leaderboard."""

    user: str
    display_name: str
    points: int
    answers: int


@dataclass(frozen=True)
class Streak:
    """A member's current and best run of answered daily questions in one channel."""

    current: int
    best: int


class ProgressRepository:
    """What members earned and how they are doing, per workspace."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember_member(self, platform: str, workspace: str, user: str, display_name: str, now: datetime) -> None:
        """Keep the member's latest display name for leaderboards."""
        member = await self.session.scalar(
            select(Member).where(Member.platform == platform, Member.workspace == workspace, Member.user == user)
        )
        if member is None:
            await self.session.execute(
                insert_ignoring_conflicts(
                    self.session,
                    Member,
                    platform=platform,
                    workspace=workspace,
                    user=user,
                    display_name=display_name[:100],
                    updated_at=now,
                )
            )
        elif member.display_name != display_name and display_name:
            member.display_name = display_name[:100]
            member.updated_at = now

    async def display_name(self, platform: str, workspace: str, user: str) -> str | None:
        """Return the member's last known display name."""
        return await self.session.scalar(
            select(Member.display_name).where(
                Member.platform == platform, Member.workspace == workspace, Member.user == user
            )
        )

    async def leaderboard(
        self, platform: str, workspace: str, since: datetime | None, limit: int = 10
    ) -> list[Standing]:
        """Return the top members by points earned since `since` (all time when None)."""
        points = func.sum(PointEntry.amount)
        answers = func.sum(func.cast(PointEntry.reason == "answer", type_=PointEntry.amount.type))
        query = (
            select(PointEntry.user, points, answers)
            .where(PointEntry.platform == platform, PointEntry.workspace == workspace)
            .group_by(PointEntry.user)
            .order_by(points.desc(), PointEntry.user)
            .limit(limit)
        )
        if since is not None:
            query = query.where(PointEntry.created_at >= since)
        rows = (await self.session.execute(query)).all()
        names = await self._names(platform, workspace, [r[0] for r in rows])
        return [Standing(u, names.get(u, u), int(p or 0), int(a or 0)) for u, p, a in rows]

    async def _names(self, platform: str, workspace: str, users: list[str]) -> dict[str, str]:
        if not users:
            return {}
        rows = await self.session.execute(
            select(Member.user, Member.display_name).where(
                Member.platform == platform, Member.workspace == workspace, Member.user.in_(users)
            )
        )
        return {u: n for u, n in rows}

    async def points(self, platform: str, workspace: str, user: str, since: datetime | None = None) -> int:
        """Return the member's points (since `since`)."""
        query = select(func.coalesce(func.sum(PointEntry.amount), 0)).where(
            PointEntry.platform == platform,
            PointEntry.workspace == workspace,
            PointEntry.user == user,
        )
        if since is not None:
            query = query.where(PointEntry.created_at >= since)
        return int(await self.session.scalar(query) or 0)

    async def answered_count(self, platform: str, workspace: str, user: str) -> int:
        """Return how many questions the member answered."""
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    Answer.platform == platform, Answer.workspace == workspace, Answer.user == user
                )
            )
            or 0
        )

    async def streaks(self, platform: str, workspace: str, user: str) -> dict[str, Streak]:
        """Return the member's streak in each channel with daily questions they answered."""
        return (await self.streaks_of(platform, workspace, [user])).get(user, {})

    async def streaks_of(self, platform: str, workspace: str, users: list[str]) -> dict[str, dict[str, Streak]]:
        """Return each member's streak in each channel with daily questions they answered, in two queries.

        The database numbers each channel's counted daily rounds newest first (`pos`) and groups a member's
        answered rounds into runs of consecutive positions (gaps and islands), so only one row per run
        comes back instead of every round of every channel.
        """
        if not users:
            return {}
        pairs = (
            await self.session.execute(
                select(Answer.user, Round.channel)
                .join(Round, Round.id == Answer.round_id)
                .where(
                    Answer.platform == platform,
                    Answer.workspace == workspace,
                    Answer.user.in_(users),
                    Round.platform == platform,
                    Round.workspace == workspace,
                    Round.kind == "daily",
                )
                .distinct()
            )
        ).all()
        result: dict[str, dict[str, Streak]] = {}
        for user, channel in pairs:
            result.setdefault(user, {})[channel] = Streak(0, 0)
        if not pairs:
            return result
        counted = (
            Round.platform == platform,
            Round.workspace == workspace,
            Round.kind == "daily",
            Round.state.in_(COUNTED_STATES),
        )
        channels = sorted({channel for _, channel in pairs})
        # One row per counted round of these channels, then one per answer of these members to such a round.
        marks = union_all(
            select(Round.channel, Round.number, Round.state, null().label("user"), literal(1).label("is_round")).where(
                *counted, Round.channel.in_(channels)
            ),
            select(Round.channel, Round.number, Round.state, Answer.user, literal(0).label("is_round"))
            .join(Round, Round.id == Answer.round_id)
            .where(Answer.platform == platform, Answer.workspace == workspace, Answer.user.in_(users), *counted),
        ).subquery("marks")
        # Newest first, a round before the answers to it: the running count of rounds is an answer's position.
        order = (marks.c.number.desc(), marks.c.is_round.desc())
        placed = select(
            marks.c.channel,
            marks.c.user,
            marks.c.is_round,
            func.sum(marks.c.is_round).over(partition_by=marks.c.channel, order_by=order, rows=(None, 0)).label("pos"),
            func.first_value(marks.c.state).over(partition_by=marks.c.channel, order_by=order).label("newest"),
        ).subquery("placed")
        island = placed.c.pos - func.row_number().over(
            partition_by=(placed.c.user, placed.c.channel), order_by=placed.c.pos
        )
        answered = (
            select(placed.c.user, placed.c.channel, placed.c.pos, placed.c.newest, island.label("island"))
            .where(placed.c.is_round == 0)
            .subquery("answered")
        )
        runs = await self.session.execute(
            select(
                answered.c.user, answered.c.channel, answered.c.newest, func.count(), func.min(answered.c.pos)
            ).group_by(answered.c.user, answered.c.channel, answered.c.island, answered.c.newest)
        )
        for user, channel, newest, length, top in runs:
            streak = result[user][channel]
            # The run is current when it reaches the newest round, or the one before it while the newest
            # is still open (an open round nobody answered yet does not break a streak).
            current = length if top == 1 or (top == 2 and newest == "open") else streak.current
            result[user][channel] = Streak(current, max(streak.best, int(length)))
        return result

    async def add_grade(
        self,
        platform: str,
        workspace: str,
        user: str,
        question_id: str,
        topic: str,
        grade: str,
        now: datetime,
    ) -> None:
        """Record a self-grade."""
        self.session.add(
            Grade(
                platform=platform,
                workspace=workspace,
                user=user,
                question_id=question_id,
                topic=topic,
                grade=grade,
                created_at=now,
            )
        )

    async def topic_scores(self, platform: str, workspace: str, user: str) -> dict[str, float]:
        """Return the member's average self-grade per topic (Nailed 1, Partly 0.5, Missed 0)."""
        value = case((Grade.grade == "nailed", 1.0), (Grade.grade == "partly", 0.5), else_=0.0)
        rows = await self.session.execute(
            select(Grade.topic, func.sum(value), func.count())
            .where(Grade.platform == platform, Grade.workspace == workspace, Grade.user == user)
            .group_by(Grade.topic)
        )
        return {topic: float(total) / count for topic, total, count in rows}

    async def review_item(self, platform: str, workspace: str, user: str, question_id: str) -> ReviewItem | None:
        """Return the member's review schedule for a question."""
        return await self.session.scalar(
            select(ReviewItem).where(
                ReviewItem.platform == platform,
                ReviewItem.workspace == workspace,
                ReviewItem.user == user,
                ReviewItem.question_id == question_id,
            )
        )

    async def save_review(
        self,
        platform: str,
        workspace: str,
        user: str,
        question_id: str,
        interval: int,
        base_interval: int,
        grade: str,
        now: datetime,
    ) -> ReviewItem:
        """Create or update the member's review schedule for a question."""
        item = await self.review_item(platform, workspace, user, question_id)
        if item is None:
            item = ReviewItem(platform=platform, workspace=workspace, user=user, question_id=question_id)
            self.session.add(item)
        item.interval_days = interval
        item.base_interval_days = base_interval
        item.due_at = now + timedelta(days=interval)
        item.last_grade = grade
        item.last_graded_at = now
        await self.session.flush()
        return item

    async def due_review(self, platform: str, workspace: str, user: str, now: datetime) -> ReviewItem | None:
        """Return the member's most overdue review."""
        return await self.session.scalar(
            select(ReviewItem)
            .where(
                ReviewItem.platform == platform,
                ReviewItem.workspace == workspace,
                ReviewItem.user == user,
                ReviewItem.due_at <= now,
            )
            .order_by(ReviewItem.due_at)
            .limit(1)
        )

    async def next_review(self, platform: str, workspace: str, user: str) -> ReviewItem | None:
        """Return the member's next review, due or not."""
        return await self.session.scalar(
            select(ReviewItem)
            .where(
                ReviewItem.platform == platform,
                ReviewItem.workspace == workspace,
                ReviewItem.user == user,
            )
            .order_by(ReviewItem.due_at)
            .limit(1)
        )
