"""What a workspace adds to the bank, and the platform events it already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage._sql import insert_new
from bot.storage.models import CustomQuestion, SeenEvent


class LibraryRepository:
    """Questions admins added, per workspace, and event de-duplication."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def custom_questions(self, platform: str, workspace: str) -> list[CustomQuestion]:
        """Return the questions this workspace's admins added."""
        return list(
            (
                await self.session.execute(
                    select(CustomQuestion)
                    .where(CustomQuestion.platform == platform, CustomQuestion.workspace == workspace)
                    .order_by(CustomQuestion.id)
                )
            ).scalars()
        )

    async def next_custom_number(self, platform: str, workspace: str) -> int:
        """Return the number for the workspace's next custom question id."""
        count = await self.session.scalar(
            select(func.count()).where(CustomQuestion.platform == platform, CustomQuestion.workspace == workspace)
        )
        return int(count or 0) + 1

    async def add_custom(self, question: CustomQuestion) -> CustomQuestion:
        """Store a new custom question."""
        self.session.add(question)
        await self.session.flush()
        return question

    async def first_time(self, platform: str, workspace: str, event_id: str, now: datetime) -> bool:
        """Return True the first time an event id is seen, False on every redelivery."""
        seen = await insert_new(
            self.session, SeenEvent, platform=platform, workspace=workspace, event_id=event_id, created_at=now
        )
        return seen is not None
