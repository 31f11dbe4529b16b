"""The outbound port over Discord's REST API: posts, threads, reactions, edits and DMs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
from discord.http import Route

from adapters.discord.render import archive_minutes, render, thread_name
from adapters.pacing import Pacer
from bot.errors import PlatformRefusedError
from bot.vocabulary import Actor, MessageRef, Place, Post

log = logging.getLogger(__name__)
# Discord allows 50 requests/s per bot (discord-api-docs topics/rate-limits.mdx); see MLQ_DISCORD_REQUESTS_PER_SECOND.
DEFAULT_REQUESTS_PER_SECOND = 48.0
# Interaction callbacks and their follow-ups (webhooks with the interaction token) are exempt from the global limit.
EXEMPT = ("/interactions/", "/webhooks/")
# JSON error codes that mean "refused for good" (discord-api-docs topics/opcodes-and-status-codes.mdx).
REFUSED_CODES = {
    10003: "unknown channel",
    10008: "unknown message",
    50001: "missing access",
    50013: "missing permissions",
    50083: "the thread is archived",
    160005: "the thread is locked",
}


def refusal(exc: discord.HTTPException) -> str | None:
    """Return why Discord refused for good (403, 404, archived or locked thread), or None for other errors."""
    known = REFUSED_CODES.get(exc.code)
    if known is None and exc.status not in (403, 404):
        return None
    detail = exc.text or known or "refused"
    return f"Discord answered {exc.status} ({detail}, code {exc.code})"


def paced_requests(pacer: Pacer) -> aiohttp.TraceConfig:
    """Return the trace config that makes every REST request of a discord.py client wait its turn in `pacer`.

    The one global token bucket of PLATFORM-LIMITS §5.3, shared by all REST calls of the bot (the
    outbound port's posts, threads, edits, reactions and DMs, and the rest: log-in, command sync, fetches),
    so the bot's 50 requests/s are never reached however many channels the core posts to at once, and
    callers go in arrival order. aiohttp awaits `on_request_start` just before it connects and sends,
    that is after discord.py's own waits: its per-route buckets (paced from the `X-RateLimit-*` headers)
    and its global lock after a 429. Requests that those waits held back leave through the pacer one by
    one, not in a burst, and discord.py's retries are paced too. Exempt: interaction callbacks and
    their follow-ups (the webhooks with the interaction token), which Discord does not count and which
    must not queue behind a fan-out, and the gateway (not under the REST base).

    The wait counts toward aiohttp's request timeout (5 minutes in discord.py's session): that is 14,000
    requests queued at 48/s; the core's sweep keeps a bounded number of posts in flight.
    """

    async def on_request_start(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        url, base = str(params.url), Route.BASE  # read now: point_at() may have moved the base
        if url.startswith(base) and not url[len(base) :].startswith(EXEMPT):
            await pacer.acquire()

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    return trace


class DiscordOutbound:
    """Send what the core asks for; a refusal for good becomes `PlatformRefusedError`.

    The client's REST requests are paced (`paced_requests`), these included. discord.py waits out
    429s and retries 5xx itself; no other 4xx is retried.
    """

    def __init__(self, http: Callable[[], discord.http.HTTPClient]) -> None:
        self._http = http

    async def _request(self, route: Route, payload: dict[str, Any] | None = None) -> Any:
        try:
            return await self._http().request(route, json=payload)
        except discord.HTTPException as exc:
            reason = refusal(exc)
            if reason is not None:
                raise PlatformRefusedError(reason) from exc
            raise

    async def post(self, place: Place, post: Post) -> MessageRef:
        """Post in the channel or thread; a long post becomes several messages (buttons on the last)."""
        channel = place.thread or place.channel
        first: str | None = None
        for message in render(post):
            route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
            data = await self._request(route, message.payload())
            first = first or str(data["id"])
        assert first is not None
        return MessageRef(place, first)

    async def open_thread(self, message: MessageRef, name: str, archive_after: timedelta) -> Place:
        """Start a thread on a message; its archive time is rounded up to one Discord allows."""
        route = Route(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            channel_id=message.place.channel,
            message_id=message.message_id,
        )
        payload = {"name": thread_name(name), "auto_archive_duration": archive_minutes(archive_after)}
        data = await self._request(route, payload)
        return message.place.in_thread(str(data["id"]))

    async def send_private(self, actor: Actor, place: Place, post: Post) -> None:
        """Send a direct message (outside an interaction there is no ephemeral message); closed DMs are skipped."""
        try:
            channel = await self._request(Route("POST", "/users/@me/channels"), {"recipient_id": actor.user})
            for message in render(post):
                route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel["id"])
                await self._request(route, message.payload())
        except PlatformRefusedError as exc:
            log.info("discord: could not DM user %s: %s", actor.user, exc.reason)

    async def update(self, message: MessageRef, post: Post) -> None:
        """Replace a message's embeds and buttons (a post grown past the limits continues in new messages)."""
        channel = message.place.thread or message.place.channel
        first, *rest = render(post)
        route = Route(
            "PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=channel, message_id=message.message_id
        )
        await self._request(route, first.payload())
        for more in rest:
            await self._request(Route("POST", "/channels/{channel_id}/messages", channel_id=channel), more.payload())

    async def react(self, message: MessageRef, emoji: str) -> None:
        """Add the bot's reaction to a message."""
        channel = message.place.thread or message.place.channel
        route = Route(
            "PUT",
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            channel_id=channel,
            message_id=message.message_id,
            emoji=emoji,
        )
        await self._request(route)
