"""End to end: the real bot process against the Discord fake — start-up, slash commands, autocomplete."""

from __future__ import annotations

from bot.content.bank import load_bank
from tests.adapters.discord import frames
from tests.adapters.discord.conftest import BotProcess
from tests.fakes.discord_fake import BOT_ID, CHANNEL_ID, GUILD_ID, FakeDiscord

CALLBACK = r"^/interactions/\d+/[^/]+/callback$"
EPHEMERAL = 64


async def test_start_up_identifies_syncs_to_the_guild_and_stops_on_sigterm(bot: BotProcess, fake: FakeDiscord) -> None:
    identify = fake.identifies[-1]
    assert identify["token"] == "fake-token"
    assert identify["intents"] == (1 << 0) | (1 << 9) | (1 << 10) | (1 << 15)
    [sync] = fake.find("PUT", rf"^/applications/{BOT_ID}/guilds/{GUILD_ID}/commands$")
    [root] = sync.body
    assert root["name"] == "mlquestion"
    assert fake.find("PUT", r"^/applications/\d+/commands$") == [], "with guild ids, nothing is synced globally"
    assert await bot.stop() == 0
    assert "stopped" in bot.log()


async def answered(fake: FakeDiscord, count: int) -> dict:
    """Wait for the `count`-th interaction callback and return its body."""
    calls = await fake.wait_for("POST", CALLBACK, count)
    return calls[count - 1].body


def custom_ids(message: dict) -> list[str]:
    return [b["custom_id"] for row in message.get("components", []) for b in row["components"]]


async def test_random_with_options_answer_form_reveal_and_self_grade(bot: BotProcess, fake: FakeDiscord) -> None:
    bank = load_bank()
    await fake.push("INTERACTION_CREATE", frames.command("random", frames.ADA, topic="cnn", difficulty="hard"))
    first = await answered(fake, 1)
    assert first["type"] == 4 and not first["data"].get("flags", 0) & EPHEMERAL, "the question is public"
    [embed] = first["data"]["embeds"]
    assert embed["title"] == "Practice question"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Difficulty"] == "🔴 hard"
    # The question is shown first and its round stored right after, under the token its buttons carry.
    [(round_id, token, question_id, asked_by, state)] = await bot.wait_rows(
        "select id, token, question_id, asked_by, state from rounds"
    )
    question = bank.get(question_id)
    assert question is not None and question.topic == "cnn" and question.difficulty.value == "hard"
    assert embed["description"] == question.question
    assert asked_by == frames.ADA[0] and state == "open"
    assert custom_ids(first["data"]) == [f"mlq:answer:{token}", f"mlq:reveal:{token}"]
    posted = fake.message(_response_message(fake))

    await fake.push("INTERACTION_CREATE", frames.click(f"mlq:answer:{token}", posted))
    modal = await answered(fake, 2)
    assert modal["type"] == 9 and modal["data"]["custom_id"] == f"mlqform:answer:{round_id}"
    [text_input] = [c for row in modal["data"]["components"] for c in row["components"]]
    assert text_input["custom_id"] == "answer" and text_input["max_length"] == 3000

    words = "Max pooling keeps the strongest activation in each window, which adds a little translation invariance."
    await fake.push("INTERACTION_CREATE", frames.modal_submit(f"mlqform:answer:{round_id}", {"answer": words}))
    recorded = await answered(fake, 3)
    assert recorded["type"] == 4 and recorded["data"]["flags"] & EPHEMERAL
    assert recorded["data"]["embeds"][0]["title"] == "Answer recorded"
    [answer_post] = await fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/messages$")
    assert answer_post.body["embeds"][0]["description"] == words
    assert bot.rows("select user, text, source from answers") == [(frames.ADA[0], words, "form")]
    assert bot.rows("select user, amount from points") == [(frames.ADA[0], 10)]

    await fake.push("INTERACTION_CREATE", frames.click(f"mlq:reveal:{token}", posted))
    reveal_ack = await answered(fake, 4)
    assert reveal_ack["type"] == 6, "a reveal posts in the channel; the click itself is only acknowledged"
    posts = await fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/messages$", 2)
    reveal = posts[1].body
    assert reveal["embeds"][0]["title"] == "Model answer"
    assert custom_ids(reveal) == [f"mlq:{g}:{question_id}" for g in ("nailed", "partly", "missed")]
    assert bot.rows("select state from rounds") == [("revealed",)]

    revealed_message = fake.message(_last_message_id(fake, CHANNEL_ID))
    await fake.push("INTERACTION_CREATE", frames.click(f"mlq:nailed:{question_id}", revealed_message))
    graded = await answered(fake, 5)
    assert graded["type"] == 4 and graded["data"]["flags"] & EPHEMERAL
    assert graded["data"]["embeds"][0]["title"] == "Graded: Nailed it"
    assert bot.rows("select user, question_id, grade from grades") == [(frames.ADA[0], question_id, "nailed")]


def _response_message(fake: FakeDiscord) -> str:
    return next(iter(fake.messages))


def _last_message_id(fake: FakeDiscord, channel: str) -> str:
    return [m["id"] for m in fake.messages.values() if m["channel_id"] == channel][-1]


async def test_topic_autocomplete_offers_at_most_25_matching_topics(bot: BotProcess, fake: FakeDiscord) -> None:
    await fake.push("INTERACTION_CREATE", frames.autocomplete("random", "topic", "cn"))
    body = await answered(fake, 1)
    assert body["type"] == 8
    choices = body["data"]["choices"]
    assert 1 <= len(choices) <= 25 and "cnn" in [c["value"] for c in choices]

    await fake.push("INTERACTION_CREATE", frames.autocomplete("random", "topic", ""))
    everything = (await answered(fake, 2))["data"]["choices"]
    assert len(everything) == min(25, len(load_bank().counts()))
