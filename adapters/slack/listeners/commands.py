"""`/mlquestion <text>`: ack at once, then hand the text to the core's one parser."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import unescape
from adapters.slack.people import PLATFORM, People
from adapters.slack.replies import Request, answer
from bot.commands.grammar import COMMAND_NAME
from bot.core import Core
from bot.vocabulary import Outcome, Place

SLASH = f"/{COMMAND_NAME}"
CORE_AT_ONCE = 8  # commands in the core at once, per process


def register(app: AsyncApp, core: Core, people: People) -> None:
    """Listen to the slash command."""
    # Commands run after their ack, on the event loop that acks the next ones. Bounding how many are in the
    # core at once keeps that loop's queue short, so an ack waits behind a few core steps, not a backlog:
    # past what the process can serve, commands wait here (costing no CPU) and acks stay fast. Only the
    # core call is bounded; delivering its outcome (Web API round trips) holds no place.
    in_core = asyncio.Semaphore(CORE_AT_ONCE)

    @app.command(SLASH)
    async def mlquestion(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()  # within Slack's 3 seconds, before any core or Web API work
        team = str(command.get("team_id", ""))
        place = Place(PLATFORM, team, str(command.get("channel_id", "")))
        actor = await people.actor(team, str(command.get("user_id", "")), str(command.get("user_name", "")))
        text = f"{SLASH} {unescape(str(command.get('text') or ''))}".strip()
        request = Request(actor, place, client, respond, command.get("trigger_id"))

        async def run() -> Outcome:
            async with in_core:
                return await core.command(text, actor, place)

        await answer(text, request, run)
