"""End to end, HTTP mode: the real bot process receives signed requests built from recorded payloads."""

from __future__ import annotations

import asyncio
import json
import time

from tests.adapters.slack.conftest import ADA, ADMIN, ALAN, CHANNEL, GRACE
from tests.adapters.slack.payloads import (
    JSON,
    click_payload,
    load,
    reaction,
    signed,
    slash,
    submission_payload,
)
from tests.adapters.slack.process import BotProcess
from tests.adapters.slack.reading import blocks, buttons, saying, titled
from tests.fakes.slack_fake import SlackFake


async def test_help_is_acked_at_once_and_answered_privately(bot: BotProcess, fake: SlackFake) -> None:
    started = time.monotonic()
    status, body = await bot.command(slash("help", ADA, CHANNEL, fake.webhook))
    assert status == 200 and body == ""
    assert time.monotonic() - started < 3, "Slack needs the ack within 3 seconds"
    [reply] = await fake.wait_for("webhook")
    assert reply.args["response_type"] == "ephemeral"
    assert "/mlquestion random" in reply.args["text"] and "schedule set" in reply.args["text"]


async def test_slash_command_texts(bot: BotProcess, fake: SlackFake) -> None:
    # A question with filters: a public Block Kit post with Answer and Reveal buttons carrying the core's ids.
    assert (await bot.command(slash("random cnn hard", ADA, CHANNEL, fake.webhook)))[0] == 200
    [question] = await fake.wait_for("chat.postMessage", titled("Practice question", CHANNEL))
    kinds = [b["type"] for b in blocks(question)]
    assert kinds[0] == "header" and "section" in kinds and kinds[-1] == "actions"
    fields = json.dumps(blocks(question))
    assert "CNNs and computer vision" in fields and "hard" in fields
    answer_id = buttons(question)["Answer"]
    assert answer_id.startswith("mlq:answer:") and buttons(question)["Reveal"] == answer_id.replace("answer", "reveal")
    assert len(question.args["text"]) <= 4000 and question.args.get("thread_ts") is None

    # A mistake is explained privately; nothing is posted.
    await bot.command(slash("frobnicate", ADA, CHANNEL, fake.webhook))
    [mistake] = await fake.wait_for("webhook", saying("There is no command `frobnicate`"))
    assert mistake.args["response_type"] == "ephemeral"

    # A member is refused an admin command, privately, and nothing is stored.
    await bot.command(slash("schedule set <#C0STUDY|study> 09:00 Europe/Berlin", ALAN, CHANNEL, fake.webhook))
    [refused] = await fake.wait_for("webhook", saying("Only admins"))
    assert refused.args["response_type"] == "ephemeral"
    assert bot.rows("select count(*) from schedules") == [(0,)]
    assert fake.of("users.info"), "admin rights come from users.info"

    # The workspace admin may (users.info says is_admin).
    await bot.command(slash("schedule set <#C0STUDY|study> 09:00 Europe/Berlin", ADMIN, CHANNEL, fake.webhook))
    [scheduled] = await fake.wait_for("chat.postMessage", titled("Daily question scheduled", CHANNEL))
    assert "<#C0STUDY> at 09:00 Europe/Berlin" in scheduled.args["text"]
    assert bot.rows("select channel, timezone, state from schedules") == [(CHANNEL, "Europe/Berlin", "active")]


async def test_bad_signature_and_stale_timestamp_are_refused(bot: BotProcess, fake: SlackFake) -> None:
    body = slash("random", ADA, CHANNEL, fake.webhook)
    forged = signed(body, "application/x-www-form-urlencoded", secret="not-the-secret")
    assert (await bot.send(body, "application/x-www-form-urlencoded", forged))[0] == 401
    stale = signed(body, "application/x-www-form-urlencoded", at=time.time() - 6 * 60)
    assert (await bot.send(body, "application/x-www-form-urlencoded", stale))[0] == 401
    event = reaction(GRACE, CHANNEL, "1700000000.000001", "+1", "EvForged")
    assert (await bot.send(event, JSON, signed(event, JSON, secret="nope")))[0] == 401
    await asyncio.sleep(0.5)
    assert not fake.of("webhook") and not fake.of("chat.postMessage") and not fake.of("users.info")
    assert bot.rows("select count(*) from rounds") == [(0,)]
    challenge = load("url_verification_docs.json")
    status, text = await bot.event(json.dumps(challenge))
    assert status == 200 and challenge["challenge"] in text


async def test_a_retried_event_is_handled_once(bot: BotProcess, fake: SlackFake) -> None:
    await bot.command(slash("random", ADA, CHANNEL, fake.webhook))
    [question] = await fake.wait_for("chat.postMessage", titled("Practice question"))
    await bot.interact(click_payload(buttons(question)["Answer"], ADA, CHANNEL, question.ts, fake.webhook))
    [opened] = await fake.wait_for("views.open")
    await bot.interact(submission_payload(opened.args["view"], {"answer": "Regularise and validate."}, ADA))
    [answer] = await fake.wait_for("chat.postMessage", titled("Answer from Ada"))

    vote = reaction(GRACE, CHANNEL, answer.ts, "+1", "Ev0RETRY1")
    assert (await bot.event(vote))[0] == 200
    assert (await bot.event(vote, retry=1))[0] == 200
    assert (await bot.event(vote, retry=2))[0] == 200
    await asyncio.sleep(1.0)
    assert bot.rows("select count(*) from upvotes") == [(1,)]
    assert not [c for c in fake.of("chat.postEphemeral") if "already upvoted" in c.args.get("text", "")]
    assert bot.rows("select sum(amount) from points where user = ?", ADA) == [(12,)]


async def test_web_api_calls_share_one_kept_alive_connection(bot: BotProcess, fake: SlackFake) -> None:
    for n in range(3):
        await bot.command(slash("random", ADA, CHANNEL, fake.webhook))
        await fake.wait_for("chat.postMessage", titled("Practice question", CHANNEL), n=n + 1)
    posts = fake.of("chat.postMessage")
    assert len({call.peer for call in posts}) == 1, "one aiohttp session: the connection is kept alive"
    assert posts[0].peer == fake.of("auth.test")[0].peer, "the start-up check opened it"
