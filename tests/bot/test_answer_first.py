"""Answer first: an adapter may show an on-demand question before its round is stored (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.core import Core
from bot.rounds import NOT_STORED
from bot.storage.database import Database
from bot.storage.models import Round
from bot.storage.rounds import RoundRepository
from bot.vocabulary import OpenForm, Outcome, Place, Reply
from tests.conftest import START, member
from tests.fakes.outbound import RecordingOutbound

ADA = member("ada")


async def rounds_in(db: Database) -> list[Round]:
    async with db.session() as session:
        return list(await session.scalars(select(Round).order_by(Round.id)))


def question_of(outcome: Outcome) -> Reply:
    [reply] = outcome.responses
    assert isinstance(reply, Reply) and reply.post.kind == "question" and not reply.private
    return reply


async def test_the_question_is_shown_first_and_its_round_stored_when_settled(
    core: Core, db: Database, place: Place
) -> None:
    outcome = await core.invoke("random", {"topic": "cnn"}, ADA, place, answer_first=True)
    reply = question_of(outcome)
    answer, reveal = reply.post.actions
    token = answer.target
    assert token.startswith("t") and not token.isdigit() and reveal.target == token
    assert outcome.pending is not None and await rounds_in(db) == [], "nothing is written before the answer is out"

    assert await outcome.settle() == Outcome(), "stored: nothing more to tell the member"
    [round_] = await rounds_in(db)
    assert (round_.token, round_.kind, round_.state, round_.asked_by) == (token, "on_demand", "open", "ada")
    assert round_.opened_at == START and reply.post.fields[2].value == f"`{round_.question_id}`"

    form = (await core.press(f"mlq:answer:{token}", ADA, place)).responses[0]
    assert isinstance(form, OpenForm) and form.form.form_id == f"answer:{round_.id}"


async def test_other_adapters_get_the_round_stored_before_the_answer(core: Core, db: Database, place: Place) -> None:
    outcome = await core.command("/mlquestion show cnn-max-pooling", ADA, place)
    assert outcome.pending is None
    [round_] = await rounds_in(db)
    assert question_of(outcome).post.actions[0].target == round_.token and round_.question_id == "cnn-max-pooling"


async def test_a_button_pressed_before_the_round_is_stored_waits_for_it(
    core: Core, db: Database, place: Place, outbound: RecordingOutbound
) -> None:
    outcome = await core.invoke("random", {}, ADA, place, answer_first=True)
    token = question_of(outcome).post.actions[1].target
    press = asyncio.ensure_future(core.press(f"mlq:reveal:{token}", ADA, place))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not press.done(), "the press waits for the round being stored"
    await outcome.settle()
    assert await asyncio.wait_for(press, 5) == Outcome(), "the asker's reveal is posted in the channel"
    [reveal] = outbound.posts("reveal")
    assert reveal.post is not None and reveal.post.title == "Model answer"


async def test_a_round_that_cannot_be_stored_is_told_privately_and_forgotten(
    core: Core, db: Database, place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(RoundRepository, "open_on_demand", broken)
    outcome = await core.invoke("random", {}, ADA, place, answer_first=True)
    token = question_of(outcome).post.actions[0].target
    assert core.services.asked.get(place) is not None, "the pick counts at once (a concurrent pick avoids it)"

    told = await outcome.settle()
    [note] = told.responses
    assert isinstance(note, Reply) and note.private and note.post.kind == "error" and note.post.body == NOT_STORED
    assert await rounds_in(db) == []
    assert core.services.asked.get(place) is None, "the next pick reads what the channel really holds"
    stale = (await asyncio.wait_for(core.press(f"mlq:answer:{token}", ADA, place), 1)).responses[0]
    assert isinstance(stale, Reply) and stale.private and "no longer exists" in stale.post.body


async def test_a_button_names_a_round_by_id_or_token_and_nothing_else(core: Core, db: Database, place: Place) -> None:
    await core.command("/mlquestion random", ADA, place)
    [round_] = await rounds_in(db)
    for target in (str(round_.id), round_.token):
        form = (await core.press(f"mlq:answer:{target}", ADA, place)).responses[0]
        assert isinstance(form, OpenForm) and form.form.form_id == f"answer:{round_.id}"
    for target, says in (("tfffffffffffffff0", "no longer exists"), ("t12", "not valid"), ("x; drop", "not valid")):
        reply = (await core.press(f"mlq:answer:{target}", ADA, place)).responses[0]
        assert isinstance(reply, Reply) and reply.private and says in reply.post.body, target


async def test_two_rounds_never_share_a_token(db: Database, place: Place) -> None:
    async with db.session() as session:
        repo = RoundRepository(session)
        await repo.open_on_demand(place, "cnn-max-pooling", "ada", START, START - START, "t0123456789abcdef")
        await repo.open_on_demand(place, "cnn-max-pooling", "ada", START, START - START, None)
        await repo.open_on_demand(place, "cnn-max-pooling", "ada", START, START - START, None)
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await RoundRepository(session).open_on_demand(
                place, "cnn-padding", "bob", START, START - START, "t0123456789abcdef"
            )
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Round)) == 3, "rounds without a token are many"
