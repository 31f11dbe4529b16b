"""Display names are remembered with one upsert (new members, renamed members, empty names), and a process
skips rewriting a name it committed lately."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.commands.context import NameMemo
from bot.core import Core
from bot.storage.database import Database
from bot.storage.models import Member
from bot.storage.progress import ProgressRepository
from bot.vocabulary import Actor, Place

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
    assert await name_of(db, "u1", "discord", "G1") == "Ada L."


async def name_of(db: Database, user: str, platform: str = "slack", workspace: str = "T1") -> str | None:
    async with db.session() as session:
        return await session.scalar(
            select(Member.display_name).where(
                Member.platform == platform, Member.workspace == workspace, Member.user == user
            )
        )


async def rename_elsewhere(db: Database, user: str, name: str) -> None:
    """Another process writes a newer name."""
    async with db.session() as session:
        await session.execute(
            update(Member).where(Member.user == user, Member.workspace == "T1").values(display_name=name)
        )


async def test_a_process_skips_rewriting_a_name_it_wrote_lately_but_only_once_committed(
    core: Core, db: Database, place: Place
) -> None:
    ada = Actor("slack", "T1", "u-ada", "Ada")
    await core.command("/mlquestion random", ada, place)
    assert await name_of(db, "u-ada") == "Ada"
    await rename_elsewhere(db, "u-ada", "Ada (elsewhere)")
    await core.command("/mlquestion random", ada, place)  # this process wrote "Ada" lately: no write
    assert await name_of(db, "u-ada") == "Ada (elsewhere)"
    core.services.names.lifetime = 0.0  # the note expires: the name is written again
    await core.command("/mlquestion show cnn-max-pooling", ada, place)
    assert await name_of(db, "u-ada") == "Ada"

    # A rolled-back write is not noted: the second answer to a round is refused after the name was written.
    outcome = await core.command("/mlquestion random", ada, place)
    round_id = outcome.responses[0].post.actions[0].target  # type: ignore[union-attr]
    core.services.names.lifetime = 600.0
    await core.submit(f"answer:{round_id}", {"answer": "A first answer, long enough."}, ada, place)
    renamed = Actor("slack", "T1", "u-ada", "Ada L.")
    refused = await core.submit(f"answer:{round_id}", {"answer": "Again."}, renamed, place)
    assert "already answered" in refused.responses[0].post.body  # type: ignore[union-attr]
    assert await name_of(db, "u-ada") == "Ada"  # rolled back with the refused answer
    await rename_elsewhere(db, "u-ada", "Ada (elsewhere)")
    await core.command("/mlquestion random", renamed, place)  # "Ada L." was never committed: written now
    assert await name_of(db, "u-ada") == "Ada L."


def test_the_memo_forgets_the_oldest_names_first_and_after_its_lifetime() -> None:
    memo = NameMemo(lifetime=600.0, capacity=2)
    assert not memo.unchanged("slack", "T1", "u1", "Ann")
    memo.note("slack", "T1", "u1", "Ann")
    memo.note("slack", "T1", "u2", "Bob")
    assert memo.unchanged("slack", "T1", "u1", "Ann")
    assert not memo.unchanged("slack", "T1", "u1", "Anne")
    assert not memo.unchanged("slack", "T2", "u1", "Ann")
    memo.note("slack", "T1", "u1", "Ann")  # noting again makes u1 the newest
    memo.note("slack", "T1", "u3", "Cy")
    assert (memo.unchanged("slack", "T1", "u1", "Ann"), memo.unchanged("slack", "T1", "u2", "Bob")) == (True, False)
    memo.lifetime = 0.0
    memo.note("slack", "T1", "u3", "Cy")
    assert not memo.unchanged("slack", "T1", "u3", "Cy")
