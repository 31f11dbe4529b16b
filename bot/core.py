"""The core's front door: adapters hand it what members did and render what it answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from bot import posts
from bot.commands import COMMANDS, SPECS
from bot.commands.authoring import submit_question
from bot.commands.context import Context, Services
from bot.commands.grammar import CommandSpec, Invocation, build, parse
from bot.content.bank import Topic
from bot.daily import Daily, SweepReport
from bot.errors import UsageError, UserFacingError
from bot.rounds import Rounds
from bot.storage.library import LibraryRepository
from bot.storage.schedules import ScheduleRepository
from bot.vocabulary import ACTION_PREFIX, ActionKind, Actor, Outcome, Place, Reply

log = logging.getLogger(__name__)
UPVOTE_EMOJI = {"👍", "+1", "thumbsup", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"}


class Core:
    """One instance per process, shared by every adapter."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.rounds = Rounds(services)
        self.daily = Daily(services, self.rounds)

    @property
    def specs(self) -> tuple[CommandSpec, ...]:
        """Return every command's spec (adapters build their commands from these)."""
        return SPECS

    async def command(self, text: str, actor: Actor, place: Place) -> Outcome:
        """Run a command written as text (`/mlquestion random cnn hard`)."""
        return await self._guard(lambda: self._run(parse(text, SPECS, self.services.bank), actor, place, False))

    async def invoke(
        self, name: str, options: Mapping[str, str | None], actor: Actor, place: Place, answer_first: bool = False
    ) -> Outcome:
        """Run a command given with typed options (Discord slash commands).

        With `answer_first`, a question's round may be stored only after the adapter has shown it: the
        adapter must then call the outcome's `settle` once it has delivered the responses.
        """

        async def run() -> Outcome:
            command = COMMANDS.get(name)
            if command is None:
                raise UsageError(f"There is no command `{name}`. Try `/mlquestion help`.")
            return await self._run(build(command.spec, options, self.services.bank), actor, place, answer_first)

        return await self._guard(run)

    async def _run(self, invocation: Invocation, actor: Actor, place: Place, answer_first: bool) -> Outcome:
        ctx = Context(actor, place, self.services, answer_first)
        if invocation.spec.admin:
            ctx.require_admin(f"use `/mlquestion {invocation.spec.name}`")
        outcome = await COMMANDS[invocation.spec.name].handler(ctx, invocation)
        try:
            notice = await self._pause_notice(actor, place)
        except BaseException:
            await outcome.settle()  # nothing will be shown, but a round must never be left half-open
            raise
        return replace(outcome, responses=(*outcome.responses, notice)) if notice else outcome

    async def _pause_notice(self, actor: Actor, place: Place) -> Reply | None:
        """Tell an admin, once, why this channel's daily question was paused by a refusal."""
        if not actor.is_admin:
            return None
        async with self.services.db.session() as session:
            schedule = await ScheduleRepository(session).for_channel(place.in_thread(None))
            if schedule is None or schedule.state != "paused" or schedule.reason_told:
                return None
            if not schedule.paused_reason or "refused" not in schedule.paused_reason:
                return None
            schedule.reason_told = True
            reason = schedule.paused_reason
        body = f"The daily question here is paused: {reason}. Fix the bot's access, then `/mlquestion schedule resume`."
        return Reply(posts.info("Daily question paused", body), private=True)

    async def press(self, custom_id: str, actor: Actor, place: Place) -> Outcome:
        """Handle a button press; the button's id says what it does and to what."""

        async def run() -> Outcome:
            prefix, _, rest = custom_id.partition(":")
            kind_text, _, target = rest.partition(":")
            try:
                kind = ActionKind(kind_text)
            except ValueError:
                kind = None
            if prefix != ACTION_PREFIX or kind is None or not target:
                raise UsageError("This button is not one of mine any more.")
            if kind is ActionKind.ANSWER:
                return Outcome.of(self.rounds.form_for(await self.rounds.round(target)))
            if kind is ActionKind.REVEAL:
                return await self.rounds.reveal(actor, await self.rounds.round(target))
            if kind is ActionKind.UPVOTE:
                if not target.isdigit():
                    raise UsageError("This button is not valid any more.")
                return await self.rounds.upvote(actor, int(target), place, None)
            if kind is ActionKind.SHOW_ANSWER:
                return await self.rounds.show_answer(actor, target)
            return await self.rounds.grade(actor, target, kind.value)

        return await self._guard(run)

    async def submit(self, form_id: str, values: Mapping[str, str], actor: Actor, place: Place) -> Outcome:
        """Handle a submitted form (an answer, or an admin's new question)."""

        async def run() -> Outcome:
            if form_id == "add":
                return await submit_question(Context(actor, place, self.services), values)
            kind, _, target = form_id.partition(":")
            if kind == "answer":
                return await self.rounds.submit_answer(actor, target, values.get("answer", ""))
            raise UsageError("This form is not one of mine any more.")

        return await self._guard(run)

    async def message(self, actor: Actor, place: Place, message_id: str, text: str) -> bool:
        """Take a member's message in a thread; True when it counted as their answer."""
        try:
            return await self.rounds.thread_reply(actor, place, message_id, text)
        except UserFacingError:
            return False

    async def reaction(self, actor: Actor, place: Place, message_id: str, emoji: str) -> None:
        """Take a reaction; 👍 on a member's answer is an upvote."""
        if emoji not in UPVOTE_EMOJI:
            return
        try:
            await self.rounds.upvote(actor, None, place, message_id)
        except UserFacingError as exc:
            await self.services.outbound.send_private(actor, place, posts.error(exc.message))

    async def sweep(self) -> SweepReport:
        """Post and reveal whatever is due (the scheduler calls this on every tick)."""
        return await self.daily.sweep()

    async def first_time(self, platform: str, workspace: str, event_id: str) -> bool:
        """Return False for an event the platform delivered before (retries)."""
        async with self.services.db.session() as session:
            return await LibraryRepository(session).first_time(platform, workspace, event_id, self.services.clock.now())

    def complete_topics(self, prefix: str, limit: int = 25) -> list[Topic]:
        """Return topics matching what a member has typed so far."""
        return self.services.bank.complete(prefix, limit)

    async def _guard(self, run: Callable[[], Awaitable[Outcome]]) -> Outcome:
        try:
            return await run()
        except UserFacingError as exc:
            return Outcome.of(Reply(posts.error(exc.message), private=True))
