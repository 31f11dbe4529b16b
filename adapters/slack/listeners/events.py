"""Events API: thread replies become answers, 👍 reactions become upvotes; each event is handled once."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.blocks import unescape
from adapters.slack.people import PLATFORM, People
from adapters.slack.replies import quietly
from bot.core import Core
from bot.vocabulary import Place

# Message subtypes that are still a member writing in a thread.
MEMBER_SUBTYPES = {None, "thread_broadcast"}
UPVOTES = {"+1", "thumbsup"}


def is_member_thread_reply(event: dict[str, Any]) -> bool:
    """Tell whether a message event is a member's reply in a thread (not the parent, not a bot)."""
    if event.get("subtype") not in MEMBER_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return False
    thread = event.get("thread_ts")
    return bool(thread) and thread != event.get("ts")


def reaction_name(reaction: str) -> str:
    """Return a reaction without its skin tone (`+1::skin-tone-3` → `+1`)."""
    return reaction.split("::", 1)[0]


def register(app: AsyncApp, core: Core, people: People) -> None:
    """Listen to channel messages and reactions (bolt acks events before listeners run)."""

    async def first_time(body: dict[str, Any]) -> bool:
        event_id = body.get("event_id")
        # Retries (X-Slack-Retry-Num) carry the same event_id: the database says whether we saw it.
        return not event_id or await core.first_time(PLATFORM, str(body.get("team_id", "")), str(event_id))

    @app.event("message")
    async def message(event: dict[str, Any], body: dict[str, Any]) -> None:
        if not is_member_thread_reply(event):
            return

        async def run() -> None:
            if not await first_time(body):
                return
            team = str(body.get("team_id", ""))
            place = Place(PLATFORM, team, str(event.get("channel", "")), str(event["thread_ts"]))
            actor = await people.actor(team, str(event["user"]))
            await core.message(actor, place, str(event["ts"]), unescape(str(event.get("text") or "")))

        await quietly(f"thread reply {event.get('ts')} by {event.get('user')}", run)

    @app.event("reaction_added")
    async def reacted(event: dict[str, Any], body: dict[str, Any]) -> None:
        item = event.get("item") or {}
        name = reaction_name(str(event.get("reaction", "")))
        if item.get("type") != "message" or name not in UPVOTES or not event.get("user"):
            return

        async def run() -> None:
            if not await first_time(body):
                return
            team = str(body.get("team_id", ""))
            place = Place(PLATFORM, team, str(item.get("channel", "")))
            actor = await people.actor(team, str(event["user"]))
            await core.reaction(actor, place, str(item.get("ts", "")), name)

        await quietly(f"reaction {name} by {event.get('user')}", run)
