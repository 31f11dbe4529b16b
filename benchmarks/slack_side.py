"""Slack, side by side: the bot's HTTP endpoint against a bare slack-bolt AsyncApp, under the same open-loop load.

Two child processes serve `/slack/events` with the same signing secret and request verification: the
real bot (`python -m bot run`, HTTP mode, database = the history under test) and a bare bolt `AsyncApp`
(`benchmarks/bare_slack.py`) whose only listener acks `/mlquestion` with a fixed text. Both talk to the
loopback Slack fake of the tests (`tests/fakes/slack_fake.py`), run in a third child process so that
answering the bot's Web API calls does not slow the load generator, which is this process: one aiohttp
client sending both apps the same freshly signed `/mlquestion random` form bodies, from real Slack
workspaces, channels and members of the history (cycling through up to 1,000 channel/member pairs).

Open loop, no coordinated omission: the send times of a block are fixed up front (`rate` per second);
each request is sent at its time whatever the earlier ones are doing, and its latency runs from the
*scheduled* time to the end of the HTTP response, so a stalled server (or a stalled generator) shows
up as latency. The generator's own lag (actual minus scheduled send) is reported apart.

Order: warm-up of each app (not measured), then the measured load in four blocks of `seconds / 2`,
bot, bare, bare, bot (ABBA). Running one app at a time gives each the same machine and the same
client; splitting each app's load into two blocks placed symmetrically cancels a linear drift of the
machine's background load (others' builds on a shared machine), which back-to-back halves would
attribute to one app. Per-second interleaving was not used: after its ack the bot keeps working
(core, database, chat.postMessage) for each request, and that tail would spill into the bare app's
next second and tax it for the bot's work; between blocks the generator instead waits until every
question the bot acknowledged has been posted to the fake (the drain), so blocks do not overlap.

Two figures for the bot: the **ack** (HTTP response: what Slack's 3-second limit and the bare app's
fixed reply measure; the ratio and the target use it) and the **answer** (until the question post
reaches the fake's `chat.postMessage`: what the member waits for). The ack of the bot is empty
(the answer is posted in the channel); every acked `random` must produce one question post with
an Answer button in its channel, matched to the requests of that channel in order.

If the bare app cannot sustain `rate` after its warm-up (a failure, p99 over 1 s, or a growing queue,
twice in a row over 3 s), the rate steps down by a fifth until it does; both apps are measured at it.
The CPU time of each app (user + system, from /proc) per request is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from sqlalchemy import text

from benchmarks.bare_slack import FIXED
from benchmarks.children import collector_paused, cpu_seconds, free_port, stop_process, until_signalled, wait_serving
from bot.storage.database import Database, upgrade
from tests.adapters.slack.payloads import FORM, load, signed
from tests.fakes.slack_fake import TEAM, SlackFake

ROOT = Path(__file__).resolve().parent.parent
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-bench-token"
EVENTS_PATH, HEALTH_PATH = "/slack/events", "/healthz"
TARGET_RATIO_P99, TARGET_P99_MS = 1.5, 100.0
SUSTAIN_P99_MS = 1000.0
STEP_DOWN, MIN_RATE = 0.8, 5.0
REQUEST_TIMEOUT_S = 10.0
DRAIN_LIMIT_S = 60.0
POOL = 1000  # (channel, member) pairs the requests cycle through, as many channels as the history has
ORDER = ("bot", "bare", "bare", "bot")
SUSTAIN_CHECK_S = 3.0
# Slack lets a workspace post "several hundred messages a minute" and the bot paces itself to that
# (MLQ_SLACK_POSTS_PER_MINUTE); this load is far above it, and the fake enforces nothing: lifted, so that
# the answer figure measures the bot rather than Slack's limit. The ack, the figure that counts, is unaffected.
UNPACED_POSTS_PER_MINUTE = 100_000
QUESTION_BUTTON = '"mlq:answer:'
SLACK_CHANNELS = "SELECT workspace, channel FROM schedules WHERE platform = 'slack' ORDER BY workspace, channel"
SLACK_MEMBERS = """SELECT "user" FROM members WHERE platform = 'slack' AND workspace = :team ORDER BY id LIMIT 200"""
FAILURES = ("non_200", "bad_body", "timeout", "error")


# ------------------------------------------------------------------------------------------------ pure helpers


def send_times(rate: float, seconds: float, start: float = 0.0) -> list[float]:
    """Return the open-loop schedule: `rate * seconds` send times, evenly spaced from `start`."""
    if rate <= 0 or seconds <= 0:
        return []
    return [start + i / rate for i in range(round(rate * seconds))]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence: the smallest value with at least q of them at or below."""
    if not sorted_values:
        return float("nan")
    rank = math.ceil(q * len(sorted_values) - 1e-9)  # the epsilon absorbs float error (0.99 * 100)
    return sorted_values[max(0, min(len(sorted_values) - 1, rank - 1))]


def summary(latencies_ms: Sequence[float]) -> dict[str, float | int]:
    """Return n, p50, p99, mean and max (ms, rounded to µs) of some latencies."""
    values = sorted(latencies_ms)
    if not values:
        return {"n": 0, "p50_ms": float("nan"), "p99_ms": float("nan"), "mean_ms": float("nan"), "max_ms": float("nan")}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.50), 3),
        "p99_ms": round(percentile(values, 0.99), 3),
        "mean_ms": round(sum(values) / len(values), 3),
        "max_ms": round(values[-1], 3),
    }


def ratio(numerator: float, denominator: float) -> float | None:
    """Return numerator / denominator rounded to 3 places, or None when it is not defined."""
    if not denominator or denominator != denominator or numerator != numerator:  # zero or NaN
        return None
    return round(numerator / denominator, 3)


def growing(latencies_ms: Sequence[float], slack_ms: float = 20.0) -> bool:
    """Tell whether latencies in send order show a queue building up (last third's median > 2× first's)."""
    third = len(latencies_ms) // 3
    if third < 5:
        return False
    first = sorted(latencies_ms[:third])
    last = sorted(latencies_ms[-third:])
    return percentile(last, 0.5) > 2 * percentile(first, 0.5) + slack_ms


def match_in_order(
    sent: Sequence[tuple[str, float]], arrived: Sequence[tuple[str, float]]
) -> tuple[list[float], int, int]:
    """Pair requests with posts per channel, first come first served; return (latencies, unanswered, extra).

    `sent` holds (channel, scheduled time) of every acked request, `arrived` (channel, arrival time) of
    every question post; a latency is arrival minus scheduled time, in the order of `sent`.
    """
    queues: dict[str, deque[float]] = defaultdict(deque)
    for channel, at in sorted(arrived, key=lambda item: item[1]):
        queues[channel].append(at)
    latencies: list[float] = []
    unanswered = 0
    for channel, scheduled in sorted(sent, key=lambda item: item[1]):
        queue = queues[channel]
        if queue:
            latencies.append(queue.popleft() - scheduled)
        else:
            unanswered += 1
    return latencies, unanswered, sum(len(queue) for queue in queues.values())


# ------------------------------------------------------------------------------------------------ the fake


@dataclass
class TimedSlackFake(SlackFake):
    """The tests' Slack fake, also stamping each chat.postMessage (channel, monotonic time, is a question).

    It runs in a child process of its own (`python -m benchmarks.slack_side --serve-fake PORT_FILE`), so
    that answering the bot's Web API calls does not delay the load generator. The stamps use
    `time.monotonic()`, the clock of the generator's event loop (one clock for the whole machine), and
    are read back through a Web API method only the benchmark calls, `bench.posted?from=N`.
    """

    posted: list[tuple[str, float, bool]] = field(default_factory=list)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            question = QUESTION_BUTTON in json.dumps(args.get("blocks") or [])
            self.posted.append((str(args.get("channel", "")), time.monotonic(), question))
        return super()._answer(method, args)

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] != "bench.posted":
            return await super()._api(request)
        start = int(request.query.get("from", "0"))
        return web.json_response({"posted": self.posted[start:], "webhooks": len(self.of("webhook"))})


async def serve_fake(port_file: Path) -> None:
    """Run the timed fake until SIGTERM; write its port to `port_file` once it serves."""
    fake = TimedSlackFake()
    await fake.start()
    await asyncio.to_thread(port_file.write_text, str(fake.port))
    try:
        await until_signalled()
    finally:
        await fake.stop()


@dataclass
class FakeView:
    """What the generator knows of the fake child: its URLs and the posts it stamped so far."""

    port: int
    posted: list[tuple[str, float, bool]] = field(default_factory=list)
    webhooks: int = 0

    @property
    def api_base(self) -> str:
        """Return the Web API base URL the apps are given."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook(self) -> str:
        """Return the URL that stands in for a response_url."""
        return f"http://127.0.0.1:{self.port}/webhook"

    def questions(self) -> list[tuple[str, float]]:
        """Return (channel, arrival) of every question post read so far."""
        return [(channel, at) for channel, at, question in self.posted if question]

    async def refresh(self, session: aiohttp.ClientSession) -> None:
        """Read the posts stamped since the last refresh."""
        async with session.get(f"{self.api_base}bench.posted", params={"from": str(len(self.posted))}) as resp:
            data = await resp.json()
        self.posted.extend((str(c), float(at), bool(q)) for c, at, q in data["posted"])
        self.webhooks = int(data["webhooks"])

    async def wait_questions(self, session: aiohttp.ClientSession, n: int, within: float) -> bool:
        """Wait until `n` question posts in all have arrived; False if they did not within `within` s."""
        deadline = time.monotonic() + within
        while True:
            await self.refresh(session)
            if len(self.questions()) >= n:
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)


# ------------------------------------------------------------------------------------------------ processes


@dataclass
class Child:
    """A served app in a child process; its output goes to a log file."""

    name: str
    process: asyncio.subprocess.Process
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        """Return the Request URL."""
        return f"http://127.0.0.1:{self.port}{EVENTS_PATH}"

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system, all threads) the child used so far (NaN once it is gone)."""
        used = cpu_seconds(self.process.pid)
        return float("nan") if used is None else used

    def tail(self, chars: int = 3000) -> str:
        """Return the end of what the child logged."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    async def ready(self, within: float = 30.0, path: str = HEALTH_PATH) -> None:
        """Wait until `path` (/healthz) answers 200."""
        await wait_serving(self.process, f"http://127.0.0.1:{self.port}{path}", within, self.name, self.tail)

    async def stop(self, within: float = 20.0) -> int | None:
        """SIGTERM, wait; kill only if it does not stop in time."""
        return await stop_process(self.process, within)


async def spawn(name: str, args: list[str], env: dict[str, str], port: int, work: Path) -> Child:
    """Start `python args…` in `work` (so no developer's .env is read), logging to work/<name>.log."""
    log_path = work / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=work, env=env, stdout=log_file, stderr=log_file
        )
    return Child(name, process, port, log_path)


def child_env(work: Path, **extra: str) -> dict[str, str]:
    """Return a minimal environment for a child: the repository on PYTHONPATH, warnings only."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(work),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "MLQ_LOG_LEVEL": "WARNING",
        **extra,
    }


# ------------------------------------------------------------------------------------------------ requests


@dataclass(frozen=True)
class Who:
    """Where and by whom a `/mlquestion random` is sent."""

    team: str
    channel: str
    user: str


async def pick_places(db_url: str, n: int = POOL, seed: int = 7) -> list[Who]:
    """Return up to `n` (team, channel, member) of the history's Slack schedules and members, channels cycling.

    Falls back to made-up ids in the fake's team when the database has no Slack schedule.
    """
    db = Database(db_url)
    try:
        async with db.session() as session:
            channels = (await session.execute(text(SLACK_CHANNELS))).all()
            members: dict[str, list[str]] = {}
            for team in sorted({str(row[0]) for row in channels}):
                rows = await session.execute(text(SLACK_MEMBERS), {"team": team})
                members[team] = [str(row[0]) for row in rows]
    finally:
        await db.dispose()
    rng = random.Random(seed)
    if not channels:
        return [Who(TEAM, f"CBENCH{i:04d}", f"UBENCH{i:04d}") for i in range(min(n, 20))]
    chosen = list(channels)
    rng.shuffle(chosen)
    places = []
    for i in range(min(n, max(len(chosen), 1) * 2)):
        team, channel = (str(value) for value in chosen[i % len(chosen)])
        users = members.get(team) or [f"UBENCH{i:04d}"]
        places.append(Who(team, channel, rng.choice(users)))
    return places[:n]


class Bodies:
    """Form bodies of `/mlquestion random`, shaped like the recorded slash command, cycling through places."""

    def __init__(self, places: Sequence[Who], response_url: str) -> None:
        self.places = list(places)
        self.response_url = response_url
        self.template = load("slash_command_bolt_python.json")
        for key in ("enterprise_id", "enterprise_name"):
            self.template.pop(key, None)
        self.count = 0

    def next(self) -> tuple[Who, str]:
        """Return the next place and its body."""
        i = self.count
        self.count += 1
        who = self.places[i % len(self.places)]
        body = {
            **self.template,
            "command": "/mlquestion",
            "text": "random",
            "team_id": who.team,
            "channel_id": who.channel,
            "channel_name": who.channel.lower(),
            "user_id": who.user,
            "user_name": who.user.lower(),
            "response_url": f"{self.response_url}?n={i}",
            "trigger_id": f"{i}.{i}.bench",
        }
        return who, urlencode(body)


@dataclass
class Sample:
    """One request: when it was due, sent and answered, and how."""

    channel: str
    scheduled: float
    sent: float = 0.0
    done: float = 0.0
    status: int | None = None
    outcome: str = "pending"  # ok, non_200, bad_body, timeout, error

    @property
    def latency_ms(self) -> float:
        """Return scheduled-to-response time in ms."""
        return (self.done - self.scheduled) * 1000

    @property
    def lag_ms(self) -> float:
        """Return how late the generator sent it, in ms."""
        return (self.sent - self.scheduled) * 1000


BodyCheck = Callable[[str], bool]


async def _one(session: aiohttp.ClientSession, url: str, body: str, sample: Sample, check: BodyCheck) -> None:
    loop = asyncio.get_running_loop()
    headers = signed(body, FORM, SECRET)  # signed now, with the current timestamp
    sample.sent = loop.time()
    try:
        async with session.post(url, data=body.encode(), headers=headers) as resp:
            answer = await resp.text()
            sample.done = loop.time()
            sample.status = resp.status
            if resp.status != 200:
                sample.outcome = "non_200"
            elif not check(answer):
                sample.outcome = "bad_body"
            else:
                sample.outcome = "ok"
    except TimeoutError:
        sample.done, sample.outcome = loop.time(), "timeout"
    except (aiohttp.ClientError, OSError):
        sample.done, sample.outcome = loop.time(), "error"


async def drive(
    session: aiohttp.ClientSession, url: str, bodies: Bodies, rate: float, seconds: float, check: BodyCheck
) -> list[Sample]:
    """Send `rate` requests per second for `seconds` on a fixed schedule; return every sample once answered."""
    loop = asyncio.get_running_loop()
    with collector_paused():
        times = send_times(rate, seconds, loop.time() + 0.02)
        samples: list[Sample] = []
        tasks: list[asyncio.Task[None]] = []
        for at in times:
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            who, body = bodies.next()
            sample = Sample(who.channel, at)
            samples.append(sample)
            tasks.append(asyncio.create_task(_one(session, url, body, sample, check)))
        await asyncio.gather(*tasks)
    return samples


@dataclass(frozen=True)
class Block:
    """One app's block of load: its samples, how long it lasted, the drain after it and the app's CPU time."""

    name: str
    samples: list[Sample]
    seconds: float
    drain: float
    cpu: float


def costs(blocks: Sequence[Block]) -> dict[str, float | None]:
    """Return an app's CPU per request, its CPU use and the rate it completed requests at, over some blocks."""
    requests = sum(len(b.samples) for b in blocks)
    wall = sum(b.seconds + b.drain for b in blocks)
    cpu = sum(b.cpu for b in blocks)
    lags = sorted(s.lag_ms for b in blocks for s in b.samples)
    return {
        "cpu_ms_per_request": round(cpu * 1000 / requests, 3) if requests else None,
        "cpu_share_of_a_core": round(cpu / wall, 3) if wall else None,
        "completed_per_second": round(requests / wall, 1) if wall else None,
        "generator_lag_p99_ms": round(percentile(lags, 0.99), 3) if lags else None,
    }


def read_json(path: Path) -> Any:
    """Return a JSON file's content, or None when there is no such file."""
    return json.loads(path.read_text()) if path.exists() else None


def client() -> aiohttp.ClientSession:
    """Return a client session with no cap on open connections (an open loop must not queue in the client)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    )


def tally(samples: Sequence[Sample]) -> dict[str, Any]:
    """Return the latency summary of the samples answered 200 and the count of each failure."""
    ok = [s.latency_ms for s in samples if s.outcome == "ok"]
    counts = {kind: sum(1 for s in samples if s.outcome == kind) for kind in FAILURES}
    return {**summary(ok), "requests": len(samples), **counts, "failed": sum(counts.values())}


def sustained(samples: Sequence[Sample]) -> bool:
    """Tell whether an app kept up: no failure, p99 within 1 s, no queue building up."""
    figures = tally(samples)
    in_order = [s.latency_ms for s in samples if s.outcome == "ok"]
    return figures["failed"] == 0 and figures["p99_ms"] <= SUSTAIN_P99_MS and not growing(in_order)


def is_empty_ack(body: str) -> bool:
    """The bot acks with an empty body (its answer is a post in the channel)."""
    return body.strip() == ""


def is_fixed_ack(body: str) -> bool:
    """The bare app acks with its fixed message (bolt sends a text-only ack as the plain body)."""
    return body == FIXED


# ------------------------------------------------------------------------------------------------ the benchmark


async def _drain(fake: FakeView, session: aiohttp.ClientSession, acked: int, log: Callable[[str], None]) -> float:
    """Wait until the fake has seen as many question posts as the bot acked requests; return the wait in s."""
    started = time.monotonic()
    if not await fake.wait_questions(session, acked, DRAIN_LIMIT_S):
        log(f"  drain: {acked - len(fake.questions())} questions still not posted after {DRAIN_LIMIT_S:.0f} s")
    return time.monotonic() - started


async def start_fake(work: Path) -> tuple[Child, FakeView]:
    """Start the timed Slack fake in a child process; return it once it answers."""
    port_file = work / "fake.port"
    child = await spawn(
        "fake", ["-m", "benchmarks.slack_side", "--serve-fake", str(port_file)], child_env(work), 0, work
    )
    for _ in range(300):
        if port_file.exists() and port_file.read_text().strip():
            break
        if child.process.returncode is not None:
            raise RuntimeError(f"the Slack fake exited with {child.process.returncode}:\n{child.tail()}")
        await asyncio.sleep(0.05)
    child.port = int(port_file.read_text())
    await child.ready(path="/api/api.test")
    return child, FakeView(child.port)


async def run_slack_side_by_side(
    db_url: str, *, rate: float, seconds: float, log: Callable[[str], None], warmup: float = 2.0,
    sustain_check: float = SUSTAIN_CHECK_S, profile: Path | None = None, probe: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Measure the bot's and a bare bolt app's ack latency under the same open-loop load (see the module doc).

    `db_url` is the history the bot serves (it gains one round per request). Development aids, both
    slowing the bot a little: `profile` runs the bot under cProfile and writes its stats there; `probe`
    runs it through `benchmarks/slack_probe.py` (GC pauses, event-loop lag, time in the core and in each
    Web API call), whose summary lands there and in the result as `bot_probe`.
    """
    work = Path(tempfile.mkdtemp(prefix="mlq-slack-side-"))
    children: list[Child] = []
    try:
        places = await pick_places(db_url)
        teams = sorted({w.team for w in places})
        log(f"slack side by side: {len(places)} (channel, member) pairs in {len(teams)} Slack workspace(s)")
        fake_child, fake = await start_fake(work)
        children.append(fake_child)
        bot_port, bare_port = free_port(), free_port()
        bot_env = child_env(
            work,
            DATABASE_URL=db_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            PORT=str(bot_port),
            MLQ_SLACK_API_BASE=fake.api_base,
            MLQ_SLACK_POSTS_PER_MINUTE=str(UNPACED_POSTS_PER_MINUTE),
        )
        if probe:
            bot_env["MLQ_BENCH_PROBE"] = str(probe)
            bot_env["MLQ_BENCH_TRY"] = os.environ.get("MLQ_BENCH_TRY", "")  # the probe's experiments
        profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
        command = ["-m", "benchmarks.slack_probe"] if probe else ["-m", "bot", "run"]
        bare_command = ["-m", "benchmarks.bare_slack", str(bare_port), SECRET, fake.api_base]
        bot = await spawn("bot", [*profiler, *command], bot_env, bot_port, work)
        children.append(bot)
        bare = await spawn("bare", bare_command, child_env(work), bare_port, work)
        children.append(bare)
        await asyncio.gather(bot.ready(), bare.ready())
        bodies = Bodies(places, fake.webhook)
        blocks: list[Block] = []
        bot_sent: list[tuple[str, float]] = []  # (channel, scheduled) of every request the bot acked
        async with client() as bot_http, client() as bare_http, client() as fake_http:

            async def run_bot(duration: float, at: float) -> list[Sample]:
                cpu = bot.cpu_seconds()
                samples = await drive(bot_http, bot.url, bodies, at, duration, is_empty_ack)
                bot_sent.extend((s.channel, s.scheduled) for s in samples if s.outcome == "ok")
                waited = await _drain(fake, fake_http, len(bot_sent), log)
                blocks.append(Block("bot", samples, duration, waited, bot.cpu_seconds() - cpu))
                log(f"  bot: {len(samples)} requests, ack p99 {tally(samples)['p99_ms']} ms; drained in {waited:.2f} s")
                return samples

            async def run_bare(duration: float, at: float) -> list[Sample]:
                cpu = bare.cpu_seconds()
                samples = await drive(bare_http, bare.url, bodies, at, duration, is_fixed_ack)
                blocks.append(Block("bare", samples, duration, 0.0, bare.cpu_seconds() - cpu))
                log(f"  bare: {len(samples)} requests, ack p99 {tally(samples)['p99_ms']} ms")
                await asyncio.sleep(0.5)
                return samples

            # Warm-up, then the step-down: the bare app must keep up with the rate both are measured at.
            # A check that fails is repeated once at the same rate (a shared machine has bad seconds).
            log(f"warm-up of the bare app at {rate:g}/s for {warmup:g} s")
            await run_bare(warmup, rate)
            steps: list[dict[str, Any]] = []
            at = rate
            while True:
                log(f"sustain check of the bare app at {at:g}/s for {sustain_check:g} s")
                trial = await run_bare(sustain_check, at)
                ok = sustained(trial)
                steps.append({"rate": at, "sustained": ok, **tally(trial)})
                if ok or at <= MIN_RATE:
                    break
                if len(steps) >= 2 and steps[-2]["rate"] == at:
                    at = max(MIN_RATE, round(at * STEP_DOWN, 1))
            log(f"warm-up of the bot at {at:g}/s for {warmup:g} s")
            await run_bot(warmup, at)
            questions_before, warm_acked = len(fake.questions()), len(bot_sent)

            measured: dict[str, list[Sample]] = {"bot": [], "bare": []}
            blocks.clear()
            half = seconds / 2
            for name in ORDER:
                log(f"measured block: {name}, {half:g} s at {at:g}/s")
                measured[name].extend(await (run_bot if name == "bot" else run_bare)(half, at))
            await fake.refresh(fake_http)
        fake_cpu = fake_child.cpu_seconds()
    finally:
        for child in reversed(children):
            code = await child.stop()
            if code not in (0, None, -signal.SIGTERM):
                log(f"{child.name} exited with {code}:\n{child.tail()}")
        shutil.rmtree(work, ignore_errors=True)

    # The bot's answers: question posts matched to the acked requests, channel by channel, in order.
    answer_s, unanswered, extra = match_in_order(bot_sent, fake.questions())
    answer_ms = [s * 1000 for s in answer_s[warm_acked:]]
    bot_figures, bare_figures = tally(measured["bot"]), tally(measured["bare"])
    for name, figures in (("bot", bot_figures), ("bare", bare_figures)):
        figures.update(costs([b for b in blocks if b.name == name]))
    lags = sorted(s.lag_ms for s in measured["bot"] + measured["bare"])
    ratio_p50 = ratio(bot_figures["p50_ms"], bare_figures["p50_ms"])
    ratio_p99 = ratio(bot_figures["p99_ms"], bare_figures["p99_ms"])
    meets = bool(
        ratio_p99 is not None
        and ratio_p99 <= TARGET_RATIO_P99
        and bot_figures["p99_ms"] < TARGET_P99_MS
        and bot_figures["failed"] == 0
    )
    order = f"{', '.join(ORDER)} ({half:g} s each)"
    result: dict[str, Any] = {
        "requested_rate": rate,
        "rate": at,
        "seconds": seconds,
        "warmup_seconds": warmup,
        "order": order,
        "requests": {"bot": len(measured["bot"]), "bare": len(measured["bare"])},
        "bot": bot_figures,
        "bare": bare_figures,
        "ratio_p50": ratio_p50,
        "ratio_p99": ratio_p99,
        "errors": bot_figures["failed"] + bare_figures["failed"],
        "meets_target": meets,
        "target": f"ack ratio p99 ≤ {TARGET_RATIO_P99}, bot ack p99 < {TARGET_P99_MS:.0f} ms",
        "bot_answer": {
            **summary(answer_ms),
            "question_posts": len(fake.questions()) - questions_before,
            "unanswered": unanswered,
            "extra_posts": extra,
            "other_posts": sum(1 for _, _, question in fake.posted if not question),
            "private_replies": fake.webhooks,  # an error message or an apology through response_url
        },
        "generator_lag_ms": {"p50": round(percentile(lags, 0.5), 3), "p99": round(percentile(lags, 0.99), 3)},
        "fake_cpu_seconds": round(fake_cpu, 2),
        "bare_sustain_steps": steps,
        "bare_sustained": sustained(measured["bare"]),
        "places": {"pairs": len(places), "workspaces": len(teams)},
        "how": (
            f"open loop at {at:g} req/s, latency from the scheduled send to the HTTP response; the bot "
            "(`python -m bot run`, HTTP mode, Web API on a loopback Slack fake in its own process, workspace "
            "post pacing lifted) and a bare bolt AsyncApp acking a fixed text, each a child process, same "
            f"freshly signed `/mlquestion random` bodies from one aiohttp client; {warmup:g} s warm-up each, "
            f"then blocks {order}; before each next block, every question the bot acked had been posted"
        ),
    }
    if probe:
        result["bot_probe"] = read_json(probe)
    return result


# ------------------------------------------------------------------------------------------------ standalone


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _database(args: argparse.Namespace, scratch: Path) -> str:
    if args.db:
        return str(args.db)
    if args.copy:
        target = scratch / "history.sqlite"
        shutil.copyfile(args.copy, target)
        url = f"sqlite:///{target}"
        upgrade(url)
        return url
    url = f"sqlite:///{scratch / 'empty.sqlite'}"
    _log("no --db and no --copy: an empty throwaway database (no Slack history; made-up ids)")
    upgrade(url)
    return url


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.slack_side [--db URL | --copy FILE] [--rate R] [--seconds S]`: print the figures."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-fake"]:  # the fake's child process
        asyncio.run(serve_fake(Path(argv[1])))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.slack_side", description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--db", help="the history to serve (it gains one round per request)")
    source.add_argument("--copy", type=Path, help="a SQLite history to copy first (e.g. bench-results/cache/…)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (default 200)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per app (default 30)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per app (default 2)")
    parser.add_argument("--profile", type=Path, help="run the bot under cProfile, writing its stats here")
    parser.add_argument("--probe", type=Path, help="time GC, loop lag, core and Web API in the bot; summary here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="mlq-slack-side-db-"))
    try:
        url = _database(args, scratch)
        profile = args.profile.resolve() if args.profile else None  # the bot runs in another directory
        probe = args.probe.resolve() if args.probe else None
        result = asyncio.run(
            run_slack_side_by_side(
                url, rate=args.rate, seconds=args.seconds, log=_log, warmup=args.warmup, profile=profile, probe=probe
            )
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rendered = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(rendered + "\n")
    print(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
