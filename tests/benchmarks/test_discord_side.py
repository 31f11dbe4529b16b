"""The Discord side by side checks that every question the bot showed first was stored after."""

from __future__ import annotations

from pathlib import Path

from benchmarks.discord_side import Arrival, SideFake, Where, shown_rounds, stored_rounds
from bot.storage.database import Database, upgrade_async
from bot.storage.rounds import RoundRepository
from bot.vocabulary import Place
from tests.conftest import START


def _question(target: str) -> dict:
    buttons = [{"type": 2, "custom_id": f"mlq:answer:{target}"}, {"type": 2, "custom_id": f"mlq:reveal:{target}"}]
    return {"type": 4, "data": {"embeds": [{"title": "Practice question"}], "components": [{"components": buttons}]}}


async def test_a_question_shown_but_not_stored_is_counted(tmp_path: Path) -> None:
    fake = SideFake("900", "910", "study")
    fake.arrivals = {
        "a": [Arrival(1.0, "callback", _question("t0123456789abcdef"))],
        "b": [Arrival(1.0, "callback", {"type": 5}), Arrival(2.0, "webhook", _question("tfedcba9876543210")["data"])],
        "c": [Arrival(1.0, "callback", _question("42"))],
    }
    shown = shown_rounds(fake)
    assert shown == {"t0123456789abcdef", "tfedcba9876543210", "42"}, "callbacks and follow-ups after a defer"

    url = f"sqlite:///{tmp_path / 'mlq.db'}"
    await upgrade_async(url)
    db = Database(url)
    try:
        async with db.session() as session:
            repo, here = RoundRepository(session), Place("discord", "900", "910")
            await repo.open_on_demand(here, "cnn-max-pooling", "u", START, START - START, "t0123456789abcdef")
            await repo.open_on_demand(
                Place("discord", "900", "911"), "cnn-padding", "u", START, START - START, "tfedcba9876543210"
            )
    finally:
        await db.dispose()
    where = Where(guild="900", channel="910", channel_name="study", members=[], from_history=True, renamed={})
    assert await stored_rounds(url, where, shown) == {"shown": 3, "stored": 1, "shown_not_stored": 2}
