"""Display names are remembered with one upsert: new members, renamed members, empty names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import Member
from bot.storage.progress import ProgressRepository

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def remember(db: Database, user: str, name: str, at: datetime) -> None:
    async with db.session() as session:
        await ProgressRepository(session).remember_member("discord", "G1", user, name, at)


async def members(db: Database) -> list[tuple[str, str, datetime]]:
    async with db.session() as session:
        rows = await session.execute(select(Member.user, Member.display_name, Member.updated_at).order_by(Member.user))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_member_is_stored_once_and_renamed_when_their_name_changes(db: Database) -> None:
    await remember(db, "u1", "Ada", T0)
    await remember(db, "u2", "G" * 150, T0)
    await remember(db, "u1", "Ada", T0 + timedelta(hours=1))  # same name: the row is left as it was
    assert await members(db) == [("u1", "Ada", T0), ("u2", "G" * 100, T0)]
    await remember(db, "u1", "Ada L.", T0 + timedelta(hours=2))
    await remember(db, "u1", "", T0 + timedelta(hours=3))  # no name given: keep the one we know
    assert await members(db) == [("u1", "Ada L.", T0 + timedelta(hours=2)), ("u2", "G" * 100, T0)]
    async with db.session() as session:
        assert await ProgressRepository(session).display_name("discord", "G1", "u1") == "Ada L."
