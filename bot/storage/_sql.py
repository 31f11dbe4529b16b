"""Dialect-portable pieces: INSERT … ON CONFLICT for SQLite and PostgreSQL alike."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(session: AsyncSession | str, model: Any, values: dict[str, Any]) -> Any:
    dialect = session if isinstance(session, str) else session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # On the model's table, not the model: a Core statement skips the ORM's bulk-insert handling in
    # `session.execute` (about a third of a millisecond per statement; these run on every command).
    return insert(model.__table__).values(**values)


def insert_or_update(
    session: AsyncSession | str, model: Any, keys: list[str], update: list[str], when: Any, **values: Any
) -> Any:
    """Return an INSERT of `values` that, when the unique `keys` already hold a row, updates its `update`
    columns to the new values where `when(table, excluded)` holds (one statement, no read first).

    `session` may be a dialect name instead, to build the statement once and run it with parameters.
    """
    statement = _insert(session, model, values)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={column: excluded[column] for column in update},
        where=when(model.__table__.c, excluded),
    )


@cache
def insert_or_add(dialect: str, model: Any, keys: tuple[str, ...], added: tuple[str, ...]) -> Any:
    """Build once an INSERT of a row (every column a parameter of its name) that, when the unique `keys`
    already hold one, adds the new row's `added` columns to it instead (a counter kept in one statement)."""
    columns = (*keys, *added)
    statement = _insert(dialect, model, {column: bindparam(column) for column in columns})
    excluded = statement.excluded
    table = model.__table__.c
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={column: table[column] + excluded[column] for column in added},
    )


async def insert_new(session: AsyncSession, model: Any, **values: Any) -> int | None:
    """Insert a row unless a unique key already holds it; return the new row's id, or None."""
    statement = _insert_new(session.get_bind().dialect.name, model, tuple(sorted(values)))
    result: int | None = (await session.execute(statement, values)).scalar()
    return result


@cache
def _insert_new(dialect: str, model: Any, columns: tuple[str, ...]) -> Any:
    """Build each kind of insert once, with parameters (its SQL and cache key are then reused)."""
    values: dict[str, Any] = {column: bindparam(column) for column in columns}
    return _insert(dialect, model, values).on_conflict_do_nothing().returning(model.__table__.c.id)
