"""End to end: Socket Mode through a fake apps.connections.open and websocket; start-up refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qsl

from tests.adapters.slack.conftest import ADA, CHANNEL
from tests.adapters.slack.payloads import slash, socket_envelope
from tests.adapters.slack.process import start_bot
from tests.adapters.slack.reading import buttons, titled
from tests.fakes.slack_fake import SlackFake


async def test_socket_mode_acks_envelopes_and_answers(fake: SlackFake, tmp_path: Path) -> None:
    bot = await start_bot(fake, tmp_path, socket_mode=True)
    try:
        assert fake.of("apps.connections.open"), "the socket URL comes from apps.connections.open"
        command = dict(parse_qsl(slash("random cnn", ADA, CHANNEL, fake.webhook)))
        await fake.push(socket_envelope("slash_commands", command, "env-0001"))
        [question] = await fake.wait_for("chat.postMessage", titled("Practice question", CHANNEL))
        assert "mlq:answer:" in buttons(question)["Answer"]
        assert any(frame.get("envelope_id") == "env-0001" for frame in fake.frames), "the envelope was acked"
        assert bot.rows("select kind, asked_by from rounds") == [("on_demand", ADA)]
    finally:
        assert await bot.stop() == 0, bot.log()
    assert "slack adapter started" in bot.log() and "socket mode" in bot.log()


async def test_start_fails_with_one_sentence_without_a_secret(fake: SlackFake, tmp_path: Path) -> None:
    env = {"SLACK_SIGNING_SECRET": ""}
    bot = await start_bot(fake, tmp_path, env=env, wait=False)
    status = await asyncio.wait_for(bot.process.wait(), 20)
    assert status != 0
    last = bot.log().strip().splitlines()[-1]
    assert last == (
        "mlquestion: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
        "SLACK_SIGNING_SECRET (HTTP mode) is; set one of them."
    )
    assert "Traceback" not in bot.log()
