"""End to end: buttons survive a restart, commands are not re-synced, 429s are waited out, intents fall back."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.discord import frames
from tests.adapters.discord.conftest import BotProcess
from tests.fakes.discord_fake import CHANNEL_ID, FakeDiscord

CALLBACK = r"^/interactions/\d+/[^/]+/callback$"
SYNC = r"^/applications/\d+/guilds/\d+/commands$"
CONTENT_INTENT = 1 << 15


async def test_a_click_on_an_old_button_after_a_restart(fake: FakeDiscord, tmp_path: Path) -> None:
    first = BotProcess(fake, tmp_path)
    await first.start()
    await fake.push("INTERACTION_CREATE", frames.command("random", frames.ADA))
    [question] = await fake.wait_for("POST", CALLBACK)
    [(round_id, token)] = await first.wait_rows("select id, token from rounds")
    [old_message] = fake.messages.values()
    assert await first.stop() == 0
    assert len(fake.find("PUT", SYNC)) == 1

    second = BotProcess(fake, tmp_path)
    await second.start()
    try:
        assert len(fake.find("PUT", SYNC)) == 1, "an unchanged /mlquestion is not synced again"
        custom_id = question.body["data"]["components"][0]["components"][0]["custom_id"]
        assert custom_id == f"mlq:answer:{token}"
        await fake.push("INTERACTION_CREATE", frames.click(custom_id, old_message))
        [_, modal] = await fake.wait_for("POST", CALLBACK, 2)
        assert modal.body["type"] == 9 and modal.body["data"]["custom_id"] == f"mlqform:answer:{round_id}"

        # Discord answers the answer's post with a 429 once: discord.py waits and posts it (once).
        fake.rate_limit("POST", rf"^/channels/{CHANNEL_ID}/messages$", retry_after=0.3)
        words = "A convolution shares one small kernel across every position, so it needs far fewer weights."
        await fake.push("INTERACTION_CREATE", frames.modal_submit(f"mlqform:answer:{round_id}", {"answer": words}))
        posts = await fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/messages$", 2)
        assert [p.status for p in posts] == [429, 200]
        [*_, recorded] = await fake.wait_for("POST", CALLBACK, 3)
        assert recorded.body["data"]["embeds"][0]["title"] == "Answer recorded"
        [(text, message_id)] = second.rows("select text, message_id from answers")
        assert text == words and message_id is not None
    finally:
        assert await second.stop() == 0


async def test_without_the_message_content_intent_it_warns_and_connects_without_it(tmp_path: Path) -> None:
    fake = FakeDiscord(message_content=False)
    await fake.start()
    bot = BotProcess(fake, tmp_path)
    try:
        await bot.start()
        assert len(fake.identifies) == 1 and not fake.identifies[0]["intents"] & CONTENT_INTENT
        assert "Message Content intent is not enabled" in bot.log()
    finally:
        await bot.stop()
        await fake.stop()


async def test_when_the_gateway_refuses_the_intent_it_reconnects_without_it(tmp_path: Path) -> None:
    fake = FakeDiscord(message_content=False, advertise_content=True)
    await fake.start()
    bot = BotProcess(fake, tmp_path)
    try:
        await bot.start()
        first, second = fake.identifies
        assert first["intents"] & CONTENT_INTENT and not second["intents"] & CONTENT_INTENT
        assert fake.closes == [4014]
        assert "Message Content intent is not enabled" in bot.log()
    finally:
        await bot.stop()
        await fake.stop()
