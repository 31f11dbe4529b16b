"""The `/mlquestion` slash command, generated from the core's specs, and syncing it only when it changed."""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import discord
from discord import app_commands

from bot.commands.grammar import COMMAND_NAME, DIFFICULTIES, PERIODS, CommandSpec, Kind

log = logging.getLogger(__name__)
DESCRIPTION_LIMIT = 100
ROOT_HELP = "Daily machine-learning interview practice."
GROUP_HELP = {"schedule": "Set up the daily question (admins)."}

Options = dict[str, str | None]
Run = Callable[[discord.Interaction, CommandSpec, Options], Awaitable[None]]
Complete = Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


class ChannelId(app_commands.Transformer):
    """A text or announcement channel option, handed to the core as its id."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        """Return the option type."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Return the channels a daily question can be posted in."""
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        """Return the channel's id."""
        return str(value.id)


class UserId(app_commands.Transformer):
    """A member option, handed to the core as the user's id."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        """Return the option type."""
        return discord.AppCommandOptionType.user

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        """Return the user's id."""
        return str(value.id)


def annotation(kind: Kind) -> Any:
    """Return the parameter annotation (and so the Discord option type) for an option kind."""
    if kind is Kind.DIFFICULTY:
        return Literal[DIFFICULTIES]
    if kind is Kind.PERIOD:
        return Literal[PERIODS]
    if kind is Kind.CHANNEL:
        return app_commands.Transform[str, ChannelId]
    if kind is Kind.USER:
        return app_commands.Transform[str, UserId]
    return str


def _callback(spec: CommandSpec, run: Run) -> Callable[..., Coroutine[Any, Any, None]]:
    async def callback(interaction: discord.Interaction, **options: str | None) -> None:
        await run(interaction, spec, options)

    parameters = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)
    ]
    for option in spec.options:
        default = inspect.Parameter.empty if option.required else None
        parameters.append(
            inspect.Parameter(
                option.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation(option.kind)
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    # A top-level qualname, so discord.py does not take the callback for a method.
    callback.__name__ = callback.__qualname__ = "mlquestion_" + "_".join(spec.path)
    app_commands.describe(**{o.name: o.help[:DESCRIPTION_LIMIT] for o in spec.options})(callback)
    return callback


def build_group(specs: Sequence[CommandSpec], run: Run, completers: dict[Kind, Complete]) -> app_commands.Group:
    """Return `/mlquestion` with one subcommand per spec (`schedule set` inside the `schedule` group)."""
    root = app_commands.Group(name=COMMAND_NAME, description=ROOT_HELP, guild_only=True)
    groups: dict[str, app_commands.Group] = {}
    for spec in specs:
        parent = root
        if len(spec.path) == 2:
            word = spec.path[0]
            if word not in groups:
                groups[word] = app_commands.Group(
                    name=word, description=GROUP_HELP.get(word, f"{word} commands")[:DESCRIPTION_LIMIT], parent=root
                )
            parent = groups[word]
        elif len(spec.path) != 1:
            raise ValueError(f"Discord nests one group deep at most: {spec.name}")
        callback = _callback(spec, run)
        completing = {o.name: completers[o.kind] for o in spec.options if o.kind in completers}
        if completing:
            app_commands.autocomplete(**completing)(callback)
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=spec.path[-1], description=spec.help[:DESCRIPTION_LIMIT], callback=callback, parent=parent
        )
        parent.add_command(command)
    return root


def topic_choices(topics: Iterable[tuple[str, str]], typed: str, limit: int = 25) -> list[app_commands.Choice[str]]:
    """Return autocomplete choices for (slug, name) topics; with commas, complete the last one typed."""
    head, comma, _ = typed.rpartition(",")
    prefix = f"{head}," if comma else ""
    choices = []
    for slug, name in topics:
        label = f"{prefix}{name} ({slug})" if prefix else f"{name} ({slug})"
        choices.append(app_commands.Choice(name=label[:100], value=(prefix + slug)[:100]))
    return choices[:limit]


def definition(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
    """Return the commands as Discord receives them on a sync."""
    return [command.to_dict(tree) for command in tree.get_commands(guild=guild)]


def digest(payload: list[dict[str, Any]]) -> str:
    """Return a stable hash of a command definition."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def state_path(database_url: str) -> Path:
    """Return where the synced commands' hash is kept: next to a SQLite database, else the working directory."""
    for scheme in ("sqlite+aiosqlite:///", "sqlite:///"):
        if database_url.startswith(scheme):
            database = database_url[len(scheme) :].split("?")[0]
            if database and database != ":memory:":
                return Path(database).with_name(Path(database).name + ".discord-commands.json")
    return Path(".mlquestion-discord-commands.json")


async def sync_commands(tree: app_commands.CommandTree[Any], guild_ids: Sequence[int], state: Path) -> list[str]:
    """Sync to the configured guilds (instant) or globally, only where the definition changed; return the scopes."""
    stored = read_state(state)
    synced: list[str] = []
    scopes: list[discord.Object | None] = [discord.Object(g) for g in guild_ids] or [None]
    for guild in scopes:
        key = str(guild.id) if guild else "global"
        wanted = digest(definition(tree, guild))
        if stored.get(key) == wanted:
            continue
        try:
            await tree.sync(guild=guild)
        except discord.Forbidden:
            log.error(
                "discord: not allowed to register /%s in %s; invite the bot with the applications.commands scope",
                COMMAND_NAME,
                f"guild {key}" if guild else "all guilds",
            )
            continue
        stored[key] = wanted
        synced.append(key)
        log.info("discord: synced /%s to %s", COMMAND_NAME, f"guild {key}" if guild else "all guilds (global)")
    if synced:
        write_state(state, stored)
    return synced


def read_state(state: Path) -> dict[str, str]:
    """Return the hash of the last synced definition per scope (a tiny file, read once at start)."""
    try:
        stored = json.loads(state.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}


def write_state(state: Path, stored: dict[str, str]) -> None:
    """Remember what was synced; a read-only disk only costs a re-sync at the next start."""
    try:
        state.write_text(json.dumps(stored, indent=1, sort_keys=True))
    except OSError as exc:
        log.warning("discord: could not remember the synced commands in %s: %s", state, exc)
