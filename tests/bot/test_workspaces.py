"""Workspaces never leak into each other; admins add their own questions; bad input stays private."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.commands import context
from bot.core import Core
from bot.vocabulary import Actor, OpenForm, Place, Reply
from tests.conftest import member


def body(outcome: object) -> str:
    reply = outcome.responses[0]  # type: ignore[attr-defined]
    assert isinstance(reply, Reply)
    return f"{reply.post.title}\n{reply.post.body}"


async def test_leaderboards_and_questions_stay_in_their_workspace(core: Core, place: Place, admin: Actor) -> None:
    other = Place("slack", "T2", "C-study")
    outsider = member("eve", workspace="T2")
    served = await core.command("/mlquestion random", member("ada"), place)
    round_id = served.responses[0].post.actions[0].target  # type: ignore[union-attr]
    await core.submit(f"answer:{round_id}", {"answer": "My answer"}, member("ada"), place)
    assert "Ada" in body(await core.command("/mlquestion leaderboard all", member("bob"), place))
    assert "No points yet" in body(await core.command("/mlquestion leaderboard all", outsider, other))

    form = (await core.command("/mlquestion add", admin, place)).responses[0]
    assert isinstance(form, OpenForm) and [f.field_id for f in form.form.fields][:2] == ["question", "topic"]
    values = {
        "question": "What does our team mean by a good baseline?",
        "topic": "ml",
        "difficulty": "easy",
        "answer": "A simple, well-understood model to beat before anything fancy.",
        "key_points": "- simple\n- honest\n- measured the same way",
    }
    added = body(await core.submit("add", values, admin, place))
    assert "`classical-ml-custom-1`" in added
    shown = await core.command("/mlquestion show classical-ml-custom-1", member("bob"), place)
    assert "good baseline" in shown.responses[0].post.body  # type: ignore[union-attr]
    elsewhere = await core.command("/mlquestion show classical-ml-custom-1", outsider, other)
    assert "There is no question `classical-ml-custom-1`" in body(elsewhere)
    topics_here = body(await core.command("/mlquestion topics", member("bob"), place))
    topics_there = body(await core.command("/mlquestion topics", outsider, other))
    assert topics_here != topics_there


async def test_members_cannot_run_admin_commands(core: Core, place: Place) -> None:
    for text in ("schedule set #c 09:00 UTC", "schedule show", "schedule pause", "add"):
        outcome = await core.command(f"/mlquestion {text}", member("ada"), place)
        reply = outcome.responses[0]
        assert isinstance(reply, Reply) and reply.private and "Only admins" in reply.post.body, text
    submitted = await core.submit("add", {"question": "x" * 20}, member("ada"), place)
    assert "Only admins" in body(submitted)


async def test_a_broken_add_form_explains_and_keeps_the_text(core: Core, place: Place, admin: Actor) -> None:
    values = {"question": "Short?", "topic": "ml", "difficulty": "easy", "answer": "An answer long enough here."}
    reply = body(await core.submit("add", values, admin, place))
    assert "10 to 300 characters" in reply and "An answer long enough here." in reply
    values = {**values, "question": "A question long enough?", "topic": "astrology"}
    assert "There is no topic `astrology`" in body(await core.submit("add", values, admin, place))


async def test_stale_or_forged_buttons_and_forms_get_a_private_message(core: Core, place: Place) -> None:
    for custom_id in ("mlq:answer:999999", "mlq:bogus:1", "other:answer:1", "mlq:upvote:abc", "mlq:reveal:x", ""):
        reply = (await core.press(custom_id, member("ada"), place)).responses[0]
        assert isinstance(reply, Reply) and reply.private, custom_id
    reply = (await core.submit("mystery", {}, member("ada"), place)).responses[0]
    assert isinstance(reply, Reply) and reply.private and "not one of mine" in reply.post.body


async def test_help_lists_every_command_and_the_scoring(core: Core, place: Place) -> None:
    text = body(await core.command("/mlquestion help", member("ada"), place))
    for usage in ("/mlquestion random [topic] [difficulty]", "/mlquestion schedule set <channel> <time> <timezone>"):
        assert usage in text
    assert "+10" in text and "+2" in text
    detail = body(await core.command("/mlquestion help schedule set", member("ada"), place))
    assert "Example: `/mlquestion schedule set #study 09:00 Europe/Berlin 8h cnn,nlp hard`" in detail


async def test_event_redeliveries_are_seen_once(core: Core) -> None:
    assert await core.first_time("slack", "T1", "Ev123") is True
    assert await core.first_time("slack", "T1", "Ev123") is False
    assert await core.first_time("slack", "T2", "Ev123") is True


async def test_other_processes_see_an_added_question_once_their_catalogue_expires(
    core: Core, place: Place, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(context.time, "monotonic", lambda: now[0])
    other = Core(replace(core.services, _catalogues={}))  # a second process on the same database
    show = "/mlquestion show classical-ml-custom-1"
    assert "There is no question" in body(await other.command(show, member("bob"), place))
    values = {
        "question": "What does our team mean by a good baseline?",
        "topic": "ml",
        "difficulty": "easy",
        "answer": "A simple, well-understood model to beat before anything fancy.",
        "key_points": "- simple",
    }
    await core.submit("add", values, admin, place)
    assert "good baseline" in body(await core.command(show, member("bob"), place))  # this process forgot at once
    now[0] += other.services.catalogue_lifetime - 1
    assert "There is no question" in body(await other.command(show, member("bob"), place))  # still cached
    now[0] += 2
    assert "good baseline" in body(await other.command(show, member("bob"), place))  # expired: read again
