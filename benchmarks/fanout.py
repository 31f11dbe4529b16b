"""Daily fan-out: many channels due the same minute on both platforms, the real bot, the platforms' rate limits.

What runs:

1. A fresh SQLite database, created by the project's migrations, gets `channels` active daily schedules,
   inserted in bulk (`executemany`), alternately Discord (spread over 25 guilds) and Slack (one
   workspace: the Slack adapter serves the one workspace of its bot token). They are parked a day ahead.
2. Both loopback fakes start in this process with the platforms' rate limits enforced
   (`tests/fakes`): Discord's global 50 requests/s (a sliding one-second window) and 5 messages per 5 s
   per channel; Slack's chat.postMessage at 600 a minute per workspace (Slack publishes no figure; a
   token bucket holding 5) and 1 per second per channel (holding 2). Over a limit they answer 429 and
   count it.
3. The real bot, `python -m bot run`, starts as a child process against both fakes (MLQ_TICK_SECONDS=1,
   MLQ_LOG_LEVEL=WARNING). Once it serves, every schedule is moved to the next whole minute at least
   `LEAD` seconds away: that is the scheduled minute. A copy of the database, taken before the bot
   started, gets the same change: the core's snapshot.
4. This process waits until every channel has its daily question in the fakes (and, on Discord, its
   thread), waits `SETTLE` seconds more for any late duplicate, and stops the bot (SIGTERM).
5. The core alone: the same sweep, in this process, on the snapshot, with the benchmarks' instant
   recording outbound port (`benchmarks/outbound.py`) and the clock at the scheduled minute, swept
   until idle, as `benchmarks/serve.py` does. Its time per channel is the core's own cost (database and
   Python), without any platform; it runs after the bot has stopped, so the two do not share the CPUs.

Figures. The floor is what the rate limits allow at best: Discord's requests (question posts and thread
creations) / 50 per second; Slack's posts / 10 per second (600 a minute), or the per-channel limit if
that were longer (it is not with one post per channel). It leaves out the fakes' small bursts (5 Slack
posts; Discord's window admits 50 at once): at most a second off. Measured: from the scheduled minute
to the fake's receipt of the last question post or thread creation; ratio = measured / floor, overall
(the largest floor, the last request) and per platform. Per channel, from the fakes' records: exactly one
question post (the message carrying its Answer button) and, on Discord, one thread; `posted_twice` and
`skipped` count the channels where that is not so. The bot's CPU time over the fan-out comes from
/proc: near one CPU-second per second means the bot, not the pacing, sets the pace.

`python -m benchmarks.fanout --channels 10000` (`--channels 200` for a quick run; `--profile` runs the
bot under cProfile and lists its top functions; `--env MLQ_DISCORD_REQUESTS_PER_SECOND=46` tries another
pace). Prints the JSON figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.children import cpu_seconds, free_port, profile_top, stop_process, wait_serving
from bot.storage.database import upgrade
from tests.fakes.discord_fake import GUILD_ID, DiscordLimits, FakeDiscord
from tests.fakes.slack_fake import TEAM, SlackFake, SlackLimits

ROOT = Path(__file__).resolve().parent.parent
GUILDS = 25
LEAD = 5.0  # seconds at least between the bot serving and the scheduled minute
SETTLE = 3.0  # seconds to wait after the last expected request, for duplicates
TARGET_RATIO = 1.1
REVEAL_AFTER_S = 8 * 3600  # no reveal comes due during the run
ANSWER_BUTTON = "mlq:answer:"
SCHEDULE_COLUMNS = (
    "id", "platform", "workspace", "channel", "post_time", "timezone", "reveal_after_s", "topics",
    "difficulty", "state", "paused_reason", "reason_told", "next_post_at", "created_by", "updated_at",
)  # fmt: skip
Log = Callable[[str], None]


def stamp(moment: datetime) -> str:
    """Return a UTC time as the schema stores it on SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def discord_channel(i: int) -> str:
    """Return the snowflake of Discord channel `i` (discord.py reads ids as integers)."""
    return str(1_100_000_000_000_000_000 + i)


def discord_guild(i: int) -> str:
    """Return the guild of Discord channel `i` (one of GUILDS)."""
    return str(910_000_000_000_000_000 + i % GUILDS)


def slack_channel(i: int) -> str:
    """Return Slack channel `i`."""
    return f"C{i:09d}"


@dataclass
class Plan:
    """Which channel is where: schedule ids alternate Discord, Slack, Discord, …"""

    channels: int
    discord: list[str] = field(default_factory=list)
    slack: list[str] = field(default_factory=list)

    def rows(self, parked: datetime) -> Iterator[tuple[Any, ...]]:
        """Yield the schedule rows, every one due at `parked`."""
        updated = stamp(parked - timedelta(days=1))
        for i in range(self.channels):
            if i % 2 == 0:
                platform, workspace, channel = "discord", discord_guild(i // 2), discord_channel(i // 2)
                self.discord.append(channel)
            else:
                platform, workspace, channel = "slack", TEAM, slack_channel(i // 2)
                self.slack.append(channel)
            yield (
                i + 1, platform, workspace, channel, parked.strftime("%H:%M"), "UTC", REVEAL_AFTER_S, "", None,
                "active", None, 0, stamp(parked), "U0BENCH", updated,
            )  # fmt: skip


def create_database(path: Path, plan: Plan, parked: datetime) -> None:
    """Create the schema with the migrations, then insert every schedule in one transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.parent / "bot.log", path.parent / "bot.prof"):
        stale.unlink(missing_ok=True)
    upgrade(f"sqlite:///{path}")
    columns = ", ".join(f'"{c}"' for c in SCHEDULE_COLUMNS)
    statement = f"INSERT INTO schedules ({columns}) VALUES ({', '.join('?' * len(SCHEDULE_COLUMNS))})"
    with sqlite3.connect(path) as connection:
        connection.executemany(statement, plan.rows(parked))
    connection.close()


def schedule_at(path: Path, minute: datetime) -> None:
    """Move every schedule to `minute` (the bot is running: a short write transaction, it waits if busy)."""
    with sqlite3.connect(path, timeout=30) as connection:
        connection.execute(
            "UPDATE schedules SET next_post_at = ?, post_time = ?", (stamp(minute), minute.strftime("%H:%M"))
        )
    connection.close()


# The fakes' records


@dataclass
class Tally:
    """What the fakes received for the scheduled channels, read incrementally from their call lists."""

    discord_channels: set[str]
    slack_channels: set[str]
    discord_posts: Counter[str] = field(default_factory=Counter)  # question posts (Answer button) per channel
    discord_threads: Counter[str] = field(default_factory=Counter)
    slack_posts: Counter[str] = field(default_factory=Counter)
    discord_requests: int = 0  # successful post and thread requests into the scheduled channels
    slack_requests: int = 0
    slack_per_channel: Counter[str] = field(default_factory=Counter)
    last_discord: float = 0.0
    last_slack: float = 0.0
    _discord_seen: int = 0
    _slack_seen: int = 0

    def read(self, discord: FakeDiscord, slack: SlackFake) -> None:
        """Take in the calls the fakes received since the last read."""
        calls = discord.calls[self._discord_seen :]
        self._discord_seen += len(calls)
        for call in calls:
            parts = call.path.strip("/").split("/")
            if call.method != "POST" or call.status != 200 or parts[0] != "channels" or len(parts) not in (3, 5):
                continue
            if parts[1] not in self.discord_channels or parts[2] != "messages":
                continue
            self.discord_requests += 1
            self.last_discord = max(self.last_discord, call.at)
            if len(parts) == 5 and parts[4] == "threads":
                self.discord_threads[parts[1]] += 1
            elif len(parts) == 3 and ANSWER_BUTTON in json.dumps(call.body):
                self.discord_posts[parts[1]] += 1
        slack_calls = slack.calls[self._slack_seen :]
        self._slack_seen += len(slack_calls)
        for posted in slack_calls:
            channel = str(posted.args.get("channel", ""))
            if posted.method != "chat.postMessage" or posted.status != 200 or channel not in self.slack_channels:
                continue
            self.slack_requests += 1
            self.slack_per_channel[channel] += 1
            self.last_slack = max(self.last_slack, posted.at)
            if not posted.args.get("thread_ts") and ANSWER_BUTTON in json.dumps(posted.args.get("blocks")):
                self.slack_posts[channel] += 1

    def complete(self) -> bool:
        """Tell whether every channel has its question (and, on Discord, its thread)."""
        return (
            len(self.discord_posts) == len(self.discord_channels)
            and len(self.discord_threads) == len(self.discord_channels)
            and len(self.slack_posts) == len(self.slack_channels)
        )

    def progress(self) -> str:
        """Say how far the fan-out is."""
        return (
            f"discord {len(self.discord_posts)}/{len(self.discord_channels)} posts, "
            f"{len(self.discord_threads)} threads; slack {len(self.slack_posts)}/{len(self.slack_channels)} posts"
        )


def twice_and_skipped(expected: set[str], counts: Counter[str]) -> tuple[int, int]:
    """Return (channels with more than one, channels with none)."""
    return sum(1 for c in expected if counts[c] > 1), sum(1 for c in expected if counts[c] == 0)


# The bot


class Bot:
    """`python -m bot run` against both fakes, its output in a log file."""

    def __init__(
        self,
        db: Path,
        discord: FakeDiscord,
        slack: SlackFake,
        workdir: Path,
        profile: Path | None,
        extra_env: Mapping[str, str],
    ) -> None:
        self.db, self.workdir, self.profile = db, workdir, profile
        self.port = free_port()
        self.log_path = workdir / "bot.log"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(workdir),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": f"sqlite:///{db}",
            "DISCORD_TOKEN": "fake-token",
            "MLQ_DISCORD_API_BASE": discord.api_base,
            "MLQ_DISCORD_GATEWAY_URL": discord.gateway_url,
            "MLQ_DISCORD_GUILD_IDS": GUILD_ID,
            "SLACK_BOT_TOKEN": "xoxb-fanout",
            "SLACK_SIGNING_SECRET": "fanout-secret",
            "PORT": str(self.port),
            "MLQ_SLACK_API_BASE": slack.api_base,
            "MLQ_TICK_SECONDS": "1",
            "MLQ_LOG_LEVEL": "WARNING",
            **extra_env,
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, within: float = 60.0) -> None:
        """Start the bot and wait until it serves Slack (it starts Slack after Discord, then its ticker)."""
        run = ["-m", "bot", "run"]
        if self.profile is not None:
            run = ["-m", "cProfile", "-o", str(self.profile), *run]
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *run, cwd=self.workdir, env=self.env, stdout=log, stderr=log
            )
        await wait_serving(self.process, f"http://127.0.0.1:{self.port}/healthz", within, "the bot", self.log_tail)

    async def stop(self, within: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not stop in time; return the exit status."""
        return await stop_process(self.process, within)

    def alive(self) -> bool:
        """Tell whether the process still runs."""
        return self.process is not None and self.process.returncode is None

    def cpu_seconds(self) -> float | None:
        """Return the bot's CPU time so far."""
        return None if self.process is None else cpu_seconds(self.process.pid)

    def log_tail(self, chars: int = 3000) -> str:
        """Return the end of the bot's log."""
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


# The core alone


async def core_sweep(db: Path, minute: datetime) -> dict[str, Any]:
    """Sweep the snapshot with the instant recording outbound until idle; return the core's own time."""
    from adapters.runtime import build_core, load_content, prepare_database
    from benchmarks.outbound import RecordingOutbound
    from bot.clock import FixedClock
    from bot.settings import Settings

    settings = Settings(DATABASE_URL=f"sqlite:///{db}")  # type: ignore[call-arg]
    bank = load_content(settings)
    database = await prepare_database(settings)
    outbound = RecordingOutbound()
    core = build_core(settings, database, bank, FixedClock(minute + timedelta(seconds=1)), outbound)
    sweeps, posted = 0, 0
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        while sweeps < 100:
            report = await core.sweep()
            sweeps += 1
            posted += report.posted
            if not (report.posted or report.revealed or report.failed):
                break
    finally:
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await database.dispose()
    return {
        "sweep_calls": sweeps,
        "posted": posted,
        "questions_recorded": sum(outbound.questions_per_channel.values()),
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "ms_per_channel": round(wall * 1000 / max(posted, 1), 3),
        "cpu_ms_per_channel": round(cpu * 1000 / max(posted, 1), 3),
    }


# The run


def _ratio(measured: float | None, floor: float) -> float | None:
    return None if measured is None or floor <= 0 else round(measured / floor, 3)


def _against_floor(last: float, scheduled: float, floor: float) -> dict[str, Any]:
    """The floor, the time from the scheduled minute to the `last` request (None: none came), their ratio."""
    measured = last - scheduled if last else None
    return {
        "floor_s": round(floor, 3),
        "measured_s": None if measured is None else round(measured, 3),
        "ratio": _ratio(measured, floor),
    }


async def run_fanout(
    channels: int,
    *,
    log: Log,
    workdir: Path,
    profile: bool = False,
    bot_env: Mapping[str, str] | None = None,
    whole_minute: bool = True,
    lead: float = LEAD,
) -> dict[str, Any]:
    """Run the daily fan-out of `channels` schedules through the real bot; return the figures (see the module).

    `profile` runs the bot under cProfile; `bot_env` adds settings to the bot's environment (for instance
    MLQ_DISCORD_REQUESTS_PER_SECOND, to try another pace). `whole_minute=False` (for `--quick`) makes every
    schedule due `lead` seconds after the bot serves instead of at the next whole minute, to save the wait.
    """
    if channels < 2:
        raise ValueError("at least two channels: one per platform")
    db, copy = workdir / "fanout.sqlite", workdir / "fanout-snapshot.sqlite"
    plan = Plan(channels)
    parked = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    started = time.perf_counter()
    await asyncio.to_thread(create_database, db, plan, parked)
    await asyncio.to_thread(shutil.copyfile, db, copy)  # the core's snapshot, before the bot opens the file
    log(f"fanout: {channels} schedules ({len(plan.discord)} Discord, {len(plan.slack)} Slack) in {db.name}")
    discord_limits, slack_limits = DiscordLimits(), SlackLimits()
    discord = FakeDiscord(limits=discord_limits)
    slack = SlackFake(limits=slack_limits)
    await discord.start()
    await slack.start()
    tally = Tally(set(plan.discord), set(plan.slack))
    bot = Bot(db, discord, slack, workdir, workdir / "bot.prof" if profile else None, bot_env or {})
    status: int | None = None
    timed_out = False
    discord_rate = float(discord_limits.global_per_second)
    slack_rate = slack_limits.posts_per_minute / 60
    expected_floor = max(2 * len(plan.discord) / discord_rate, len(plan.slack) / slack_rate)
    try:
        await bot.start()
        ready = datetime.now(UTC)
        minute = (ready + timedelta(seconds=LEAD + 60)).replace(second=0, microsecond=0)
        if not whole_minute:
            minute = (ready + timedelta(seconds=lead)).replace(microsecond=0)
        await asyncio.to_thread(schedule_at, db, minute)
        await asyncio.to_thread(schedule_at, copy, minute)
        log(f"fanout: bot ready ({time.perf_counter() - started:.1f}s); every channel due at {minute:%H:%M:%S} UTC")
        await asyncio.sleep((minute - datetime.now(UTC)).total_seconds())
        cpu_at_minute = bot.cpu_seconds()
        deadline = time.monotonic() + 3 * expected_floor + 120
        last_note = time.monotonic()
        while not tally.complete():
            tally.read(discord, slack)
            if not bot.alive():
                raise RuntimeError(f"the bot exited during the fan-out:\n{bot.log_tail()}")
            if time.monotonic() > deadline:
                timed_out = True
                log(f"fanout: gave up after {3 * expected_floor + 120:.0f}s: {tally.progress()}")
                break
            if time.monotonic() - last_note > 30:
                log(f"fanout: {tally.progress()}")
                last_note = time.monotonic()
            await asyncio.sleep(0.25)
        cpu_at_end = bot.cpu_seconds()
        await asyncio.sleep(SETTLE)
        tally.read(discord, slack)
    finally:
        status = await bot.stop()
        await discord.stop()
        await slack.stop()
    log(f"fanout: {tally.progress()}; the core alone on the snapshot …")
    core = await core_sweep(copy, minute)

    scheduled = minute.timestamp()
    last = max(tally.last_discord, tally.last_slack)
    discord_floor = tally.discord_requests / discord_rate
    slack_floor = max(
        tally.slack_requests / slack_rate, max((n - 1 for n in tally.slack_per_channel.values()), default=0)
    )
    floor = max(discord_floor, slack_floor)
    overall = _against_floor(last, scheduled, floor)
    measured = overall["measured_s"]
    d_twice, d_skipped = twice_and_skipped(tally.discord_channels, tally.discord_posts)
    t_twice, t_skipped = twice_and_skipped(tally.discord_channels, tally.discord_threads)
    s_twice, s_skipped = twice_and_skipped(tally.slack_channels, tally.slack_posts)
    posted_twice, skipped = d_twice + s_twice, d_skipped + s_skipped
    bot_cpu = None if cpu_at_minute is None or cpu_at_end is None else round(cpu_at_end - cpu_at_minute, 2)
    with sqlite3.connect(db) as connection:
        rounds = dict(connection.execute("SELECT state, count(*) FROM rounds WHERE kind = 'daily' GROUP BY state"))
    connection.close()
    result: dict[str, Any] = {
        "channels": channels,
        "bot_env": dict(bot_env or {}),
        "discord_channels": len(plan.discord),
        "discord_guilds": min(GUILDS, len(plan.discord)),
        "slack_channels": len(plan.slack),
        "scheduled_minute": minute.isoformat(),
        "limits": {
            "discord_global_per_second": discord_limits.global_per_second,
            "discord_messages_per_channel_per_5s": discord_limits.messages_per_channel,
            "slack_posts_per_minute": slack_limits.posts_per_minute,
            "slack_per_channel_per_second": slack_limits.channel_per_second,
        },
        **overall,
        "discord": {
            "requests": tally.discord_requests,
            **_against_floor(tally.last_discord, scheduled, discord_floor),
            "posted_twice": d_twice,
            "skipped": d_skipped,
            "threads_twice": t_twice,
            "threads_missing": t_skipped,
            "throttled_429": dict(discord.throttled),
        },
        "slack": {
            "requests": tally.slack_requests,
            **_against_floor(tally.last_slack, scheduled, slack_floor),
            "posted_twice": s_twice,
            "skipped": s_skipped,
            "throttled_429": dict(slack.throttled),
        },
        "posted_twice": posted_twice,
        "skipped": skipped,
        "rounds_in_database": rounds,
        "timed_out": timed_out,
        "bot_exit_status": status,
        "bot_cpu_seconds": bot_cpu,
        "bot_cpu_share": None if bot_cpu is None or not measured else round(bot_cpu / measured, 3),
        "core_alone": core,
        "target_ratio": TARGET_RATIO,
        "meets_target": bool(
            overall["ratio"] is not None and overall["ratio"] <= TARGET_RATIO and posted_twice == 0 and skipped == 0
        ),
    }
    if profile and (workdir / "bot.prof").exists():
        result["bot_profile_top"] = profile_top(workdir / "bot.prof")
    return result


def main() -> None:
    """`python -m benchmarks.fanout --channels N [--workdir DIR] [--profile]`: print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--channels", type=int, default=10_000, help="scheduled channels (half per platform)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the database and the bot's log go")
    parser.add_argument("--profile", action="store_true", help="run the bot under cProfile; list its top functions")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="a setting for the bot")
    args = parser.parse_args()
    bot_env = dict(item.split("=", 1) for item in args.env)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    scratch = Path(tempfile.mkdtemp(prefix="mlq-fanout-")) if args.workdir is None else None
    workdir: Path = scratch or args.workdir
    try:
        result = asyncio.run(run_fanout(args.channels, log=log, workdir=workdir, profile=args.profile, bot_env=bot_env))
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
