"""SQLAlchemy 2 models. Every row belongs to one (platform, workspace). Times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base with stable constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), date: Date()}


class Scoped:
    """Columns every row has: the platform and the workspace (server) it belongs to."""

    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64))


class Member(Scoped, Base):
    """A member's latest display name, for leaderboards."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class Schedule(Scoped, Base):
    """A channel's daily question: when, in which zone, how long the discussion lasts."""

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "channel"),
        Index("ix_schedules_due", "state", "next_post_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    post_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    reveal_after_s: Mapped[int] = mapped_column(Integer)
    topics: Mapped[str] = mapped_column(String(400), default="")
    difficulty: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8), default="active")
    paused_reason: Mapped[str | None] = mapped_column(String(300))
    reason_told: Mapped[bool] = mapped_column(default=False)
    next_post_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class Round(Scoped, Base):
    """One question asked in a channel: the daily post or an on-demand one."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "channel", "kind", "local_date"),
        # Covers what the picker reads: which questions a channel was asked, and the latest ones.
        Index("ix_rounds_channel", "platform", "workspace", "channel", "opened_at", "question_id"),
        Index("ix_rounds_due", "state", "reveal_due_at"),
        # A channel's daily rounds in number order with their state: streaks and the next number, from the index.
        Index("ix_rounds_daily", "platform", "workspace", "channel", "kind", "number", "state"),
        # An on-demand round's buttons name it by its token (it is shown before it is stored); daily ones have none.
        Index(
            "uq_rounds_token",
            "token",
            unique=True,
            sqlite_where=text("token IS NOT NULL"),
            postgresql_where=text("token IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    thread: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    number: Mapped[int | None]
    local_date: Mapped[date | None]
    asked_by: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))
    claimed_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    reveal_due_at: Mapped[datetime]
    revealed_at: Mapped[datetime | None]
    token: Mapped[str | None] = mapped_column(String(24))


class Answer(Scoped, Base):
    """A member's answer to a round: their form submission or first substantial thread reply."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("round_id", "user"),
        Index("ix_answers_message", "platform", "workspace", "message_id"),
        Index("ix_answers_user", "platform", "workspace", "user", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    user: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class MemberStreak(Scoped, Base):
    """A member's latest run of answered daily rounds in one channel, kept up to date as they answer.

    `current_run` is the length of the run that ends at round `last_number`; it is the member's current
    streak while `last_number` is the channel's newest counted round (or the one before it while the
    newest is still open). `best_run` is their longest run there.
    """

    __tablename__ = "streaks"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    current_run: Mapped[int]
    best_run: Mapped[int]
    last_number: Mapped[int]


class Upvote(Scoped, Base):
    """One member's upvote on another member's answer."""

    __tablename__ = "upvotes"
    __table_args__ = (UniqueConstraint("answer_id", "voter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class PointEntry(Scoped, Base):
    """Points earned, once per reason (`ref` makes awards idempotent)."""

    __tablename__ = "points"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "ref"),
        # Both cover the columns the queries read: leaderboards since a date, and per member (all time, stats).
        Index("ix_points_board", "platform", "workspace", "created_at", "user", "amount", "reason"),
        Index("ix_points_member", "platform", "workspace", "user", "created_at", "amount", "reason"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(10))
    ref: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class MemberTotal(Scoped, Base):
    """A member's points and answers in a workspace of all time, added to by every award (the all-time
    leaderboard and `stats` read it instead of summing years of `points`)."""

    __tablename__ = "totals"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "user"),
        Index("ix_totals_board", "platform", "workspace", "points", "user", "answers"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64))
    points: Mapped[int]
    answers: Mapped[int]


class Grade(Scoped, Base):
    """A member's self-grade on a question (history; reviews hold the schedule)."""

    __tablename__ = "grades"
    __table_args__ = (Index("ix_grades_user", "platform", "workspace", "user", "topic", "grade"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(80))
    topic: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]


class ReviewItem(Scoped, Base):
    """When a member should see a question again (spaced repetition)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "user", "question_id"),
        Index("ix_reviews_due", "platform", "workspace", "user", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(80))
    interval_days: Mapped[int]
    base_interval_days: Mapped[int]
    due_at: Mapped[datetime]
    last_grade: Mapped[str] = mapped_column(String(8))
    last_graded_at: Mapped[datetime]


class CustomQuestion(Scoped, Base):
    """A question an admin added; it exists for their workspace only."""

    __tablename__ = "custom_questions"
    __table_args__ = (UniqueConstraint("platform", "workspace", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[str] = mapped_column(String(80))
    question: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(40))
    difficulty: Mapped[str] = mapped_column(String(8))
    answer: Mapped[str] = mapped_column(Text)
    key_points: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class SeenEvent(Scoped, Base):
    """A platform event already handled (platforms redeliver; we act once)."""

    __tablename__ = "seen_events"
    __table_args__ = (UniqueConstraint("platform", "workspace", "event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
