"""Buttons and modals: ack at once, then hand the button's custom_id or the form's values to the core."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import FORM_CALLBACK, read_submission
from adapters.slack.people import PLATFORM, People
from adapters.slack.replies import Request, answer
from bot.core import Core
from bot.vocabulary import ACTION_PREFIX, Place

BUTTON = re.compile(rf"^{ACTION_PREFIX}:")


def team_of(body: dict[str, Any]) -> str:
    """Return the workspace (team id) an interaction came from."""
    team = body.get("team") or {}
    return str(team.get("id") or (body.get("user") or {}).get("team_id") or "")


def place_of(body: dict[str, Any]) -> Place:
    """Return where a button was pressed: the channel, and the thread when the message is in one."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    thread = message.get("thread_ts") or container.get("thread_ts")
    return Place(PLATFORM, team_of(body), str(channel), thread)


def register(app: AsyncApp, core: Core, people: People) -> None:
    """Listen to the bot's buttons and to its form modals."""

    @app.action(BUTTON)
    async def pressed(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        place = place_of(body)
        user = body.get("user") or {}
        actor = await people.actor(place.workspace, str(user.get("id", "")), str(user.get("username", "")))
        custom_id = str(action.get("action_id") or action.get("value") or "")
        request = Request(actor, place, client, respond, body.get("trigger_id"))
        await answer(f"button {custom_id}", request, lambda: core.press(custom_id, actor, place))

    @app.view(FORM_CALLBACK)
    async def submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()  # closes the modal; the outcome follows as an ephemeral message
        submission = read_submission(view)
        team = team_of(body)
        place = Place(PLATFORM, team, submission.channel, submission.thread)
        user = body.get("user") or {}
        actor = await people.actor(team, str(user.get("id", "")), str(user.get("username", "")))
        request = Request(actor, place, client)
        await answer(
            f"form {submission.form_id}",
            request,
            lambda: core.submit(submission.form_id, submission.values, actor, place),
        )
