"""End to end: a scheduled daily round on Discord, a refused post, a member refused an admin command."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.adapters.discord import frames
from tests.adapters.discord.conftest import BotProcess
from tests.fakes.discord_fake import CHANNEL_ID, FakeDiscord

CALLBACK = r"^/interactions/\d+/[^/]+/callback$"
EPHEMERAL = 64
SPEED = 600  # one real second is ten minutes of the bot's clock
POSTS = rf"^/channels/{CHANNEL_ID}/messages$"
REPLY = "Bias is error from wrong assumptions; variance is error from sensitivity to the particular training sample."


async def schedule_soon(bot: BotProcess, fake: FakeDiscord, reveal_after: str) -> None:
    """Schedule the daily post a few real seconds ahead on the bot's accelerated clock."""
    calls = len(fake.callbacks())
    await fake.push(
        "INTERACTION_CREATE", frames.command("schedule set", channel=CHANNEL_ID, time="00:00", timezone="UTC")
    )
    await fake.wait_for("POST", CALLBACK, calls + 1)
    [(updated,)] = bot.rows("select updated_at from schedules")
    bot_now = datetime.fromisoformat(updated).replace(tzinfo=UTC)
    seen_at = asyncio.get_running_loop().time()
    # Three real seconds ahead, to the minute, counting the time since the first set.
    lead = timedelta(seconds=(asyncio.get_running_loop().time() - seen_at + 3) * SPEED)
    at = (bot_now + lead + timedelta(minutes=1)).strftime("%H:%M")
    await fake.push(
        "INTERACTION_CREATE",
        frames.command("schedule set", channel=CHANNEL_ID, time=at, timezone="UTC", reveal_after=reveal_after),
    )
    [*_, reply] = await fake.wait_for("POST", CALLBACK, calls + 2)
    assert reply.body["type"] == 4, reply.body
    assert reply.body["data"]["embeds"][0]["title"] == "Daily question scheduled", reply.body


def started_bot(fake: FakeDiscord, tmp_path: Path) -> BotProcess:
    return BotProcess(fake, tmp_path, MLQ_CLOCK_SPEED=str(SPEED))


async def test_daily_post_thread_replies_reactions_and_reveal(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = started_bot(fake, tmp_path)
    await bot.start()
    try:
        await schedule_soon(bot, fake, reveal_after="1h")
        [question] = await fake.wait_for("POST", POSTS, within=15)
        assert question.body["embeds"][0]["title"] == "Question of the day #1"
        [thread_call] = await fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/messages/\d+/threads$")
        assert thread_call.body["auto_archive_duration"] == 60, "1h of discussion: the shortest archive is 60 min"
        assert 1 <= len(thread_call.body["name"]) <= 100 and thread_call.body["name"].startswith("#1 ")
        message_id = thread_call.path.split("/")[4]
        thread = message_id  # a thread started from a message has its id
        await bot.wait_log("posted daily round")
        [(round_id, state, stored_message, stored_thread)] = bot.rows(
            "select id, state, message_id, thread from rounds"
        )
        assert (state, stored_message, stored_thread) == ("open", message_id, thread)

        reply = frames.thread_message(thread, REPLY, frames.ADA)
        await fake.push("MESSAGE_CREATE", reply)
        [check] = await fake.wait_for("PUT", rf"^/channels/{thread}/messages/{reply['id']}/reactions/✅/@me$")
        assert check.status == 204
        assert bot.rows("select user, source, message_id from answers") == [(frames.ADA[0], "reply", reply["id"])]

        chatter = frames.thread_message(thread, "nice one", frames.GRACE)
        await fake.push("MESSAGE_CREATE", chatter)
        await fake.push("MESSAGE_REACTION_ADD", frames.reaction(reply["id"], thread, "👍", frames.GRACE))
        for _ in range(100):
            if bot.rows("select voter from upvotes"):
                break
            await asyncio.sleep(0.05)
        assert bot.rows("select voter from upvotes") == [(frames.GRACE[0],)]
        assert sorted(bot.rows("select user, amount from points")) == [(frames.ADA[0], 2), (frames.ADA[0], 10)]

        [reveal] = await fake.wait_for("POST", rf"^/channels/{thread}/messages$", within=15)
        assert reveal.body["embeds"][0]["title"] == "Model answer: question of the day #1"
        round_field = reveal.body["embeds"][-1]["fields"][0]["value"]
        assert "1 member answered" in round_field and "Shadorc" in round_field
        [closed] = await fake.wait_for("PATCH", rf"^/channels/{CHANNEL_ID}/messages/{message_id}$")
        assert closed.body["components"] == [] and closed.body["embeds"][0]["title"].endswith("(revealed)")
        await bot.wait_log("posted daily round")
        for _ in range(40):
            if bot.rows("select state from rounds where id = ?", round_id) == [("revealed",)]:
                break
            await asyncio.sleep(0.05)
        assert bot.rows("select state from rounds where id = ?", round_id) == [("revealed",)]
        assert fake.find("PUT", rf"/messages/{chatter['id']}/reactions/") == [], "chatter is not an answer"
    finally:
        assert await bot.stop() == 0


async def test_a_refused_daily_post_pauses_the_schedule_without_retrying(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = started_bot(fake, tmp_path)
    await bot.start()
    try:
        fake.refuse("POST", POSTS, status=403, code=50001, message="Missing Access")
        await schedule_soon(bot, fake, reveal_after="1h")
        [refused] = await fake.wait_for("POST", POSTS, within=15)
        assert refused.status == 403
        for _ in range(100):
            if bot.rows("select state from schedules") == [("paused",)]:
                break
            await asyncio.sleep(0.05)
        [(state, reason)] = bot.rows("select state, paused_reason from schedules")
        assert state == "paused" and "refused" in reason and "403" in reason
        assert bot.rows("select state from rounds") == [("failed",)]
        await asyncio.sleep(1.0)  # ten ticks later: still one attempt (no retry of a 403)
        assert len(fake.find("POST", POSTS)) == 1
        assert fake.find("POST", r"/threads$") == []

        calls = len(fake.callbacks())
        await fake.push("INTERACTION_CREATE", frames.command("schedule show"))
        [*_, shown] = await fake.wait_for("POST", CALLBACK, calls + 1)
        titles = [shown.body["data"]["embeds"][0]["title"]]
        followups = await fake.wait_for("POST", r"^/webhooks/\d+/[^/]+$")
        titles += [f.body["embeds"][0]["title"] for f in followups]
        assert "Daily question paused" in titles, "the admin is told why, once"
    finally:
        assert await bot.stop() == 0


async def test_a_member_without_manage_server_is_refused_privately(bot: BotProcess, fake: FakeDiscord) -> None:
    command = frames.command("schedule set", frames.ADA, channel=CHANNEL_ID, time="09:00", timezone="Europe/Berlin")
    await fake.push("INTERACTION_CREATE", command)
    [reply] = await fake.wait_for("POST", CALLBACK)
    assert reply.body["type"] == 4 and reply.body["data"]["flags"] & EPHEMERAL
    assert reply.body["data"]["embeds"][0]["title"] == "Not quite"
    assert "admin" in reply.body["data"]["embeds"][0]["description"].lower()
    assert bot.rows("select count(*) from schedules") == [(0,)]
