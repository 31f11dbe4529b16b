"""Admin commands for the daily question: schedule set, show, pause, resume, off."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from bot import posts
from bot.commands.context import Context
from bot.commands.grammar import Command, CommandSpec, Invocation, Kind, OptionSpec
from bot.content.question import Difficulty
from bot.daily import Daily, describe
from bot.errors import NothingOpenError
from bot.rounds import Rounds
from bot.storage.schedules import ScheduleRepository
from bot.timing import format_duration, next_occurrence
from bot.vocabulary import Outcome, Place, Reply

CHANNEL = OptionSpec("channel", Kind.CHANNEL, "the channel (default: this one)")
SET = CommandSpec(
    ("schedule", "set"),
    "Post a daily question in a channel at a local time.",
    (
        OptionSpec("channel", Kind.CHANNEL, "the channel to post in", required=True),
        OptionSpec("time", Kind.TIME, "24-hour local time, such as 09:00", required=True),
        OptionSpec("timezone", Kind.ZONE, "an IANA time zone, such as Europe/Berlin", required=True),
        OptionSpec(
            "reveal_after",
            Kind.DURATION,
            "discussion time before the reveal, such as 8h (default 8h)",
        ),
        OptionSpec("topics", Kind.TOPICS, "comma-separated topics (default: all)"),
        OptionSpec("difficulty", Kind.DIFFICULTY, "easy, medium or hard (default: any)"),
    ),
    admin=True,
    example="/mlquestion schedule set #study 09:00 Europe/Berlin 8h cnn,nlp hard",
)
SHOW = CommandSpec(("schedule", "show"), "Show the daily schedules of this server or workspace.", admin=True)
PAUSE = CommandSpec(("schedule", "pause"), "Pause a channel's daily question.", (CHANNEL,), admin=True)
RESUME = CommandSpec(("schedule", "resume"), "Resume a paused daily question.", (CHANNEL,), admin=True)
OFF = CommandSpec(("schedule", "off"), "Stop a channel's daily question for good.", (CHANNEL,), admin=True)


def _target(ctx: Context, inv: Invocation) -> Place:
    channel = inv.get("channel")
    return Place(ctx.place.platform, ctx.place.workspace, str(channel) if channel else ctx.place.channel)


async def set_schedule(ctx: Context, inv: Invocation) -> Outcome:
    """Create or replace a channel's daily question."""
    at, zone, reveal = inv.get("time"), inv.get("timezone"), inv.get("reveal_after")
    topics, difficulty = inv.get("topics") or (), inv.get("difficulty")
    assert isinstance(at, time) and isinstance(zone, ZoneInfo) and isinstance(topics, tuple)
    assert reveal is None or isinstance(reveal, timedelta)
    assert difficulty is None or isinstance(difficulty, Difficulty)
    daily = Daily(ctx.services, Rounds(ctx.services))
    channel = str(inv.get("channel"))
    schedule = await daily.set(ctx.place, channel, at, zone, reveal, topics, difficulty, ctx.actor.user)
    body = describe(schedule, ctx.now()) + (
        f"\nThe model answer is revealed {format_duration(timedelta(seconds=schedule.reveal_after_s))} "
        "after each post, in its discussion thread."
    )
    return Outcome.of(Reply(posts.info("Daily question scheduled", body)))


async def show_schedules(ctx: Context, inv: Invocation) -> Outcome:
    """List the workspace's schedules."""
    async with ctx.services.db.session() as session:
        schedules = await ScheduleRepository(session).in_workspace(ctx.place.platform, ctx.place.workspace)
    if not schedules:
        body = "No daily question is scheduled. Set one with:\n`/mlquestion schedule set #channel 09:00 Europe/Berlin`"
    else:
        body = "\n".join("• " + describe(s, ctx.now()) for s in schedules)
    return Outcome.of(Reply(posts.info("Daily schedules", body), private=True))


async def _change(ctx: Context, inv: Invocation, verb: str) -> Outcome:
    target = _target(ctx, inv)
    now = ctx.now()
    async with ctx.services.db.session() as session:
        repo = ScheduleRepository(session)
        schedule = await repo.for_channel(target)
        if schedule is None:
            raise NothingOpenError(
                f"<#{target.channel}> has no daily question. Set one with `/mlquestion schedule set`."
            )
        if verb == "stop":
            await repo.delete(schedule)
            return Outcome.of(
                Reply(posts.info("Daily question off", f"No more daily questions in <#{target.channel}>."))
            )
        if verb == "pause":
            schedule.state, schedule.paused_reason = "paused", "paused by an admin"
        else:
            schedule.state, schedule.paused_reason, schedule.reason_told = "active", None, False
            at = time.fromisoformat(schedule.post_time)
            schedule.next_post_at, _ = next_occurrence(at, ZoneInfo(schedule.timezone), now)
        schedule.updated_at = now
        text = describe(schedule, now)
    return Outcome.of(Reply(posts.info(f"Daily question {verb}d", text)))


async def pause(ctx: Context, inv: Invocation) -> Outcome:
    """Pause a channel's daily question."""
    return await _change(ctx, inv, "pause")


async def resume(ctx: Context, inv: Invocation) -> Outcome:
    """Resume a channel's daily question."""
    return await _change(ctx, inv, "resume")


async def off(ctx: Context, inv: Invocation) -> Outcome:
    """Remove a channel's daily question."""
    return await _change(ctx, inv, "stop")


COMMANDS = (
    Command(SET, set_schedule),
    Command(SHOW, show_schedules),
    Command(PAUSE, pause),
    Command(RESUME, resume),
    Command(OFF, off),
)
