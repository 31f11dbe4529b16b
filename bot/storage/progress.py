"""Points, leaderboards, streaks, self-grades and reviews of the members of a workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage._sql import insert_ignoring_conflicts
from bot.storage.models import Answer, Grade, Member, PointEntry, ReviewItem, Round


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
        channels = (
            (
                await self.session.execute(
                    select(Round.channel)
                    .join(Answer, Answer.round_id == Round.id)
                    .where(
                        Round.platform == platform,
                        Round.workspace == workspace,
                        Round.kind == "daily",
                        Answer.user == user,
                    )
                    .distinct()
                )
            )
            .scalars()
            .all()
        )
        result = {}
        for channel in channels:
            rows = await self.session.execute(
                select(Round.state, Answer.id)
                .outerjoin(Answer, (Answer.round_id == Round.id) & (Answer.user == user))
                .where(
                    Round.platform == platform,
                    Round.workspace == workspace,
                    Round.channel == channel,
                    Round.kind == "daily",
                    Round.state.in_(("open", "revealing", "revealed")),
                )
                .order_by(Round.number.desc())
            )
            result[channel] = _streak([(state, answer_id is not None) for state, answer_id in rows])
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
        rows = await self.session.execute(
            select(Grade.topic, Grade.grade).where(
                Grade.platform == platform, Grade.workspace == workspace, Grade.user == user
            )
        )
        value = {"nailed": 1.0, "partly": 0.5, "missed": 0.0}
        totals: dict[str, list[float]] = {}
        for topic, grade in rows:
            totals.setdefault(topic, []).append(value.get(grade, 0.0))
        return {topic: sum(v) / len(v) for topic, v in totals.items()}

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


def _streak(rounds_newest_first: list[tuple[str, bool]]) -> Streak:
    """Count consecutive answered daily rounds; a still-open unanswered round does not break it."""
    current = 0
    counting = True
    best = run = 0
    for index, (state, answered) in enumerate(rounds_newest_first):
        if answered:
            run += 1
            if counting:
                current += 1
        else:
            if not (index == 0 and state == "open"):
                counting = False
            best = max(best, run)
            run = 0
    return Streak(current, max(best, run))
