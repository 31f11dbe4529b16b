"""Commands that play the open question: answer, reveal."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.grammar import Command, CommandSpec, Invocation
from bot.rounds import Rounds
from bot.vocabulary import Outcome

ANSWER = CommandSpec(("answer",), "Answer the open question of this channel (opens a form).")
REVEAL = CommandSpec(("reveal",), "Reveal the model answer of the open question now (whoever asked it, or an admin).")


async def answer(ctx: Context, inv: Invocation) -> Outcome:
    """Open the answer form for the channel's open question."""
    rounds = Rounds(ctx.services)
    return Outcome.of(rounds.form_for(await rounds.open_round_here(ctx.place)))


async def reveal(ctx: Context, inv: Invocation) -> Outcome:
    """Reveal the channel's open question."""
    rounds = Rounds(ctx.services)
    return await rounds.reveal(ctx.actor, await rounds.open_round_here(ctx.place))


COMMANDS = (Command(ANSWER, answer), Command(REVEAL, reveal))
