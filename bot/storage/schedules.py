"""Channels' daily schedules and which of them are due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Schedule
from bot.vocabulary import Place


class ScheduleRepository:
    """The daily post settings of each channel."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_channel(self, place: Place) -> Schedule | None:
        """Return the channel's schedule."""
        return await self.session.scalar(
            select(Schedule).where(
                Schedule.platform == place.platform,
                Schedule.workspace == place.workspace,
                Schedule.channel == place.channel,
            )
        )

    async def in_workspace(self, platform: str, workspace: str) -> list[Schedule]:
        """Return every schedule of a workspace."""
        return list(
            (
                await self.session.execute(
                    select(Schedule)
                    .where(Schedule.platform == platform, Schedule.workspace == workspace)
                    .order_by(Schedule.channel)
                )
            ).scalars()
        )

    async def save(self, schedule: Schedule) -> Schedule:
        """Store a new or changed schedule."""
        self.session.add(schedule)
        await self.session.flush()
        return schedule

    async def delete(self, schedule: Schedule) -> None:
        """Remove a schedule (its past rounds stay)."""
        await self.session.delete(schedule)

    async def due(self, now: datetime, limit: int = 500, platform: str | None = None) -> list[Schedule]:
        """Return active schedules whose next post time has come (on one platform, when given)."""
        query = select(Schedule).where(*self._due(now)).order_by(Schedule.next_post_at).limit(limit)
        if platform is not None:
            query = query.where(Schedule.platform == platform)
        return list((await self.session.execute(query)).scalars())

    async def due_platforms(self, now: datetime) -> set[str]:
        """Return the platforms that have a schedule due."""
        return set(await self.session.scalars(select(Schedule.platform).where(*self._due(now)).distinct()))

    @staticmethod
    def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (Schedule.state == "active", Schedule.next_post_at <= now)

    async def advance(self, schedule: Schedule, seen_next: datetime, new_next: datetime) -> bool:
        """Move the next post time on, if nobody else did meanwhile."""
        result = await self.session.execute(
            update(Schedule)
            .where(Schedule.id == schedule.id, Schedule.next_post_at == seen_next)
            .values(next_post_at=new_next)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def pause(self, schedule_id: int, reason: str | None, now: datetime) -> None:
        """Pause a schedule, with the reason admins will be told."""
        await self.session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id)
            .values(state="paused", paused_reason=reason, updated_at=now)
        )
