"""End to end: a whole scheduled round in accelerated time, and a scheduled post Slack refuses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.adapters.slack.conftest import ADA, ADMIN, ALAN, CHANNEL, GRACE
from tests.adapters.slack.payloads import bot_reply, click_payload, reaction, slash, submission_payload, thread_reply
from tests.adapters.slack.process import BotProcess, start_bot
from tests.adapters.slack.reading import buttons, header, saying, titled
from tests.fakes.slack_fake import BOT_ID, SlackFake

SPEED = 600  # ten minutes of bot time per real second
LONG_REPLY = "Bias is error from wrong assumptions; variance is error from sensitivity to the training sample."


class Clocked:
    """The bot with an accelerated clock, and our estimate of its time (never behind it)."""

    def __init__(self, bot: BotProcess, spawned: float) -> None:
        self.bot = bot
        self.spawned = spawned

    def bot_now(self) -> datetime:
        """Estimate the bot's clock: its clock starts after the process does, so this runs slightly ahead."""
        elapsed = (time.time() - self.spawned) * SPEED
        return datetime.fromtimestamp(self.spawned, UTC) + timedelta(seconds=elapsed)

    def soon(self, minutes: int) -> str:
        """Return a UTC wall time `minutes` of bot time from now, as HH:MM."""
        at = self.bot_now() + timedelta(minutes=minutes + 1)
        return at.strftime("%H:%M")


@pytest.fixture
async def clocked(fake: SlackFake, tmp_path: Path) -> AsyncIterator[Clocked]:
    """Yield the real bot in HTTP mode with time running 600 times faster."""
    spawned = time.time()
    bot = await start_bot(fake, tmp_path, env={"MLQ_CLOCK_SPEED": str(SPEED), "MLQ_TICK_SECONDS": "0.1"})
    yield Clocked(bot, spawned)
    assert await bot.stop() == 0, bot.log()


async def test_a_whole_scheduled_round(clocked: Clocked, fake: SlackFake) -> None:
    bot = clocked.bot
    at = clocked.soon(20)
    await bot.command(slash(f"schedule set <#{CHANNEL}|study> {at} UTC 1h", ADMIN, CHANNEL, fake.webhook))
    await fake.wait_for("chat.postMessage", titled("Daily question scheduled"))

    # The sweep posts the question in the channel; its thread is the post's ts (no API call for it).
    [question] = await fake.wait_for("chat.postMessage", titled("Question of the day #1", CHANNEL), within=8)
    assert question.args.get("thread_ts") is None and set(buttons(question)) == {"Answer", "Reveal"}
    thread = question.ts
    assert not fake.of("conversations.replies") and not fake.of("conversations.create")

    # Ada answers with the modal: views.open with the trigger_id, a 3000-character input.
    click = click_payload(buttons(question)["Answer"], ADA, CHANNEL, question.ts, fake.webhook)
    await bot.interact(click)
    [opened] = await fake.wait_for("views.open")
    assert opened.args["trigger_id"] == click["trigger_id"]
    element = opened.args["view"]["blocks"][0]["element"]
    assert element["type"] == "plain_text_input" and element["max_length"] == 3000
    await bot.interact(submission_payload(opened.args["view"], {"answer": "Regularise, validate, simplify."}, ADA))
    [answer] = await fake.wait_for("chat.postMessage", titled("Answer from Ada", CHANNEL, thread))
    assert list(buttons(answer)) == ["Upvote"]
    await fake.wait_for("chat.postEphemeral", saying("Answer recorded"))

    # Grace answers in the thread: ✅ on her reply. The bot's own thread posts are ignored.
    await bot.event(thread_reply(GRACE, CHANNEL, thread, "1700000100.000001", LONG_REPLY, "Ev0GRACE01"))
    [tick] = await fake.wait_for("reactions.add")
    assert tick.args == {"channel": CHANNEL, "timestamp": "1700000100.000001", "name": "white_check_mark"}
    await bot.event(bot_reply(BOT_ID, CHANNEL, thread, "1700000100.000002", LONG_REPLY, "Ev0BOTSELF"))

    # Upvotes: Alan's 👍 reaction and Grace's Upvote button on Ada's answer.
    await bot.event(reaction(ALAN, CHANNEL, answer.ts, "+1::skin-tone-2", "Ev0ALANUP1"))
    await bot.interact(click_payload(buttons(answer)["Upvote"], GRACE, CHANNEL, answer.ts, fake.webhook, thread))
    await fake.wait_for("webhook", saying("You upvoted Ada"))

    # At the due time the reveal comes in the thread with the grade buttons; the question is closed.
    [reveal] = await fake.wait_for("chat.postMessage", titled("Model answer", CHANNEL, thread), within=12)
    assert list(buttons(reveal)) == ["Nailed it", "Partly", "Missed"]
    assert "2 members answered. Most upvoted: Ada (2 upvotes)." in reveal.args["text"]
    [closed] = await fake.wait_for("chat.update")
    assert closed.args["ts"] == question.ts and not buttons(closed) and header(closed).endswith("(revealed)")
    await bot.interact(click_payload(buttons(reveal)["Nailed it"], ADA, CHANNEL, reveal.ts, fake.webhook, thread))
    await fake.wait_for("webhook", saying("Graded: Nailed it"))

    await asyncio.sleep(0.3)
    assert len(fake.of("reactions.add")) == 1, "only Grace's reply counted; the bot's own message was ignored"
    assert bot.rows("select state, number, thread from rounds") == [("revealed", 1, thread)]
    assert sorted(bot.rows("select user, source from answers")) == [(ADA, "form"), (GRACE, "reply")]
    points = dict(bot.rows("select user, sum(amount) from points group by user"))
    assert points == {ADA: 14, GRACE: 10}


async def test_a_refused_scheduled_post_pauses_the_schedule(clocked: Clocked, fake: SlackFake) -> None:
    bot = clocked.bot
    fake.refuse["C0GONE1"] = "channel_not_found"
    at = clocked.soon(15)
    await bot.command(slash(f"schedule set <#C0GONE1|gone> {at} UTC 1h", ADMIN, CHANNEL, fake.webhook))
    await fake.wait_for("chat.postMessage", lambda c: c.args.get("channel") == "C0GONE1", within=8)
    async with asyncio.timeout(5):
        while bot.rows("select state from schedules") != [("paused",)]:  # noqa: ASYNC110 (another process)
            await asyncio.sleep(0.1)
    [(state, reason)] = bot.rows("select state, paused_reason from schedules")
    assert state == "paused" and "channel_not_found" in reason
    assert bot.rows("select state from rounds") == [("failed",)]
    # The admin is told why, privately, at their next command.
    await bot.command(slash("schedule show", ADMIN, "C0GONE1", fake.webhook))
    await fake.wait_for("webhook", saying("paused"))
