"""Points, leaderboards, streaks, self-grades and reviews of the members of a workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage._sql import insert_new, insert_or_update
from bot.storage.models import Answer, Grade, Member, MemberStreak, MemberTotal, PointEntry, ReviewItem, Round

# A daily round counts for streaks once it is being posted; a newest round that is still pending (posting
# or open) and not answered yet does not break a streak.
COUNTED_STATES = ("posting", "open", "revealing", "revealed")
PENDING_STATES = ("posting", "open")


@cache
def _remember_statement(dialect: str) -> Any:
    """Build the member upsert once per dialect (it runs on nearly every command; building it is not free)."""
    return insert_or_update(
        dialect,
        Member,
        ["platform", "workspace", "user"],
        ["display_name", "updated_at"],
        lambda row, new: (new.display_name != "") & (row.display_name != new.display_name),
        **{name: bindparam(name) for name in ("platform", "workspace", "user", "display_name", "updated_at")},
    )


def _counted(platform: Any, workspace: Any, channel: Any) -> tuple[Any, ...]:
    """Return the conditions of a channel's counted daily rounds (they follow `ix_rounds_daily`)."""
    return (
        Round.platform == platform,
        Round.workspace == workspace,
        Round.channel == channel,
        Round.kind == "daily",
        Round.state.in_(COUNTED_STATES),
    )


def _summary_statement() -> Any:
    def mine(model: Any) -> tuple[Any, ...]:
        return (
            model.platform == bindparam("platform"),
            model.workspace == bindparam("workspace"),
            model.user == bindparam("user"),
        )

    points = func.coalesce(func.sum(PointEntry.amount), 0)
    return select(
        select(Member.display_name).where(*mine(Member)).scalar_subquery(),
        select(func.count()).select_from(Answer).where(*mine(Answer)).scalar_subquery(),
        select(MemberTotal.points).where(*mine(MemberTotal)).scalar_subquery(),
        select(points).where(*mine(PointEntry), PointEntry.created_at >= bindparam("since")).scalar_subquery(),
        select(ReviewItem.id)
        .where(*mine(ReviewItem), ReviewItem.due_at <= bindparam("now"))
        .limit(1)
        .scalar_subquery(),
    )


# What `stats` shows besides streaks and topics, built once (it runs on every `stats`).
_SUMMARY = _summary_statement()


# Keeping a streak as a member answers (every answer to a daily round), built once.
_STREAKS: Any = MemberStreak.__table__
_STREAK = select(_STREAKS.c.id, _STREAKS.c.current_run, _STREAKS.c.best_run, _STREAKS.c.last_number).where(
    *(_STREAKS.c[name] == bindparam(name) for name in ("platform", "workspace", "user", "channel"))
)
_PREVIOUS_ROUND = (
    select(Round.number)
    .where(
        *_counted(bindparam("platform"), bindparam("workspace"), bindparam("channel")),
        Round.number < bindparam("number"),
    )
    .order_by(Round.number.desc())
    .limit(1)
)
_SET_STREAK = (
    update(_STREAKS)
    .where(_STREAKS.c.id == bindparam("streak_id"))
    .values(current_run=bindparam("new_current"), best_run=bindparam("new_best"), last_number=bindparam("new_last"))
)


def _streak_statements() -> tuple[Any, Any]:
    """Build `streaks_of`'s two statements once: the members' rows, and each of their channels' two newest
    counted rounds (a short backwards walk of `ix_rounds_daily` per channel)."""
    mine = (
        MemberStreak.platform == bindparam("platform"),
        MemberStreak.workspace == bindparam("workspace"),
        MemberStreak.user.in_(bindparam("users", expanding=True)),
    )
    rows = select(
        MemberStreak.user,
        MemberStreak.channel,
        MemberStreak.current_run,
        MemberStreak.best_run,
        MemberStreak.last_number,
    ).where(*mine)
    channels = select(MemberStreak.channel).where(*mine).distinct().subquery()

    def newest(column: Any, offset: int) -> Any:
        return (
            select(column)
            .where(*_counted(bindparam("platform"), bindparam("workspace"), channels.c.channel))
            .order_by(Round.number.desc())
            .limit(1)
            .offset(offset)
            .correlate(channels)
            .scalar_subquery()
        )

    heads = select(channels.c.channel, newest(Round.number, 0), newest(Round.state, 0), newest(Round.number, 1))
    return rows, heads


_STREAK_ROWS, _STREAK_HEADS = _streak_statements()
_GRADE_VALUE = case((Grade.grade == "nailed", 1.0), (Grade.grade == "partly", 0.5), else_=0.0)
_TOPIC_SCORES = (
    select(Grade.topic, func.sum(_GRADE_VALUE), func.count())
    .where(
        Grade.platform == bindparam("platform"),
        Grade.workspace == bindparam("workspace"),
        Grade.user == bindparam("user"),
    )
    .group_by(Grade.topic)
)


@dataclass(frozen=True)
class Summary:
    """A member's figures for `stats`."""

    display_name: str | None
    answered: int
    points: int
    points_since: int
    review_due: bool


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
        """Keep the member's latest display name for leaderboards (one upsert; an empty name changes nothing)."""
        await self.session.execute(
            _remember_statement(self.session.get_bind().dialect.name),
            {
                "platform": platform,
                "workspace": workspace,
                "user": user,
                "display_name": display_name[:100],
                "updated_at": now,
            },
        )

    async def leaderboard(
        self, platform: str, workspace: str, since: datetime | None, limit: int = 10
    ) -> list[Standing]:
        """Return the top members by points earned since `since` (all time when None: the kept totals)."""
        query: Any
        if since is None:
            query = (
                select(MemberTotal.user, MemberTotal.points, MemberTotal.answers)
                .where(MemberTotal.platform == platform, MemberTotal.workspace == workspace)
                .order_by(MemberTotal.points.desc(), MemberTotal.user)
                .limit(limit)
            )
        else:
            # The period's entries first, read by time (`ix_points_board`); OFFSET 0 keeps it a subquery. Left
            # to itself, SQLite prefers the per-member index (no sorting of the groups) and reads the
            # workspace's whole history for a week's board.
            entries = (
                select(PointEntry.user, PointEntry.amount, PointEntry.reason)
                .where(
                    PointEntry.platform == platform, PointEntry.workspace == workspace, PointEntry.created_at >= since
                )
                .offset(0)
                .subquery()
                .c
            )
            points = func.sum(entries.amount)
            answers = func.sum(func.cast(entries.reason == "answer", type_=PointEntry.amount.type))
            query = (
                select(entries.user, points, answers)
                .group_by(entries.user)
                .order_by(points.desc(), entries.user)
                .limit(limit)
            )
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

    async def summary(self, platform: str, workspace: str, user: str, since: datetime, now: datetime) -> Summary:
        """Return the member's name, answers, points (all and since `since`) and whether a review is due,
        in one statement (each figure a subquery over its own covering index)."""
        parameters = {"platform": platform, "workspace": workspace, "user": user, "since": since, "now": now}
        name, answered, points, recent, due = (await self.session.execute(_SUMMARY, parameters)).one()
        return Summary(name, int(answered or 0), int(points or 0), int(recent or 0), due is not None)

    async def streaks(self, platform: str, workspace: str, user: str) -> dict[str, Streak]:
        """Return the member's streak in each channel with daily questions they answered."""
        return (await self.streaks_of(platform, workspace, [user])).get(user, {})

    async def streaks_of(self, platform: str, workspace: str, users: list[str]) -> dict[str, dict[str, Streak]]:
        """Return each member's streak in each channel with daily questions they answered, in two queries.

        The `streaks` table holds each member's latest run per channel (kept by `record_daily_answer`); the
        run is current while it ends at the channel's newest counted round, or at the one before it while
        the newest is still pending (a round nobody answered yet does not break a streak). The newest two
        rounds come from short backwards walks of `ix_rounds_daily`, once per channel the members have rows in.
        """
        if not users:
            return {}
        where = {"platform": platform, "workspace": workspace, "users": users}
        rows = (await self.session.execute(_STREAK_ROWS, where)).all()
        if not rows:
            return {}
        heads = {
            channel: (top, top_state, before_top)
            for channel, top, top_state, before_top in await self.session.execute(_STREAK_HEADS, where)
        }
        result: dict[str, dict[str, Streak]] = {}
        for user, channel, current, best, last in rows:
            top, top_state, before_top = heads.get(channel, (None, None, None))
            live = last == top or (top_state in PENDING_STATES and last == before_top)
            result.setdefault(user, {})[channel] = Streak(current if live else 0, best)
        return result

    async def record_daily_answer(self, round_: Round, user: str) -> None:
        """Extend or start the member's streak in the round's channel (in the transaction storing the answer)."""
        number = round_.number
        if round_.kind != "daily" or number is None or round_.state not in COUNTED_STATES:
            return
        where = {"platform": round_.platform, "workspace": round_.workspace, "channel": round_.channel}
        row = (await self.session.execute(_STREAK, {**where, "user": user})).first()
        if row is None:
            await insert_new(
                self.session, MemberStreak, **where, user=user, current_run=1, best_run=1, last_number=number
            )
            return
        streak_id, current, best, last = row
        if number > last:
            previous = await self.session.scalar(_PREVIOUS_ROUND, {**where, "number": number})
            current = current + 1 if previous == last else 1
            best, last = max(best, current), number
        elif number < last:  # an older round answered late: count the channel again
            current, best, last = await self._recount(round_.platform, round_.workspace, user, round_.channel)
        else:
            return
        await self.session.execute(
            _SET_STREAK, {"streak_id": streak_id, "new_current": current, "new_best": best, "new_last": last}
        )

    async def _recount(self, platform: str, workspace: str, user: str, channel: str) -> tuple[int, int, int]:
        """Return (latest run, best run, newest answered number) from the channel's rounds, one by one."""
        numbers = await self.session.scalars(
            select(Round.number).where(*_counted(platform, workspace, channel)).order_by(Round.number.desc())
        )
        answered = set(
            await self.session.scalars(
                select(Round.number)
                .join(Answer, Answer.round_id == Round.id)
                .where(*_counted(platform, workspace, channel), Answer.user == user)
            )
        )
        runs: list[int] = []
        run = 0
        for number in numbers:
            if number in answered:
                run += 1
            elif run:
                runs.append(run)
                run = 0
        if run:
            runs.append(run)
        return (runs[0], max(runs), max(n for n in answered if n is not None)) if runs else (0, 0, 0)

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
        rows = await self.session.execute(_TOPIC_SCORES, {"platform": platform, "workspace": workspace, "user": user})
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
