"""Discord, side by side: our bot and a bare discord.py bot answering `/mlquestion random` under the same load.

Two loopback Discord fakes (`tests/fakes/discord_fake.py`, subclassed here) run in this process. Against
one runs the real bot, `python -m bot run` in a child process, on the given database; against the other a
bare discord.py bot (`benchmarks/bare_discord.py`) whose `/mlquestion random` answers a fixed message.

The load is open-loop: INTERACTION_CREATE dispatches for `/mlquestion random` pushed over the gateway
websocket at fixed times (`rate` per second, the times fixed before the first push). A latency runs from
an interaction's *scheduled* push time to the moment its fake receives the answer, so a late push or a
bot falling behind is counted, never hidden (no coordinated omission). The answer is the interaction
callback (`POST /interactions/{id}/{token}/callback`); when the bot defers (type 5), what the member sees
is the follow-up (`/webhooks/{app}/{token}...`), and both times are reported.

The same client code drives both bots in the same run, in alternating slices, bot, bare, bare, bot
(ABBA): each bot gets `seconds` of load in two halves, a drift of the shared machine's load over the run
falls on both equally, and the two never run loaded at the same time (on two cores they would compete
for CPU and the comparison would measure the contention). Each bot is warmed up first (not measured).
If the bare bot does not sustain `rate` (in a 5 s probe: every interaction answered correctly within Discord's
3 s, and a median under 50 ms; a bot behind its load has a median that grows to seconds), the
rate steps down by a fifth until it does (two tries per rate), and that rate is used for both.

The interactions carry a guild, a channel and members from the history in the database (platform
'discord'), so `random` runs against real history. The synthetic history (benchmarks/history.py) writes
Slack-style ids (`C00000040`, `U00000123`) for its Discord workspaces too, which no Discord interaction
can carry (discord.py reads ids as integers), so the chosen channel and members are renamed to snowflakes
in the database first (`910…040`, `920…123`, in every table): pass a scratch copy. With no Discord rows,
the fake's recorded guild, channel and member are used.

`python -m benchmarks.discord_side [--db URL] [--rate 200] [--seconds 30]` runs it alone (on a copy of
`--db`, or on a fresh empty database); `--sections` and `--profile FILE` run the bot under
`benchmarks/discord_probe.py` to see where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import copy
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import inspect, text

from benchmarks.bare_discord import FIXED_QUESTION, FIXED_TITLE
from benchmarks.children import collector_paused, cpu_seconds, profile_top, stop_process
from benchmarks.fanout import ANSWER_BUTTON
from benchmarks.latency import percentile
from bot.storage.database import Database, upgrade_async
from tests.fakes.discord_fake import BOT_ID, CHANNEL_ID, GUILD_ID, FakeDiscord, load

ROOT = Path(__file__).resolve().parent.parent
QUESTION_TITLE = "Practice question"  # bot.posts: the title of a `random` question
EPHEMERAL = 64
DISCORD_EPOCH_MS = 1_420_070_400_000  # 2015-01-01, the epoch of snowflake timestamps
DISCORD_DEADLINE_S = 3.0  # Discord invalidates an interaction whose first response comes later
TARGET_RATIO_P99 = 1.5
TARGET_P99_MS = 100.0
# A bot sustains a rate when it answers everything correctly within 3 s with a median under this. The median,
# not the p99: a backlog moves the median to seconds, while on a shared machine the p99 moves with others' load.
SUSTAIN_P50_MS = 50.0
STEP_DOWN = 0.8
MIN_RATE = 5.0
PROBE_SECONDS = 5.0
START_TIMEOUT = 30.0
PAUSE_S = 1.0  # idle time between slices
MEMBER_PERMISSIONS = "1071631556161"  # @everyone's permissions in the recorded guild: no Manage Server
RECORDED_MEMBER = ("275616469906358273", "Shadorc")  # the recorded interaction's member
CHANNEL_BASE = 910_000_000_000_000_000
USER_BASE = 920_000_000_000_000_000
MAX_MEMBERS = 20
USER_COLUMNS = ("user", "voter", "asked_by", "created_by")  # columns holding a member's id
CHANNEL_COLUMNS = ("channel",)
Json = dict[str, Any]
Log = Callable[[str], None]
_ARRIVED: contextvars.ContextVar[float] = contextvars.ContextVar("arrived")


# The fake


@dataclass
class Arrival:
    """A request for one interaction that reached the fake: when, what, with which body."""

    at: float
    kind: str  # "callback" or "webhook"
    body: Any


class SideFake(FakeDiscord):
    """The Discord fake with the chosen guild and channel, timing the answers to each interaction by token."""

    def __init__(self, guild_id: str, channel_id: str, channel_name: str) -> None:
        super().__init__()
        self.guild_id, self.channel_id, self.channel_name = guild_id, channel_id, channel_name
        self.arrivals: dict[str, list[Arrival]] = {}
        self.visible: dict[str, float] = {}  # token -> when the member could first see an answer
        self.other_calls = 0  # REST calls that are no interaction's answer (the daily sweep, syncs)

    async def _identify(self, ws: web.WebSocketResponse, identify: Json) -> None:
        """Greet with READY and a GUILD_CREATE of the chosen guild (the recorded one, renamed)."""
        self.identifies.append(identify)
        ready = load("gateway_ready_recorded")["d"]
        ready["guilds"] = [{"unavailable": True, "id": self.guild_id}]
        ready["resume_gateway_url"] = self.gateway_url
        await self.push("READY", ready)
        recorded = json.dumps(load("gateway_guild_create_recorded")["d"])
        guild = json.loads(recorded.replace(GUILD_ID, self.guild_id).replace(CHANNEL_ID, self.channel_id))
        for channel in guild["channels"]:
            if channel["id"] == self.channel_id:
                channel["name"] = self.channel_name
        guild["threads"] = []
        await self.push("GUILD_CREATE", guild)
        await self._note()

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        """Answer as the fake does, noting when the request arrived (for `_route`)."""
        _ARRIVED.set(time.perf_counter())
        return await super()._rest(request)

    def _route(self, method: str, path: str, body: Any) -> web.Response:
        """Route as the fake does; note when an interaction's callback or follow-up arrived."""
        parts = path.strip("/").split("/")
        token = None
        if parts[0] == "interactions" and parts[-1] == "callback" and len(parts) == 4:
            token, kind = parts[2], "callback"
        elif parts[0] == "webhooks" and len(parts) >= 3:
            token, kind = parts[2], "webhook"
        if token is None:
            self.other_calls += 1
            return super()._route(method, path, body)
        at = _ARRIVED.get()
        self.arrivals.setdefault(token, []).append(Arrival(at, kind, body if isinstance(body, dict) else None))
        if token not in self.visible and (kind == "webhook" or not isinstance(body, dict) or body.get("type") != 5):
            self.visible[token] = at
        return super()._route(method, path, body)

    async def send_raw(self, frame: str) -> None:
        """Push one serialised gateway frame."""
        if self._ws is None or self._ws.closed:
            raise RuntimeError("the bot is not connected to the fake gateway")
        await self._ws.send_str(frame)

    def dispatch(self, d: Json) -> str:
        """Return an INTERACTION_CREATE frame, serialised, with the next sequence number."""
        return json.dumps({"op": 0, "t": "INTERACTION_CREATE", "s": next(self._seq), "d": d})


# Where the interactions come from


@dataclass
class Where:
    """The guild, channel and members the interactions carry."""

    guild: str
    channel: str
    channel_name: str
    members: list[tuple[str, str, int]]  # (user id, display name, weight: answers in the channel)
    from_history: bool
    renamed: dict[str, str] = field(default_factory=dict)  # history id -> snowflake written in its place

    def describe(self) -> str:
        """Say where, in a few words."""
        source = "from the history" if self.from_history else "the fake's recorded ones (no Discord rows)"
        return f"guild {self.guild}, channel {self.channel}, {len(self.members)} member(s), {source}"


def snowflake_for(old: str, base: int) -> str:
    """Return a stable numeric id for a history id: the snowflake itself, or `base` + its digits."""
    if old.isdigit():
        return old
    digits = re.sub(r"\D", "", old)
    return str(base + (int(digits) if digits else abs(hash(old)) % 10**12))


def shown_rounds(fake: SideFake) -> set[str]:
    """Return the rounds (the targets of their Answer buttons) the bot's answers showed."""
    shown = set()
    for arrivals in fake.arrivals.values():
        for arrival in arrivals:
            # A callback wraps the message in `data`; a follow-up after a defer is the message itself.
            data = (arrival.body or {}).get("data") if arrival.kind == "callback" else arrival.body
            for row in (data or {}).get("components") or []:
                for button in row.get("components") or []:
                    if str(button.get("custom_id", "")).startswith(ANSWER_BUTTON):
                        shown.add(button["custom_id"][len(ANSWER_BUTTON) :])
    return shown


async def stored_rounds(db_url: str, where: Where, shown: set[str]) -> dict[str, int]:
    """Check that every question the bot showed has its round stored (the bot answers first, stores after)."""
    db = Database(db_url)
    try:
        async with db.engine.begin() as conn:
            rows = await conn.execute(
                text("SELECT id, token FROM rounds WHERE platform = 'discord' AND workspace = :g AND channel = :c"),
                {"g": where.guild, "c": where.channel},
            )
            stored = {ref for round_id, token in rows for ref in (str(round_id), token) if ref}
    finally:
        await db.dispose()
    return {"shown": len(shown), "stored": len(shown & stored), "shown_not_stored": len(shown - stored)}


async def choose_where(db_url: str, log: Log) -> Where:
    """Pick a Discord guild, its busiest scheduled channel and its members who answer there most."""
    db = Database(db_url)
    try:
        async with db.engine.begin() as conn:
            guild = await conn.scalar(
                text("SELECT min(workspace) FROM schedules WHERE platform = 'discord' AND state = 'active'")
            )
            if guild is None:
                log("discord side by side: the database has no Discord schedule; the fake's guild is used")
                return Where(GUILD_ID, CHANNEL_ID, "test2", [(*RECORDED_MEMBER, 1)], from_history=False)
            channel = await conn.scalar(
                text(
                    "SELECT r.channel FROM answers a JOIN rounds r ON r.id = a.round_id "
                    "WHERE a.platform = 'discord' AND a.workspace = :g "
                    "AND r.channel IN (SELECT channel FROM schedules WHERE platform = 'discord' AND workspace = :g) "
                    "GROUP BY r.channel ORDER BY count(*) DESC, r.channel LIMIT 1"
                ),
                {"g": guild},
            )
            if channel is None:
                channel = await conn.scalar(
                    text("SELECT min(channel) FROM schedules WHERE platform = 'discord' AND workspace = :g"),
                    {"g": guild},
                )
            rows = (
                await conn.execute(
                    text(
                        'SELECT a."user", max(a.display_name), count(*) FROM answers a '
                        "JOIN rounds r ON r.id = a.round_id "
                        "WHERE a.platform = 'discord' AND a.workspace = :g AND r.channel = :c "
                        'GROUP BY a."user" ORDER BY count(*) DESC, a."user" LIMIT :n'
                    ),
                    {"g": guild, "c": channel, "n": MAX_MEMBERS},
                )
            ).all()
            members = [(str(u), str(name), int(n)) for u, name, n in rows]
            if not members:
                rows = (
                    await conn.execute(
                        text(
                            "SELECT \"user\", display_name FROM members WHERE platform = 'discord' "
                            'AND workspace = :g ORDER BY "user" LIMIT :n'
                        ),
                        {"g": guild, "n": MAX_MEMBERS},
                    )
                ).all()
                members = [(str(u), str(name), 1) for u, name in rows] or [(*RECORDED_MEMBER, 1)]
            where = Where(str(guild), str(channel), f"study-{channel}"[:100], members, from_history=True)
            await _rename_to_snowflakes(conn, where)
    finally:
        await db.dispose()
    log(f"discord side by side: {where.describe()}; {len(where.renamed)} history id(s) renamed to snowflakes")
    return where


async def _rename_to_snowflakes(conn: Any, where: Where) -> None:
    """Rename the chosen channel and members to numeric ids wherever they appear (one UPDATE per column).

    The tables are read from the database itself (reflection), so a table a newer migration added is
    renamed too.
    """

    def tables(sync: Any) -> dict[str, list[str]]:
        inspector = inspect(sync)
        return {t: [c["name"] for c in inspector.get_columns(t)] for t in inspector.get_table_names()}

    schema = await conn.run_sync(tables)
    channel = snowflake_for(where.channel, CHANNEL_BASE)
    users = {user: snowflake_for(user, USER_BASE) for user, _, _ in where.members}
    for names, mapping in ((CHANNEL_COLUMNS, {where.channel: channel}), (USER_COLUMNS, users)):
        mapping = {old: new for old, new in mapping.items() if old != new}
        if not mapping:
            continue
        where.renamed.update(mapping)
        params = {"g": where.guild}
        for i, (old, new) in enumerate(mapping.items()):
            params[f"o{i}"], params[f"n{i}"] = old, new
        cases = " ".join(f"WHEN :o{i} THEN :n{i}" for i in range(len(mapping)))
        olds = ", ".join(f":o{i}" for i in range(len(mapping)))
        for table, columns in sorted(schema.items()):
            if "platform" not in columns or "workspace" not in columns:
                continue
            for name in (c for c in columns if c in names):
                await conn.execute(
                    text(
                        f'UPDATE {table} SET "{name}" = CASE "{name}" {cases} ELSE "{name}" END '
                        f"WHERE platform = 'discord' AND workspace = :g AND \"{name}\" IN ({olds})"
                    ),
                    params,
                )
    where.channel = channel
    where.members = [(users[u], name, weight) for u, name, weight in where.members]


def interaction_template(where: Where) -> Json:
    """Return an INTERACTION_CREATE `d` for `/mlquestion random` (shape of the recorded frame, as the tests')."""
    d = copy.deepcopy(load("interaction_create_subcommand_group_recorded")["d"])
    d.update(
        application_id=BOT_ID,
        version=1,
        attachment_size_limit=10485760,
        guild_id=where.guild,
        channel_id=where.channel,
        channel={
            "id": where.channel,
            "type": 0,
            "guild_id": where.guild,
            "name": where.channel_name,
            "permissions": "0",
        },
        data={
            "id": "1600000000000000000",
            "name": "mlquestion",
            "type": 1,
            "options": [{"type": 1, "name": "random", "options": []}],
            "guild_id": where.guild,
        },
    )
    d["member"].update(permissions=MEMBER_PERMISSIONS, flags=0, nick=None)
    return dict(d)


def snowflake_now(serial: int) -> str:
    """Return a Discord snowflake made now (its timestamp is what `interaction.created_at` reads)."""
    return str((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22 | (serial & 0x3FFFFF))


class Interactions:
    """Fresh `/mlquestion random` interactions from members drawn by how much they answer in the channel."""

    def __init__(self, where: Where, seed: int = 7) -> None:
        self.template = interaction_template(where)
        self.members = where.members
        self.weights = list(itertools.accumulate(w for _, _, w in where.members))
        self.rng = random.Random(seed)
        self.serial = itertools.count()

    def next(self) -> tuple[str, Json]:
        """Return (token, d) of the next interaction."""
        user, name, _ = self.rng.choices(self.members, cum_weights=self.weights)[0]
        interaction_id = snowflake_now(next(self.serial))
        token = f"bench{interaction_id}"
        d = dict(self.template, id=interaction_id, token=token)
        member = dict(self.template["member"])
        member["user"] = {**member["user"], "id": user, "username": name, "global_name": None}
        d["member"] = member
        return token, d


# The two bots


def check_ours(arrivals: list[Arrival]) -> tuple[bool, str | None]:
    """Return (deferred, problem): the answer must be the public question embed, at once or after a defer."""
    first = arrivals[0]
    if first.kind != "callback":
        return False, f"{first.kind} before the callback"
    kind = (first.body or {}).get("type")
    answer = first.body
    if kind == 5:
        follow = [a for a in arrivals[1:] if a.kind == "webhook"]
        if not follow:
            return True, "deferred, no follow-up"
        answer = {"type": 4, "data": follow[0].body}
    if (answer or {}).get("type") != 4:
        return kind == 5, f"callback type {kind}"
    data = answer.get("data") or {}
    title = ((data.get("embeds") or [{}])[0]).get("title")
    if title != QUESTION_TITLE or data.get("flags", 0) & EPHEMERAL:
        return kind == 5, f"answered {title!r}{' privately' if data.get('flags', 0) & EPHEMERAL else ''}"
    return kind == 5, None


def check_bare(arrivals: list[Arrival]) -> tuple[bool, str | None]:
    """Return (deferred, problem): the bare bot answers the fixed question, with its buttons, in the callback."""
    body = arrivals[0].body or {}
    if arrivals[0].kind != "callback" or body.get("type") != 4:
        return False, f"{arrivals[0].kind} type {body.get('type')}"
    data = body.get("data") or {}
    embed = (data.get("embeds") or [{}])[0]
    if (embed.get("title"), embed.get("description")) != (FIXED_TITLE, FIXED_QUESTION) or not data.get("components"):
        return False, "not the fixed message"
    return False, None


@dataclass
class Bot:
    """One bot process and its fake."""

    name: str
    fake: SideFake
    argv: list[str]
    env: dict[str, str]
    workdir: Path
    check: Callable[[list[Arrival]], tuple[bool, str | None]]
    probing: bool = False  # runs under benchmarks.discord_probe: SIGUSR1/SIGUSR2 start and stop its instruments
    process: asyncio.subprocess.Process | None = None

    @property
    def log_path(self) -> Path:
        """Return where the process's output goes."""
        return self.workdir / f"{self.name}.log"

    def log_tail(self, chars: int = 3000) -> str:
        """Return the end of the process's output."""
        return self.log_path.read_text()[-chars:] if self.log_path.exists() else ""

    async def start(self, interactions: Interactions) -> None:
        """Start the process; return once it has answered an interaction."""
        with self.log_path.open("a") as out:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, cwd=self.workdir, env=self.env, stdout=out, stderr=out
            )
        try:
            await self.fake.wait_identified(1, START_TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"{self.name}: no IDENTIFY within {START_TIMEOUT} s:\n{self.log_tail()}") from None
        deadline = time.perf_counter() + START_TIMEOUT
        while time.perf_counter() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log_tail()}")
            token, d = interactions.next()
            await self.push(self.fake.dispatch(d))
            for _ in range(20):
                await asyncio.sleep(0.1)
                if token in self.fake.visible:
                    return
        raise RuntimeError(f"{self.name}: no interaction answered within {START_TIMEOUT} s:\n{self.log_tail()}")

    async def push(self, frame: str) -> None:
        """Push a frame to this bot; say why when it is gone."""
        try:
            await self.fake.send_raw(frame)
        except (RuntimeError, ConnectionError) as exc:
            code = self.process.returncode if self.process else None
            raise RuntimeError(f"{self.name} is not connected ({exc}; exit code {code}):\n{self.log_tail()}") from exc

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the process if it runs."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(sig)

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 15 s; return the exit code."""
        return await stop_process(self.process, 15)

    def cpu_seconds(self) -> float | None:
        """Return the process's CPU time so far (user + system, every thread), from /proc."""
        return None if self.process is None else cpu_seconds(self.process.pid)


# The load


@dataclass
class Sample:
    """One interaction: when it was due, when the callback and the visible answer arrived, and what went wrong."""

    due: float
    pushed: float
    callback: float | None = None
    visible: float | None = None
    deferred: bool = False
    problem: str | None = None


@dataclass
class Slice:
    """What one slice of load measured on one bot."""

    bot: str
    rate: float
    samples: list[Sample]
    bot_cpu_s: float | None
    client_cpu_s: float
    other_calls: int


async def drive(bot: Bot, interactions: Interactions, rate: float, count: int, drain: float) -> Slice:
    """Push `count` interactions at `rate` per second on a schedule fixed up front; wait for every answer."""
    fake = bot.fake
    batch = [interactions.next() for _ in range(count)]
    frames = [fake.dispatch(d) for _, d in batch]
    with collector_paused():
        cpu0, client0, other0 = bot.cpu_seconds(), time.process_time(), fake.other_calls
        start = time.perf_counter() + 0.05
        samples = []
        for i, frame in enumerate(frames):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            samples.append(Sample(due, time.perf_counter()))
            await bot.push(frame)
        deadline = time.perf_counter() + drain
        tokens = [token for token, _ in batch]
        # Polling only decides when the slice ends; every answer is timed by the fake when it arrives.
        while time.perf_counter() < deadline and not all(t in fake.visible for t in tokens):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        cpu1 = bot.cpu_seconds()
    for (token, _), sample in zip(batch, samples, strict=True):
        arrivals = fake.arrivals.get(token)
        if not arrivals:
            sample.problem = "no answer (timeout)"
            continue
        sample.callback = next((a.at for a in arrivals if a.kind == "callback"), None)
        sample.visible = fake.visible.get(token)
        sample.deferred, sample.problem = bot.check(arrivals)
        if sample.visible is None:
            sample.problem = sample.problem or "no visible answer (timeout)"
    return Slice(
        bot.name,
        rate,
        samples,
        None if cpu0 is None or cpu1 is None else cpu1 - cpu0,
        time.process_time() - client0,
        fake.other_calls - other0,
    )


def _ms(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p99_ms": None, "mean_ms": None, "max_ms": None}
    ordered = sorted(values)
    finite = [v for v in ordered if math.isfinite(v)]

    def show(value: float) -> float | None:
        return round(value, 2) if math.isfinite(value) else None

    return {
        "p50_ms": show(percentile(ordered, 0.50)),
        "p99_ms": show(percentile(ordered, 0.99)),
        "mean_ms": show(sum(ordered) / len(ordered)) if len(finite) == len(ordered) else None,
        "max_ms": show(ordered[-1]),
    }


def figures(slices: list[Slice]) -> dict[str, Any]:
    """Summarise one bot's slices; an unanswered interaction counts as an infinite latency."""
    samples = [s for sl in slices for s in sl.samples]
    visible = [(s.visible - s.due) * 1000 if s.visible is not None else math.inf for s in samples]
    callback = [(s.callback - s.due) * 1000 if s.callback is not None else math.inf for s in samples]
    deferred = [s for s in samples if s.deferred]
    problems: dict[str, int] = {}
    for s in samples:
        if s.problem:
            problems[s.problem] = problems.get(s.problem, 0) + 1
    timeouts = sum(1 for s in samples if s.visible is None)
    bot_cpu = [sl.bot_cpu_s for sl in slices]
    out: dict[str, Any] = {
        **_ms(visible),
        "counts": {
            "sent": len(samples),
            "answered": sum(1 for s in samples if s.visible is not None),
            "correct": sum(1 for s in samples if s.problem is None),
            "errors": len(samples) - timeouts - sum(1 for s in samples if s.problem is None),
            "timeouts": timeouts,
            "deferred": len(deferred),
            "first_response_after_3s": sum(
                1 for s in samples if s.callback is None or s.callback - s.due > DISCORD_DEADLINE_S
            ),
        },
        "problems": problems,
        "time_to_callback": _ms(callback),
        "push_lag_ms": _ms([(s.pushed - s.due) * 1000 for s in samples]),
        "cpu_ms_per_interaction": None
        if None in bot_cpu
        else round(sum(c or 0.0 for c in bot_cpu) * 1000 / max(1, len(samples)), 3),
        "client_cpu_ms_per_interaction": round(sum(sl.client_cpu_s for sl in slices) * 1000 / max(1, len(samples)), 3),
        "other_rest_calls": sum(sl.other_calls for sl in slices),
    }
    if deferred:
        out["deferred_time_to_followup"] = _ms(
            [(s.visible - s.due) * 1000 if s.visible else math.inf for s in deferred]
        )
    return out


def sustained(summary: dict[str, Any]) -> bool:
    """Tell whether a bot kept up: everything answered correctly within 3 s, the median under SUSTAIN_P50_MS."""
    counts = summary["counts"]
    p50 = summary["p50_ms"]
    on_time = counts["correct"] == counts["sent"] and counts["first_response_after_3s"] == 0
    return on_time and p50 is not None and p50 <= SUSTAIN_P50_MS


# The run


def _absolute(db_url: str) -> str:
    """Make a relative SQLite path absolute (the children run in another directory)."""
    for scheme in ("sqlite+aiosqlite:///", "sqlite:///"):
        if db_url.startswith(scheme):
            path, sep, query = db_url[len(scheme) :].partition("?")
            if path and path != ":memory:" and not Path(path).is_absolute():
                return f"{scheme}{Path(path).resolve()}{sep}{query}"
    return db_url


def _base_env(fake: SideFake, guild: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": "fake-token",
        "MLQ_DISCORD_API_BASE": fake.api_base,
        "MLQ_DISCORD_GATEWAY_URL": fake.gateway_url,
        "MLQ_DISCORD_GUILD_IDS": guild,
        "MLQ_LOG_LEVEL": "WARNING",
    }


@contextlib.asynccontextmanager
async def _fakes(where: Where) -> AsyncIterator[tuple[SideFake, SideFake]]:
    ours, bare = (
        SideFake(where.guild, where.channel, where.channel_name),
        SideFake(where.guild, where.channel, where.channel_name),
    )
    await ours.start()
    await bare.start()
    try:
        yield ours, bare
    finally:
        await ours.stop()
        await bare.stop()


def _diagnostics(sections: Path, profile: Path | None) -> dict[str, Any]:
    """Return what the probe wrote: the bot's sections and its profile's top functions."""
    out: dict[str, Any] = {}
    if sections.exists():
        out["bot_sections"] = json.loads(sections.read_text())
    if profile is not None and profile.exists():
        out["bot_profile_top"] = profile_top(profile)
    return out


async def run_discord_side_by_side(
    db_url: str,
    *,
    rate: float,
    seconds: float,
    log: Callable[[str], None],
    sections: bool = False,
    profile: Path | None = None,
    pool_size: int | None = None,
    warmup: float = 2.0,
    probe: float = PROBE_SECONDS,
    pause: float = PAUSE_S,
) -> dict[str, Any]:
    """Measure our bot against a bare discord.py bot under the same open-loop `/mlquestion random` load.

    `warmup` (seconds of load per bot before measuring), `probe` (seconds of the bare bot's sustain check) and
    `pause` (idle seconds between slices) are shortened by `--quick`.

    `db_url` must be a scratch database: the chosen Discord channel and members are renamed to snowflakes
    in it. `sections` / `profile` run the bot under benchmarks/discord_probe.py (slower: for diagnosis);
    `pool_size` is an experiment (the SQLite pool of the bot set to that many connections), not the bot as shipped.
    """
    db_url = _absolute(db_url)
    where = await choose_where(db_url, log)
    state_file = None
    if db_url.startswith("sqlite"):
        database = db_url.split(":///", 1)[1].split("?")[0]
        state_file = Path(database + ".discord-commands.json")
        state_file = None if state_file.exists() else state_file
    workdir = Path(tempfile.mkdtemp(prefix="mlq-discord-side-"))
    try:
        probing = sections or profile is not None or pool_size is not None
        result: dict[str, Any] = {}
        async with _fakes(where) as (ours_fake, bare_fake):
            ours_env = {**_base_env(ours_fake, where.guild), "DATABASE_URL": db_url}
            if sections:
                ours_env["MLQ_BENCH_SECTIONS"] = str(workdir / "sections.json")
            if profile is not None:
                ours_env["MLQ_BENCH_PROFILE"] = str(profile)
            if pool_size is not None:
                ours_env["MLQ_BENCH_DB_POOL_SIZE"] = str(pool_size)
            module = ["-m", "benchmarks.discord_probe"] if probing else ["-m", "bot", "run"]
            ours = Bot("bot", ours_fake, [sys.executable, *module], ours_env, workdir, check_ours, probing)
            bare = Bot(
                "bare",
                bare_fake,
                [sys.executable, "-m", "benchmarks.bare_discord"],
                _base_env(bare_fake, where.guild),
                workdir,
                check_bare,
            )
            interactions = Interactions(where)
            try:
                log("discord side by side: starting the bot and the bare discord.py bot")
                await asyncio.gather(ours.start(interactions), bare.start(interactions))
                timing = Timing(warmup, probe, pause)
                result = await _measure(ours, bare, interactions, where, rate, seconds, log, timing)
            finally:
                code = await ours.stop()
                await bare.stop()
                if result:
                    result["bot_exit_code"] = code
                    result["rounds"] = await stored_rounds(db_url, where, shown_rounds(ours_fake))
                    result["meets_target"] = result["meets_target"] and result["rounds"]["shown_not_stored"] == 0
                    if result["rounds"]["shown_not_stored"]:
                        log(f"  the bot showed questions it did not store: {result['rounds']}")
                    result["experiment"] = {"sqlite_pool_size": pool_size} if pool_size is not None else None
                    if result["bot"]["problems"]:
                        result["bot_log_tail"] = ours.log_tail(4000)
                if state_file is not None:
                    state_file.unlink(missing_ok=True)
            result.update(await asyncio.to_thread(_diagnostics, workdir / "sections.json", profile))
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
    return result


@dataclass(frozen=True)
class Timing:
    """How long the unmeasured parts last: warm-up and probe (seconds of load), pause between slices."""

    warmup: float
    probe: float
    pause: float


async def _measure(
    ours: Bot,
    bare: Bot,
    interactions: Interactions,
    where: Where,
    rate: float,
    seconds: float,
    log: Log,
    timing: Timing,
) -> dict[str, Any]:
    drain = max(10.0, seconds)
    for bot in (ours, bare):
        warm = max(50, round(min(rate, 100.0) * timing.warmup))
        log(f"  warm-up: {warm} interactions to the {bot.name} at {min(rate, 100.0):g}/s (not measured)")
        await drive(bot, interactions, min(rate, 100.0), warm, drain)
    probes = []
    used = rate
    while True:
        # Two tries per rate: on a shared machine one probe can fall on someone else's burst.
        for _ in range(2):
            probe = figures([await drive(bare, interactions, used, max(10, round(used * timing.probe)), drain)])
            probes.append(
                {"rate": used, "p50_ms": probe["p50_ms"], "p99_ms": probe["p99_ms"], "counts": probe["counts"]}
            )
            if sustained(probe):
                break
        if sustained(probe) or used <= MIN_RATE:
            break
        log(f"  the bare bot does not sustain {used:g}/s (p50 {probe['p50_ms']} ms, {probe['counts']}); stepping down")
        used = max(MIN_RATE, round(used * STEP_DOWN, 1))
    log(f"  measuring at {used:g}/s: {seconds:g} s per bot, in slices bot, bare, bare, bot")
    per_slice = max(1, round(used * seconds / 2))
    measured: dict[str, list[Slice]] = {"bot": [], "bare": []}
    for bot in (ours, bare, bare, ours):
        await asyncio.sleep(timing.pause)
        if bot.probing:
            bot.signal(signal.SIGUSR1)
        measured[bot.name].append(await drive(bot, interactions, used, per_slice, drain))
        if bot.probing:
            bot.signal(signal.SIGUSR2)
        last = figures(measured[bot.name][-1:])
        log(f"    {bot.name}: p50 {last['p50_ms']} ms, p99 {last['p99_ms']} ms, {last['counts']}")
    mine, theirs = figures(measured["bot"]), figures(measured["bare"])

    def ratio(key: str) -> float | None:
        a, b = mine[key], theirs[key]
        return round(a / b, 2) if a is not None and b else None

    ratio_p99 = ratio("p99_ms")
    return {
        "rate": used,
        "requested_rate": rate,
        "seconds": seconds,
        "slices": ["bot", "bare", "bare", "bot"],
        "counts": {"bot": mine["counts"], "bare": theirs["counts"]},
        "bot": mine,
        "bare": theirs,
        "ratio_p50": ratio("p50_ms"),
        "ratio_p99": ratio_p99,
        "sustained": {"bot": sustained(mine), "bare": sustained(theirs)},
        "errors": {
            "bot": mine["counts"]["errors"] + mine["counts"]["timeouts"],
            "bare": theirs["counts"]["errors"] + theirs["counts"]["timeouts"],
        },
        "meets_target": bool(
            ratio_p99 is not None
            and ratio_p99 <= TARGET_RATIO_P99
            and mine["p99_ms"] is not None
            and mine["p99_ms"] < TARGET_P99_MS
            and mine["counts"]["correct"] == mine["counts"]["sent"]
        ),
        "target": {"ratio_p99_max": TARGET_RATIO_P99, "bot_p99_ms_under": TARGET_P99_MS},
        "bare_rate_probes": probes,
        "where": {
            "guild": where.guild,
            "channel": where.channel,
            "members": len(where.members),
            "from_history": where.from_history,
            "ids_renamed": len(where.renamed),
        },
        "how": (
            f"open-loop /mlquestion random INTERACTION_CREATEs pushed over two loopback gateway fakes at {used:g}/s, "
            f"{seconds:g} s per bot in slices bot, bare, bare, bot after a warm-up; latency from the scheduled push "
            "to the fake receiving the answer (the callback, or the follow-up after a defer); "
            f"bot = `python -m bot run` on {where.describe()}; bare = discord.py answering a fixed message"
        ),
    }


# Standalone


@contextlib.asynccontextmanager
async def _scratch(db: str | None, in_place: bool, log: Log) -> AsyncIterator[str]:
    """Yield a database URL to benchmark: a copy of `db`, `db` itself, or a fresh empty one."""
    if db is not None and in_place:
        yield db
        return
    if db is not None and not db.startswith("sqlite"):
        from benchmarks import history

        name = db.rsplit("/", 1)[1].split("?")[0]
        log(f"cloning PostgreSQL database {name} (CREATE DATABASE … TEMPLATE)")
        url = await history.postgres_work_copy(db, name, "mlq_bench_discord_side")
        try:
            yield url
        finally:
            await history.drop_postgres(db, "mlq_bench_discord_side")
        return
    with tempfile.TemporaryDirectory(prefix="mlq-discord-side-db-") as tmp:
        target = Path(tmp) / "history.sqlite"
        if db is None:
            url = f"sqlite:///{target}"
            log("no --db: a fresh, empty database (the fake's guild and member)")
            await upgrade_async(url)
        else:
            source = Path(_absolute(db).split(":///", 1)[1].split("?")[0])
            log(f"copying {source.name} to a scratch file")
            await asyncio.to_thread(shutil.copyfile, source, target)
            wal = Path(f"{source}-wal")
            if await asyncio.to_thread(wal.exists):
                await asyncio.to_thread(shutil.copyfile, wal, f"{target}-wal")
            url = f"sqlite:///{target}"
        yield url


def _print(result: dict[str, Any]) -> None:
    rows: list[tuple[str, ...]] = [("", "bot", "bare", "ratio")]
    for key in ("p50_ms", "p99_ms", "mean_ms", "max_ms"):
        ratio = result.get(f"ratio_{key[:3]}", "") if key in ("p50_ms", "p99_ms") else ""
        rows.append((key, str(result["bot"][key]), str(result["bare"][key]), str(ratio)))
    rows.append(("correct/sent", *(f"{c['correct']}/{c['sent']}" for c in result["counts"].values()), ""))
    if "rounds" in result:
        rows.append(("rounds stored/shown", f"{result['rounds']['stored']}/{result['rounds']['shown']}", "", ""))
    cpu = [str(result[b]["cpu_ms_per_interaction"]) for b in ("bot", "bare")]
    rows.append(("CPU ms/interaction", *cpu, ""))
    rows.append(("deferred", *(str(c["deferred"]) for c in result["counts"].values()), ""))
    rows.append(("1st response > 3 s", *(str(c["first_response_after_3s"]) for c in result["counts"].values()), ""))
    rows.append(("push lag p99 ms", *(str(result[b]["push_lag_ms"]["p99_ms"]) for b in ("bot", "bare")), ""))
    for row in rows:
        print(f"{row[0]:>20} {row[1]:>12} {row[2]:>12} {row[3]:>8}")
    verdict = "meets" if result["meets_target"] else "misses"
    print(
        f"at {result['rate']:g}/s, {result['seconds']:g} s per bot: {verdict} the target "
        "(p99 ratio ≤ 1.5, p99 < 100 ms)"
    )


async def main(argv: list[str]) -> int:
    """Run the benchmark alone and print its figures (JSON to --json)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.discord_side", description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="database URL (a copy is benchmarked); default: a fresh empty database")
    parser.add_argument("--in-place", action="store_true", help="benchmark --db itself (ids get renamed in it)")
    parser.add_argument("--rate", type=float, default=200.0, help="interactions per second (default 200)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per bot (default 30)")
    parser.add_argument("--sections", action="store_true", help="time the sections of an interaction in the bot")
    parser.add_argument("--profile", type=Path, help="cProfile the bot's measured slices into this file")
    parser.add_argument("--pool-size", type=int, help="experiment: the bot's SQLite pool of N connections")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    profile = args.profile.resolve() if args.profile else None
    async with _scratch(args.db, args.in_place, log) as url:
        result = await run_discord_side_by_side(
            url,
            rate=args.rate,
            seconds=args.seconds,
            log=log,
            sections=args.sections,
            profile=profile,
            pool_size=args.pool_size,
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)
    for name, figures_ in result.get("bot_sections", {}).items():
        print(f"  {name}: {figures_}")
    for line in result.get("bot_profile_top", []):
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
