"""`help`: usage of every command, and the scoring rules."""

from __future__ import annotations

from collections.abc import Sequence

from bot import posts
from bot.commands.context import Context
from bot.commands.grammar import Command, CommandSpec, Invocation, Kind, OptionSpec
from bot.errors import UsageError
from bot.scoring import RULES
from bot.vocabulary import Outcome, Reply

HELP = CommandSpec(
    ("help",),
    "Show how to use the commands and how scoring works.",
    (OptionSpec("command", Kind.COMMAND, "a command, such as schedule set"),),
    example="/mlquestion help schedule set",
)


def help_text(specs: Sequence[CommandSpec]) -> str:
    """Return the overview of every command."""
    member = [s for s in specs if not s.admin]
    admin = [s for s in specs if s.admin]
    lines = ["**Commands**"] + [f"`{s.usage()}`: {s.help}" for s in member]
    lines += ["", "**Admins**"] + [f"`{s.usage()}`: {s.help}" for s in admin]
    lines += ["", "**Scoring**", RULES]
    return "\n".join(lines)


def command_help(spec: CommandSpec) -> str:
    """Return one command's usage, options and example."""
    lines = [f"`{spec.usage()}`", spec.help]
    lines += [f"• `{o.name}`{'' if o.required else ' (optional)'}: {o.help}" for o in spec.options]
    if spec.example:
        lines.append(f"Example: `{spec.example}`")
    if spec.admin:
        lines.append("Admins only.")
    return "\n".join(lines)


def make_help(specs: Sequence[CommandSpec]) -> Command:
    """Build the help command over the final list of specs."""

    async def show_help(ctx: Context, inv: Invocation) -> Outcome:
        """Show usage and the scoring rules."""
        wanted = str(inv.get("command") or "").strip().lower().removeprefix("/mlquestion").strip()
        if not wanted:
            return Outcome.of(Reply(posts.info("mlquestion help", help_text(specs)), private=True))
        matches = [s for s in specs if s.name == wanted] or [s for s in specs if s.path[0] == wanted]
        if not matches:
            known = ", ".join(sorted({s.name for s in specs}))
            raise UsageError(f"There is no command `{wanted}`. Commands: {known}.")
        body = "\n\n".join(command_help(s) for s in matches)
        return Outcome.of(Reply(posts.info(f"Help: {wanted}", body), private=True))

    return Command(HELP, show_help)
