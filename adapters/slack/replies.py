"""Deliver what the core answered to one member's input, inside the adapter's one error boundary."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import form_view, render
from adapters.slack.outbound import SlackOutbound
from bot import posts
from bot.errors import PlatformRefusedError
from bot.vocabulary import Actor, OpenForm, Outcome, Place, Post

log = logging.getLogger(__name__)
APOLOGY = posts.info(
    "Sorry, something went wrong", "That did not work on my side. It has been logged; please try again."
)
Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Request:
    """One member's input: who, where, and the ways Slack lets us answer them."""

    actor: Actor
    place: Place
    client: AsyncWebClient
    respond: Respond | None = None  # the response_url of a command or a button, when there is one
    trigger_id: str | None = None  # lets us open a modal, for 3 seconds

    @property
    def outbound(self) -> SlackOutbound:
        """Return the outbound port over this request's client."""
        return SlackOutbound(self.client)


async def send_private(request: Request, post: Post) -> None:
    """Show a post to the member only: through response_url when there is one, else chat.postEphemeral."""
    if request.respond is None:
        await request.outbound.send_private(request.actor, request.place, post)
        return
    for message in render(post):
        await request.respond(response_type="ephemeral", replace_original=False, **message.payload())


async def send_public(request: Request, post: Post) -> None:
    """Post in the place; where the bot is not a member, answer the command in the channel instead."""
    try:
        await request.outbound.post(request.place, post)
    except PlatformRefusedError:
        if request.respond is None:
            raise
        for message in render(post):
            await request.respond(response_type="in_channel", replace_original=False, **message.payload())


async def open_form(request: Request, form: OpenForm) -> None:
    """Open the core's form as a modal (views.open needs the trigger_id of this very input)."""
    if request.trigger_id is None:
        await send_private(request, posts.error("Press the Answer button to open the form."))
        return
    view = form_view(form.form, request.place.channel, request.place.thread)
    await request.client.views_open(trigger_id=request.trigger_id, view=view)


async def deliver(request: Request, outcome: Outcome) -> None:
    """Send every response of an outcome: private replies, public replies and forms."""
    for response in outcome.responses:
        if isinstance(response, OpenForm):
            await open_form(request, response)
        elif response.private:
            await send_private(request, response.post)
        else:
            await send_public(request, response.post)


async def answer(what: str, request: Request, run: Callable[[], Awaitable[Outcome]]) -> None:
    """Run a core call and deliver its outcome; anything unexpected becomes a private apology and a log record."""
    try:
        await deliver(request, await run())
    except Exception:
        log.exception(
            "slack: %s by %s failed in %s/%s (thread %s)",
            what,
            request.actor.user,
            request.place.workspace,
            request.place.channel,
            request.place.thread,
        )
        try:
            await send_private(request, APOLOGY)
        except (SlackApiError, PlatformRefusedError, OSError):
            log.warning("slack: could not even apologise to %s", request.actor.user)


async def quietly(what: str, run: Callable[[], Awaitable[object]]) -> None:
    """Run a core call for a passive event (a reply, a reaction): failures are logged, never shown."""
    try:
        await run()
    except Exception:
        log.exception("slack: %s failed", what)
