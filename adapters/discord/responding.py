"""Answer an interaction: the first response within Discord's 3 s, then whatever the core said."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import discord

from adapters.discord.render import Message, render
from adapters.discord.views import modal_for, view_for
from bot import posts
from bot.vocabulary import OpenForm, Outcome, Post, Reply

log = logging.getLogger(__name__)
# Discord invalidates an interaction not answered within 3 s; past this budget we defer and answer later.
DEFER_AFTER = 2.0
MIN_BUDGET = 0.25  # what an interaction that seems old (late, or a clock ahead of Discord's) still gets
APOLOGY = posts.error("Sorry, something went wrong on my side. It has been logged; please try again.")
DONE = posts.info("Done")
TOO_SLOW_FOR_FORM = posts.error("That took me too long to open the form. Please press the button again.")


async def respond(
    interaction: discord.Interaction, work: Awaitable[Outcome], what: str, budget: float = DEFER_AFTER
) -> None:
    """Run the core's work and answer the interaction; the one error boundary of the Discord adapter.

    A quick answer is the first response itself (so a form can open as a modal). When the core is
    slower than `budget`, the interaction is deferred first and the answer follows. What the answer
    shows but the core has not stored yet (`Outcome.pending`) is stored once the answer is out.
    """
    deferring: asyncio.Task[None] | None = None

    def too_slow() -> None:
        nonlocal deferring
        deferring = asyncio.ensure_future(defer(interaction))

    # A timer rather than a wait with a timeout: the work runs in this task, with no task of its own.
    timer = asyncio.get_running_loop().call_later(remaining(interaction, budget), too_slow)
    try:
        try:
            outcome = await work
        finally:
            timer.cancel()
            if deferring is not None:
                await deferring
        try:
            await deliver(interaction, outcome)
        finally:
            afterwards = await outcome.settle()  # also when delivering failed: Discord may have shown it
        for response in afterwards.responses:  # only ever private notes: "that question was not saved"
            if isinstance(response, Reply):
                await send_private(interaction, response.post)
    except Exception:
        log.exception("discord: %s by %s in %s failed", what, _who(interaction), _where(interaction))
        await _apologise(interaction)


def remaining(interaction: discord.Interaction, budget: float) -> float:
    """Return what is left of the budget once the time the interaction spent reaching us is taken off.

    Discord's 3 s start when it sends the interaction (its id's timestamp), not when our callback runs:
    a bot busy with a burst may start late. Clocks differ a little, so the age counts from 0 and always
    leaves MIN_BUDGET: a clock running ahead makes slow answers defer sooner, never quick ones.
    """
    created: datetime | None = getattr(interaction, "created_at", None)
    if created is None:
        return budget
    age = (discord.utils.utcnow() - created).total_seconds()
    return budget - min(max(age, 0.0), max(budget - MIN_BUDGET, 0.0))


async def defer(interaction: discord.Interaction) -> None:
    """Acknowledge now: commands show "thinking", clicks change nothing, forms think privately."""
    if interaction.response.is_done():
        return
    if interaction.type is discord.InteractionType.component:
        await interaction.response.defer()
    elif interaction.type is discord.InteractionType.modal_submit:
        await interaction.response.defer(thinking=True, ephemeral=True)
    else:
        await interaction.response.defer(thinking=True)


async def deliver(interaction: discord.Interaction, outcome: Outcome) -> None:
    """Send the core's responses: a form as a modal, a private reply as an ephemeral message."""
    deferred = interaction.response.is_done()
    # After a deferred command or form there is a "thinking" message waiting to be replaced.
    pending = deferred and interaction.type is not discord.InteractionType.component
    pending_private = interaction.type is discord.InteractionType.modal_submit
    for response in outcome.responses:
        if isinstance(response, OpenForm):
            if not interaction.response.is_done():
                await interaction.response.send_modal(modal_for(response.form))
                continue
            response = Reply(TOO_SLOW_FOR_FORM, private=True)
        assert isinstance(response, Reply)
        for message in render(response.post):
            pending = await _send(interaction, message, response.private, pending, pending_private)
    if not interaction.response.is_done():
        if interaction.type is discord.InteractionType.component:
            await interaction.response.defer()
        else:
            await interaction.response.send_message(**_kwargs(render(DONE)[0]), ephemeral=True)
    elif pending:
        await interaction.delete_original_response()


async def _send(
    interaction: discord.Interaction, message: Message, private: bool, pending: bool, pending_private: bool
) -> bool:
    """Send one message; return whether a deferred "thinking" message is still waiting."""
    kwargs = _kwargs(message)
    if not interaction.response.is_done():
        await interaction.response.send_message(**kwargs, ephemeral=private)
        return False
    if pending and private == pending_private:
        await interaction.edit_original_response(**kwargs)
        return False
    if pending:  # a public "thinking" message cannot become private: remove it, then follow up
        await interaction.delete_original_response()
    await interaction.followup.send(**kwargs, ephemeral=private)
    return False


def _kwargs(message: Message) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"embeds": [discord.Embed.from_dict(e) for e in message.embeds]}
    if message.components:
        kwargs["view"] = view_for(message.components)
    return kwargs


async def send_private(interaction: discord.Interaction, post: Post) -> None:
    """Tell the member something only they see, whatever state the interaction is in."""
    for message in render(post):
        kwargs = _kwargs(message)
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs, ephemeral=True)
        else:
            await interaction.response.send_message(**kwargs, ephemeral=True)


async def _apologise(interaction: discord.Interaction) -> None:
    try:
        await send_private(interaction, APOLOGY)
    except discord.HTTPException:
        log.warning("discord: could not apologise for interaction %s", interaction.id)


def _who(interaction: discord.Interaction) -> str:
    return f"user {interaction.user.id}" if interaction.user else "unknown user"


def _where(interaction: discord.Interaction) -> str:
    return f"guild {interaction.guild_id} channel {interaction.channel_id}"
