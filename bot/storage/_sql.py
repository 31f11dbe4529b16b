"""Dialect-portable pieces: INSERT … ON CONFLICT for SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_conflicts(session: AsyncSession, model: Any, **values: Any) -> Any:
    """Return an INSERT of `values` that does nothing when a unique key already holds them."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).values(**values).on_conflict_do_nothing()


async def insert_new(session: AsyncSession, model: Any, **values: Any) -> int | None:
    """Insert a row unless a unique key already holds it; return the new row's id, or None."""
    statement = insert_ignoring_conflicts(session, model, **values).returning(model.id)
    result: int | None = await session.scalar(statement)
    return result
