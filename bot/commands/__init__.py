"""Every command, once: adapters generate their commands from these specs."""

from __future__ import annotations

from bot.commands import authoring, play, progress, questions, schedule
from bot.commands.grammar import Command, CommandSpec
from bot.commands.help import HELP, make_help

_FAMILIES = (
    *questions.COMMANDS,
    *play.COMMANDS,
    *progress.COMMANDS,
    *schedule.COMMANDS,
    *authoring.COMMANDS,
)
SPECS: tuple[CommandSpec, ...] = (*(c.spec for c in _FAMILIES), HELP)
COMMANDS: dict[str, Command] = {c.spec.name: c for c in (*_FAMILIES, make_help(SPECS))}

__all__ = ["COMMANDS", "SPECS"]
