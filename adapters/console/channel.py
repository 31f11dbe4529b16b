"""The console channel: a terminal chat with several local members and accelerated time."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from adapters.console.outbound import ConsoleOutbound, Shown
from adapters.runtime import build_core, load_content, prepare_database
from adapters.ticker import start_ticker
from bot.clock import AcceleratedClock
from bot.core import Core
from bot.errors import UsageError
from bot.settings import Settings
from bot.timing import format_duration, parse_duration
from bot.vocabulary import Actor, Form, OpenForm, Outcome, Place, Post, Reply

log = logging.getLogger(__name__)
PLATFORM, WORKSPACE, CHANNEL = "console", "local", "general"
MEMBERS = {"you": "You", "ada": "Ada", "grace": "Grace", "alan": "Alan"}
ADMINS = {"you"}
DEFAULT_SPEED = 60.0
CONSOLE_HELP = """\
Type commands as in Discord or Slack: /mlquestion help
Press a button by typing its label: Answer, Reveal, Nailed it … (`upvote ada` upvotes Ada's answer)
Anything else you type is a message in the current channel or thread.
  /as NAME        speak as another member: you (admin), ada, grace, alan
  /thread         go to the latest discussion thread      /channel  back to #general
  /wait 8h        jump the clock ahead and run what is due /time     show the bot's clock
  /quit           leave (Ctrl-D works too)"""

ReadLine = Callable[[str], Awaitable[str | None]]


class ConsoleChannel:
    """One terminal session: who is typing, where, and the core they talk to."""

    def __init__(
        self,
        core: Core,
        outbound: ConsoleOutbound,
        clock: AcceleratedClock,
        read: ReadLine,
        user: str,
        interactive: bool = False,
    ):
        self.interactive = interactive
        self.core = core
        self.out = outbound
        self.clock = clock
        self.read = read
        self.user = user if user in MEMBERS else "you"
        self.place = Place(PLATFORM, WORKSPACE, CHANNEL)

    @property
    def actor(self) -> Actor:
        """Return the member currently typing."""
        return Actor(PLATFORM, WORKSPACE, self.user, MEMBERS[self.user], self.user in ADMINS)

    def say(self, text: str) -> None:
        """Print a line of the console itself (not the bot)."""
        self.out.write(text + "\n")

    async def handle(self, line: str) -> bool:
        """Handle one typed line; False when the member wants to leave. Never lets an error out."""
        try:
            return await self._handle(line)
        except Exception:
            log.exception("console: %r from %s in %s failed", line.strip(), self.user, self.place)
            self.say("(sorry, something went wrong on my side; it has been logged)")
            return True

    async def _handle(self, line: str) -> bool:
        text = line.strip()
        if not text:
            return True
        word = text.split()[0].lower()
        if word in {"/quit", "/exit"}:
            return False
        if word == "/help":
            self.say(CONSOLE_HELP)
        elif word == "/as":
            self._switch(text.split()[1:])
        elif word == "/thread":
            self._enter_thread()
        elif word == "/channel":
            self.place = self.place.in_thread(None)
            self.say(f"(in #{CHANNEL})")
        elif word == "/time":
            self.say(f"(bot clock: {self.clock.now():%Y-%m-%d %H:%M} UTC)")
        elif word == "/wait":
            await self._wait(text.split()[1:])
        elif word.lstrip("/") == "mlquestion":
            await self.show(await self.core.command(text, self.actor, self.place))
        elif word.startswith("/"):
            self.say(f"(unknown console command {word}; type /help)")
        elif not await self._press(text):
            await self._message(text)
        return True

    def _switch(self, args: list[str]) -> None:
        name = args[0].lower() if args else ""
        if name not in MEMBERS:
            self.say(f"(members here: {', '.join(MEMBERS)})")
            return
        self.user = name
        self.say(f"(you are now {MEMBERS[name]}{', an admin' if name in ADMINS else ''})")

    def _enter_thread(self) -> None:
        threads = [m for m in reversed(self.out.messages) if m.place.thread]
        if not threads:
            self.say("(no discussion thread yet)")
            return
        self.place = threads[0].place
        self.say("(in the latest discussion thread; /channel goes back)")

    async def _wait(self, args: list[str]) -> None:
        try:
            delta = parse_duration(args[0] if args else "")
        except UsageError as exc:
            self.say(f"({exc.message})")
            return
        self.clock.advance(delta)
        self.say(f"(⏩ {format_duration(delta)} later: {self.clock.now():%Y-%m-%d %H:%M} UTC)")
        await self.core.sweep()

    def _find(self, text: str) -> tuple[Shown, str] | None:
        words = text.lower().split()
        for size in range(len(words), 0, -1):
            label, rest = " ".join(words[:size]), " ".join(words[size:])
            for shown in reversed(self.out.messages):
                for action in shown.post.actions:
                    if action.label.lower() == label and (not rest or shown.post.author.lower() == rest):
                        return shown, action.custom_id
        return None

    async def _press(self, text: str) -> bool:
        found = self._find(text)
        if found is None:
            return await self._react(text)
        shown, custom_id = found
        await self.show(await self.core.press(custom_id, self.actor, shown.place))
        return True

    async def _react(self, text: str) -> bool:
        """`upvote NAME` on a thread reply (no button there) is a 👍 reaction, as on the platforms."""
        words = text.lower().split()
        if len(words) != 2 or words[0] != "upvote":
            return False
        for shown in reversed(self.out.messages):
            if shown.post.kind == "message" and shown.post.author.lower() == words[1]:
                self.say(f"({MEMBERS[self.user]} reacted 👍 to {shown.post.author})")
                await self.core.reaction(self.actor, shown.place, shown.message_id, "👍")
                return True
        return False

    async def _message(self, text: str) -> None:
        self.say(f"{MEMBERS[self.user]}: {text}")
        ref = self.out.remember(self.place, _said(MEMBERS[self.user], text))
        await self.core.message(self.actor, self.place, ref.message_id, text)

    async def show(self, outcome: Outcome) -> None:
        """Print what the core answered; fill in any form it asks for."""
        for response in outcome.responses:
            if isinstance(response, Reply):
                self.out.show(self.place, response.post, private=response.private)
            elif isinstance(response, OpenForm):
                await self._fill(response)

    async def _fill(self, request: OpenForm) -> None:
        form: Form = request.form
        # At a terminal a field may span lines (an empty line ends it); piped input gives one line per field.
        hint = " (an empty line ends a field)" if self.interactive else ""
        self.say(f"── form: {form.title}{hint}")
        values: dict[str, str] = {}
        for field in form.fields:
            lines: list[str] = []
            while True:
                line = await self.read(f"{field.label}> ")
                if line is None or not line.strip():
                    break
                lines.append(line.rstrip("\n"))
                if not (field.multiline and self.interactive):
                    break
            values[field.field_id] = "\n".join(lines)
        await self.show(await self.core.submit(form.form_id, values, self.actor, self.place))


def _said(name: str, text: str) -> Post:
    return Post(title=name, body=text, author=name, kind="message")


async def play(settings: Settings, speed: float | None = None, user: str = "you", stdin: TextIO | None = None) -> int:
    """Run the console until the member quits or the input ends."""
    source = stdin or sys.stdin
    interactive = source.isatty()
    width = min(100, shutil.get_terminal_size().columns - 2) if interactive else 100
    outbound = ConsoleOutbound(lambda text: print(text, end="", flush=True), color=interactive, width=width)
    factor = speed if speed is not None else (settings.clock_speed if settings.clock_speed != 1 else DEFAULT_SPEED)
    clock = AcceleratedClock(factor)
    bank = load_content(settings)
    db = await prepare_database(settings)
    core = build_core(settings, db, bank, clock, outbound)
    loop = asyncio.get_running_loop()

    async def read(prompt: str) -> str | None:
        if interactive:
            print(prompt, end="", flush=True)
        line = await loop.run_in_executor(None, source.readline)
        return line if line else None

    channel = ConsoleChannel(core, outbound, clock, read, user, interactive)
    # Interactive: APScheduler ticks in real time. Piped: sweep after each line, for a repeatable transcript.
    ticker = start_ticker(core.sweep, 1.0) if interactive else None
    if interactive:
        channel.say(f"mlquestion console: #{CHANNEL}, clock ×{factor:g}. Type /help, or /mlquestion to start.")
    try:
        while True:
            line = await read(f"{MEMBERS[channel.user]}> ")
            if line is None or not await channel.handle(line):
                break
            if not interactive:
                await core.sweep()
    finally:
        if ticker is not None:
            await ticker.stop()
        await db.dispose()
    return 0
