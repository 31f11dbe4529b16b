"""A whole daily round through the core, on SQLite and PostgreSQL: what members see and what is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.core import Core
from bot.storage.database import Database
from bot.storage.models import Answer, PointEntry, Round
from bot.vocabulary import Actor, OpenForm, Outcome, Place, Reply
from tests.conftest import member
from tests.fakes.outbound import RecordingOutbound

ADA, GRACE, ALAN = member("ada"), member("grace"), member("alan")
LONG_REPLY = "Bias is error from wrong assumptions, variance is error from sensitivity to the sample."


def only_reply(outcome: Outcome) -> Reply:
    assert len(outcome.responses) == 1, outcome
    reply = outcome.responses[0]
    assert isinstance(reply, Reply)
    return reply


def text(outcome: Outcome) -> str:
    reply = only_reply(outcome)
    fields = " ".join(f"{f.name}: {f.value}" for f in reply.post.fields)
    return f"{reply.post.title}\n{reply.post.body}\n{fields}"


async def answer_by_form(core: Core, actor: Actor, place: Place, round_ref: int | str, words: str) -> Outcome:
    """Press a question's Answer button (its target: a round's id, or an on-demand round's token) and submit."""
    opened = await core.press(f"mlq:answer:{round_ref}", actor, place)
    form = opened.responses[0]
    assert isinstance(form, OpenForm) and form.form.form_id.startswith("answer:")
    return await core.submit(form.form.form_id, {"answer": words}, actor, place)


async def test_a_whole_daily_round(
    core: Core, db: Database, clock: FixedClock, outbound: RecordingOutbound, place: Place, admin: Actor
) -> None:
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    scheduled = await core.command("/mlquestion schedule set <#C-study|study> 09:00 Europe/Berlin 8h", admin, place)
    assert "09:00 Europe/Berlin" in text(scheduled) and "next post in 1h" in text(scheduled)

    clock.set(datetime(2026, 11, 23, 7, 59, tzinfo=UTC))
    assert (await core.sweep()).posted == 0
    clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # 09:00 in Berlin (winter time)
    assert (await core.sweep()).posted == 1
    assert (await core.sweep()).posted == 0, "a second tick must not post again"

    [question] = outbound.posts("question")
    assert question.post is not None and question.post.title == "Question of the day #1"
    assert [a.label for a in question.post.actions] == ["Answer", "Reveal"]
    [thread] = [s for s in outbound.sent if s.call == "thread"]
    assert thread.message_id == question.message_id and thread.extra.endswith("|1 day, 0:00:00")
    round_id = int(question.post.actions[0].target)
    in_thread = place.in_thread(f"thread-{question.message_id}")

    # Ada answers with the form; her answer is posted in the thread with an Upvote button.
    assert "+10 points" in text(await answer_by_form(core, ADA, place, round_id, "Regularise, validate, simplify."))
    [ada_post] = outbound.posts("answer")
    assert ada_post.place == in_thread and ada_post.post is not None
    assert ada_post.post.title == "Answer from Ada" and ada_post.post.actions[0].label == "Upvote"
    again = await answer_by_form(core, ADA, place, round_id, "A second try")
    assert "only your first answer counts" in text(again) and "A second try" in text(again)

    # Grace answers by replying in the thread; chatter from Alan does not count.
    assert await core.message(GRACE, in_thread, "grace-reply-1", LONG_REPLY) is True
    assert any(s.call == "react" and s.message_id == "grace-reply-1" and s.extra == "✅" for s in outbound.sent)
    assert await core.message(ALAN, in_thread, "alan-chat", "+1 nice") is False
    assert await core.message(GRACE, in_thread, "grace-reply-2", LONG_REPLY + " More.") is False
    await answer_by_form(core, ALAN, place, round_id, "Use more data and dropout.")

    # Upvotes: a button and reactions; never your own; once per voter.
    ada_answer = ada_post.post.actions[0].custom_id
    assert "upvoted Ada" in text(await core.press(ada_answer, GRACE, in_thread))
    await core.reaction(ALAN, in_thread, ada_post.message_id, "👍")
    await core.reaction(ADA, in_thread, "grace-reply-1", "+1")
    assert "own answer" in text(await core.press(ada_answer, ADA, in_thread))
    assert "already upvoted" in text(await core.press(ada_answer, GRACE, in_thread))
    await core.reaction(GRACE, in_thread, "grace-reply-1", "👍")  # her own reply: refused privately
    assert outbound.sent[-1].call == "private" and "own answer" in (outbound.sent[-1].post.body or "")

    # Members cannot reveal the daily answer early; at the due time the sweep reveals it once.
    assert "revealed in 8h" in text(await core.press(f"mlq:reveal:{round_id}", ALAN, place))
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    assert (await core.sweep()).revealed == 1
    assert (await core.sweep()).revealed == 0
    [reveal] = outbound.posts("reveal")
    assert reveal.place == in_thread and reveal.post is not None
    assert "**Key points**" in reveal.post.body
    assert reveal.post.fields[0].value == "3 members answered. Most upvoted: Ada (2 upvotes)."
    assert [a.label for a in reveal.post.actions] == ["Nailed it", "Partly", "Missed"]
    [closed] = [s for s in outbound.sent if s.call == "update"]
    assert closed.message_id == question.message_id and closed.post is not None and not closed.post.actions
    assert "already revealed" in text(await core.press(f"mlq:answer:{round_id}", member("linus"), place))
    # A form opened before the reveal and sent after it: refused, and the text comes back so nothing is lost.
    late = await core.submit(f"answer:{round_id}", {"answer": "Late thoughts"}, member("linus"), place)
    assert "already out" in text(late) and "Late thoughts" in text(late)

    # Self-grades earn nothing and schedule reviews.
    question_id = reveal.post.actions[0].target
    assert "in 4 days" in text(await core.press(f"mlq:nailed:{question_id}", ADA, in_thread))
    assert "tomorrow" in text(await core.press(f"mlq:missed:{question_id}", GRACE, in_thread))
    assert "in 3 days" in text(await core.press(f"mlq:partly:{question_id}", ALAN, in_thread))

    board = text(await core.command("/mlquestion leaderboard week", ALAN, place))
    assert board.index("Ada**: 14 pts") < board.index("Grace**: 12 pts") < board.index("Alan**: 10 pts")
    stats = text(await core.command("/mlquestion stats", ADA, place))
    assert "Answered: 1" in stats and "Points: 14 (14 this week)" in stats and "Streak: 1 (best 1)" in stats
    assert "Strongest:" in stats

    async with db.session() as session:
        rows = await session.execute(select(PointEntry.user, func.sum(PointEntry.amount)).group_by(PointEntry.user))
        assert dict(rows.all()) == {"ada": 14, "grace": 12, "alan": 10}
        assert await session.scalar(select(func.count()).select_from(Answer)) == 3
        stored = await session.scalar(select(Round))
        assert stored is not None and stored.state == "revealed" and stored.number == 1

    # Day two: only Ada answers; her streak grows, Grace's breaks.
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    await core.sweep()
    second = outbound.posts("question")[-1]
    assert second.post is not None and second.post.title == "Question of the day #2"
    assert second.post.body != question.post.body, "a channel never gets the same question twice in a row"
    await answer_by_form(core, ADA, place, second.post.actions[0].target, "Day two answer")
    clock.set(datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    await core.sweep()
    assert "Streak: 2 (best 2)" in text(await core.command("/mlquestion stats", ADA, place))
    assert "Streak: 0 (best 1)" in text(await core.command("/mlquestion stats <@grace>", ADA, place))
    month = text(await core.command("/mlquestion leaderboard month", ADA, place))
    assert "Ada**: 24 pts (2 answered, 🔥 2)" in month


async def test_on_demand_question_reveal_by_asker(core: Core, outbound: RecordingOutbound, place: Place) -> None:
    served = only_reply(await core.command("/mlquestion random cnn hard", ADA, place))
    assert served.private is False and served.post.title == "Practice question"
    assert "CNNs and computer vision" in str(served.post.fields) and "hard" in str(served.post.fields)
    round_id = served.post.actions[0].target
    assert "revealed in 8h" in text(await core.press(f"mlq:reveal:{round_id}", GRACE, place))
    assert (await core.press(f"mlq:reveal:{round_id}", ADA, place)).responses == ()
    [reveal] = outbound.posts("reveal")
    assert reveal.place == place and reveal.post is not None
    assert reveal.post.fields[0].value.startswith("Nobody answered")
    assert "already revealed" in text(await core.command("/mlquestion reveal", ADA, place)) or "no open" in text(
        await core.command("/mlquestion reveal", ADA, place)
    )


async def test_answer_command_opens_the_form_for_the_open_question(core: Core, place: Place) -> None:
    nothing = await core.command("/mlquestion answer", ADA, place)
    assert "no open question" in text(nothing)
    served = only_reply(await core.command("/mlquestion show statistics-bayes-theorem", ADA, place))
    assert "Bayes" in served.post.body or "prior" in served.post.body.lower()
    form = (await core.command("/mlquestion answer", GRACE, place)).responses[0]
    assert isinstance(form, OpenForm) and form.form.fields[0].max_length == 3000
    too_long = await core.submit(form.form.form_id, {"answer": "x" * 3001}, GRACE, place)
    assert "3000 characters at most" in text(too_long) and "x" * 100 in text(too_long)


async def test_upvote_points_are_capped_at_five_per_answer(core: Core, db: Database, place: Place) -> None:
    served = only_reply(await core.command("/mlquestion random", ADA, place))
    await answer_by_form(core, ADA, place, served.post.actions[0].target, "An answer worth upvoting")
    async with db.session() as session:
        answer = await session.scalar(select(Answer))
    assert answer is not None
    for voter in range(7):
        await core.press(f"mlq:upvote:{answer.id}", member(f"voter{voter}"), place)
    async with db.session() as session:
        total = await session.scalar(select(func.sum(PointEntry.amount)).where(PointEntry.user == "ada"))
    assert total == 10 + 5 * 2


async def test_self_grade_regrade_within_the_window_replaces_it(core: Core, clock: FixedClock, place: Place) -> None:
    qid = "statistics-bayes-theorem"
    assert "in 4 days" in text(await core.press(f"mlq:nailed:{qid}", ADA, place))
    assert "in 4 days" in text(await core.press(f"mlq:nailed:{qid}", ADA, place)), "a double click does not double"
    clock.advance(timedelta(days=4))
    review = only_reply(await core.command("/mlquestion review", ADA, place))
    assert review.private and review.post.actions[0].label == "Show answer"
    shown = only_reply(await core.press(review.post.actions[0].custom_id, ADA, place))
    assert shown.private and [a.label for a in shown.post.actions] == ["Nailed it", "Partly", "Missed"]
    assert "in 8 days" in text(await core.press(f"mlq:nailed:{qid}", ADA, place))
    assert "Nothing is due" in text(await core.command("/mlquestion review", ADA, place))
