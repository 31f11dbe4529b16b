"""The command grammar, once: specs, one text parser, one converter for typed options."""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.content.bank import Bank, parse_difficulty
from bot.errors import UsageError
from bot.timing import parse_duration, parse_local_time, parse_zone

if TYPE_CHECKING:
    from bot.commands.context import Context
    from bot.vocabulary import Outcome

COMMAND_NAME = "mlquestion"
PERIODS = ("week", "month", "all")
DIFFICULTIES = ("easy", "medium", "hard")


class Kind(enum.StrEnum):
    """What an option holds; adapters map kinds to their platform's option types."""

    TOPIC = "topic"
    TOPICS = "topics"
    DIFFICULTY = "difficulty"
    PERIOD = "period"
    QUESTION_ID = "question_id"
    CHANNEL = "channel"
    TIME = "time"
    ZONE = "zone"
    DURATION = "duration"
    USER = "user"
    COMMAND = "command"


@dataclass(frozen=True)
class OptionSpec:
    """One option of a command."""

    name: str
    kind: Kind
    help: str
    required: bool = False

    def placeholder(self) -> str:
        """Return the option as usage shows it: `<name>` or `[name]`."""
        return f"<{self.name}>" if self.required else f"[{self.name}]"


@dataclass(frozen=True)
class CommandSpec:
    """A command: its words, options, who may run it, and its one-line help."""

    path: tuple[str, ...]
    help: str
    options: tuple[OptionSpec, ...] = ()
    admin: bool = False
    example: str = ""

    @property
    def name(self) -> str:
        """Return the command's words, such as `schedule set`."""
        return " ".join(self.path)

    def usage(self) -> str:
        """Return how to write the command."""
        words = [f"/{COMMAND_NAME}", *self.path, *(o.placeholder() for o in self.options)]
        return " ".join(words)


Handler = Callable[["Context", "Invocation"], Awaitable["Outcome"]]


@dataclass(frozen=True)
class Command:
    """A spec and the core function that runs it."""

    spec: CommandSpec
    handler: Handler


@dataclass(frozen=True)
class Invocation:
    """A parsed command with typed option values, whatever platform it came from."""

    spec: CommandSpec
    args: Mapping[str, object] = field(default_factory=dict)

    def get(self, name: str) -> object:
        """Return an option's value, or None when it was not given."""
        return self.args.get(name)


_DURATION_SHAPE = re.compile(r"^(\d+[dhms])+$", re.IGNORECASE)
# Slack escapes mentions as <#C123|name> and <@U123|name>; Discord as <#123> and <@123> or <@!123>.
_CHANNEL_MENTION = re.compile(r"^<#([^|>\s]+)(?:\|[^>]*)?>$")
_USER_MENTION = re.compile(r"^<@!?([^|>\s]+)(?:\|[^>]*)?>$")


def _accepts(kind: Kind, token: str) -> bool:
    """Tell whether an optional option of `kind` would take `token` (by its shape)."""
    word = token.lower()
    if kind is Kind.DIFFICULTY:
        return word in DIFFICULTIES
    if kind is Kind.PERIOD:
        return word in PERIODS
    if kind is Kind.DURATION:
        return bool(_DURATION_SHAPE.match(word))
    if kind in (Kind.TOPIC, Kind.TOPICS):
        return word not in DIFFICULTIES and not _DURATION_SHAPE.match(word)
    if kind is Kind.USER:
        return token.startswith(("<@", "@"))
    return True


def convert(kind: Kind, text: str, bank: Bank) -> object:
    """Turn what a member wrote (or a platform's typed option, as text) into the option's value."""
    token = text.strip()
    if kind is Kind.TOPIC:
        return bank.topic(token).slug
    if kind is Kind.TOPICS:
        if token.lower() in {"all", "any", "*"}:
            return ()
        return tuple(dict.fromkeys(bank.topic(part).slug for part in token.split(",") if part.strip()))
    if kind is Kind.DIFFICULTY:
        if token.lower() in {"any", "all"}:
            return None
        return parse_difficulty(token)
    if kind is Kind.PERIOD:
        if token.lower() not in PERIODS:
            raise UsageError(f"`{token}` is not a period. Write week, month or all.")
        return token.lower()
    if kind is Kind.TIME:
        return parse_local_time(token)
    if kind is Kind.ZONE:
        return parse_zone(token)
    if kind is Kind.DURATION:
        return parse_duration(token)
    if kind is Kind.CHANNEL:
        match = _CHANNEL_MENTION.match(token)
        if match:
            return match.group(1)
        channel = token.removeprefix("#")
        if not channel or " " in channel:
            raise UsageError(f"`{token}` is not a channel. Mention it, like #study.")
        return channel
    if kind is Kind.USER:
        match = _USER_MENTION.match(token)
        return match.group(1) if match else token.removeprefix("@")
    return token


def _match(specs: Sequence[CommandSpec], words: list[str]) -> tuple[CommandSpec | None, int]:
    best: tuple[CommandSpec | None, int] = (None, 0)
    lowered = [w.lower() for w in words]
    for spec in specs:
        size = len(spec.path)
        if tuple(lowered[:size]) == spec.path and size > best[1]:
            best = (spec, size)
    return best


def parse(text: str, specs: Sequence[CommandSpec], bank: Bank) -> Invocation:
    """Parse `/mlquestion …` text (console and Slack) into an invocation, or explain the mistake."""
    words = text.strip().split()
    if words and words[0].lower().lstrip("/") == COMMAND_NAME:
        words = words[1:]
    by_name = {s.name: s for s in specs}
    if not words:
        return Invocation(by_name["random"], {})
    spec, used = _match(specs, words)
    if spec is None:
        group = [s for s in specs if s.path[0] == words[0].lower()]
        if group:
            choices = " | ".join(s.path[-1] for s in group)
            raise UsageError(f"`{words[0]}` needs one of: {choices}. Example: {group[0].usage()}")
        if _looks_like_filters(words, bank):
            spec, used = by_name["random"], 0
        else:
            known = ", ".join(sorted({s.path[0] for s in specs}))
            raise UsageError(f"There is no command `{words[0]}`. Commands: {known}. Try `/{COMMAND_NAME} help`.")
    return Invocation(spec, _assign(spec, words[used:], bank))


def _looks_like_filters(words: list[str], bank: Bank) -> bool:
    """Let `/mlquestion cnn hard` mean `/mlquestion random cnn hard`."""
    for word in words:
        if word.lower() in DIFFICULTIES:
            continue
        try:
            bank.topic(word)
        except UsageError:
            return False
    return True


def _assign(spec: CommandSpec, tokens: list[str], bank: Bank) -> dict[str, object]:
    args: dict[str, object] = {}
    rest = list(tokens)
    for option in spec.options:
        if not rest:
            if option.required:
                raise UsageError(f"`{spec.name}` needs {option.placeholder()} ({option.help}). Write: {spec.usage()}")
            continue
        if option.kind is Kind.COMMAND:
            args[option.name] = " ".join(rest)
            rest = []
            continue
        if option.required or _accepts(option.kind, rest[0]):
            args[option.name] = convert(option.kind, rest.pop(0), bank)
    if rest:
        for option in spec.options:
            if option.name not in args and option.kind is not Kind.COMMAND:
                try:
                    convert(option.kind, rest[0], bank)
                except UsageError as exc:  # say what is wrong with the word, not just that it is extra
                    raise UsageError(f"{exc.message} Write: {spec.usage()}") from None
        raise UsageError(f"`{' '.join(rest)}` does not fit `{spec.name}`. Write: {spec.usage()}")
    return args


def build(spec: CommandSpec, raw: Mapping[str, str | None], bank: Bank) -> Invocation:
    """Build an invocation from typed options (Discord), with the same checks as the text parser."""
    args: dict[str, object] = {}
    for option in spec.options:
        value = raw.get(option.name)
        if value is None or not str(value).strip():
            if option.required:
                raise UsageError(f"`{spec.name}` needs {option.placeholder()} ({option.help}).")
            continue
        args[option.name] = convert(option.kind, str(value), bank)
    return Invocation(spec, args)
