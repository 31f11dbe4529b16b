"""What the picker reads of a channel, and on-demand rounds, straight from the repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.database import Database
from bot.storage.models import Round
from bot.storage.rounds import RoundRepository
from bot.vocabulary import Place

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
HERE = Place("slack", "T1", "C1")


async def test_the_picker_reads_counts_and_the_latest_questions_newest_first_each_once(db: Database) -> None:
    asked = ["q-a", "q-b", "q-a", "q-c", "q-d", "q-b"]  # oldest first
    async with db.session() as session:
        repo = RoundRepository(session)
        for n, question_id in enumerate(asked):
            await repo.open_on_demand(HERE, question_id, "U1", T0 + timedelta(minutes=n), timedelta(hours=8))
        await repo.open_on_demand(Place("slack", "T1", "C2"), "q-e", "U1", T0, timedelta(hours=8))
        await repo.open_on_demand(Place("slack", "T2", "C1"), "q-e", "U1", T0, timedelta(hours=8))
    async with db.session() as session:
        counts, recent = await RoundRepository(session).asked_in_channel(HERE)
        assert counts == {"q-a": 2, "q-b": 2, "q-c": 1, "q-d": 1}  # nothing from other channels or workspaces
        assert recent == ["q-b", "q-d", "q-c", "q-a"]
        assert (await RoundRepository(session).asked_in_channel(HERE, recent=2))[1] == ["q-b", "q-d"]
        assert await RoundRepository(session).asked_in_channel(Place("discord", "G1", "C1")) == ({}, [])


async def test_an_on_demand_round_is_open_with_its_reveal_time(db: Database) -> None:
    async with db.session() as session:
        round_id = await RoundRepository(session).open_on_demand(HERE, "q-a", "U9", T0, timedelta(hours=8))
    async with db.session() as session:
        round_ = await session.get(Round, round_id)
    assert round_ is not None
    assert (round_.kind, round_.state, round_.question_id, round_.asked_by) == ("on_demand", "open", "q-a", "U9")
    assert (round_.platform, round_.workspace, round_.channel, round_.thread) == ("slack", "T1", "C1", None)
    assert (round_.claimed_at, round_.opened_at, round_.reveal_due_at) == (T0, T0, T0 + timedelta(hours=8))
