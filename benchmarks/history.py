"""A realistic synthetic history, generated once per scale and cached (SQLite file, PostgreSQL database).

The rows go into the real schema, created by the project's Alembic migrations, with bulk inserts:
`executemany` on SQLite, `COPY` on PostgreSQL. Who answers follows a long tail (a few members answer
almost daily in their home channel, in runs of consecutive days; most rarely answer), upvotes favour
some answers, points follow the scoring rules (10 per answer, 2 per upvote up to 5 per answer), and
reviews follow the spaced-repetition rules from the self-grades.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import os
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from datetime import time as wall_time
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from benchmarks.scale import NOW, Scale
from bot import scoring
from bot.content.bank import load_bank
from bot.storage.database import upgrade
from bot.timing import next_occurrence

Row = tuple[Any, ...]
# The schema the rows below are written for. The history is loaded at this revision, then upgraded to the
# newest like any deployment: later migrations fill what they derive from it (0003: the streaks table).
LOADED_REVISION = "0002"
CHUNK = 50_000
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
REVEAL_MINUTES = (480, 360, 300, 480)
ANSWER_TEXTS = (
    "Bias is error from wrong assumptions; variance is sensitivity to the sample. Regularise and validate.",
    "Use a held-out set, then cross-validate; watch for leakage from features computed on the whole data.",
    "Precision answers how many flagged were right, recall how many of the right ones were flagged.",
    "Batch norm normalises activations per mini-batch, which smooths the loss surface and speeds training.",
    "Start with a baseline, log the metric that matters to the business, then iterate on the features.",
)
COLUMNS = {
    "members": ("id", "platform", "workspace", "user", "display_name", "updated_at"),
    "schedules": (
        "id", "platform", "workspace", "channel", "post_time", "timezone", "reveal_after_s", "topics",
        "difficulty", "state", "paused_reason", "reason_told", "next_post_at", "created_by", "updated_at",
    ),
    "rounds": (
        "id", "platform", "workspace", "channel", "thread", "message_id", "question_id", "kind", "number",
        "local_date", "asked_by", "state", "claimed_at", "opened_at", "reveal_due_at", "revealed_at",
    ),
    "answers": (
        "id", "platform", "workspace", "round_id", "user", "display_name", "text", "source", "message_id",
        "created_at",
    ),
    "upvotes": ("id", "platform", "workspace", "answer_id", "voter", "created_at"),
    "points": ("id", "platform", "workspace", "user", "amount", "reason", "ref", "created_at"),
    "grades": ("id", "platform", "workspace", "user", "question_id", "topic", "grade", "created_at"),
    "reviews": (
        "id", "platform", "workspace", "user", "question_id", "interval_days", "base_interval_days", "due_at",
        "last_grade", "last_graded_at",
    ),
}  # fmt: skip


def workspace_of(scale: Scale, index: int) -> tuple[str, str]:
    """Return (platform, workspace id) of workspace number `index`: half Slack, half Discord."""
    if index % 2 == 0:
        return "slack", f"T{index:08d}"
    return "discord", str(900_000_000_000_000_000 + index)


def user_id(g: int) -> str:
    return f"U{g:08d}"


def channel_id(c: int) -> str:
    return f"C{c:08d}"


@dataclass
class Plan:
    """Everything derived before any row is written: who answered what, who voted, who graded."""

    scale: Scale
    questions: list[tuple[str, str]]  # (id, topic) of the bank
    start: date = field(init=False)
    dates: list[str] = field(init=False)
    answers: list[tuple[int, int, int]] = field(default_factory=list)  # (round id, member, minute after post)
    votes: list[list[tuple[int, int]]] = field(default_factory=list)  # per answer: (voter, minute)
    grades: list[tuple[int, int]] = field(default_factory=list)  # (answer index, grade index)

    def __post_init__(self) -> None:
        self.start = NOW.date() - timedelta(days=self.scale.days - 1)
        # Date strings from the day before the history to two days after it (reveals cross midnight).
        self.dates = [(self.start + timedelta(days=i - 1)).isoformat() for i in range(self.scale.days + 3)]

    # Channel attributes, all derived from the channel number.
    def utc_minute(self, c: int) -> int:
        return 360 + (c * 37) % 240

    def reveal_minutes(self, c: int) -> int:
        return REVEAL_MINUTES[c % len(REVEAL_MINUTES)]

    def zone(self, c: int) -> str:
        return ZONES[c % len(ZONES)]

    def offset_minutes(self, c: int) -> int:
        offset = NOW.astimezone(ZoneInfo(self.zone(c))).utcoffset() or timedelta()
        return int(offset.total_seconds() // 60)

    def question(self, c: int, d: int) -> tuple[str, str]:
        # Every question once before any twice, as the picker does, from a per-channel start.
        return self.questions[(c * 17 + d) % len(self.questions)]

    def stamp(self, day: int, minute: int, second: int = 0) -> str:
        """Return the stored form of a UTC time `minute` minutes after midnight of history day `day`."""
        day += minute // 1440
        minute %= 1440
        return f"{self.dates[day + 1]} {minute // 60:02d}:{minute % 60:02d}:{second:02d}.000000"

    def round_id(self, c: int, d: int) -> int:
        return c * self.scale.days + d + 1

    def build(self) -> None:
        """Decide answers, upvotes and grades (deterministic for a scale)."""
        s = self.scale
        rng = random.Random(s.seed)
        per_ws, chans = s.members_per_workspace, s.channels_per_workspace
        cum = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(per_ws)))
        seen: set[int] = set()
        answers: list[tuple[int, int, int]] = []
        while len(answers) < s.answers:
            ws = rng.randrange(s.workspaces)
            g = ws * per_ws + bisect.bisect(cum, rng.random() * cum[-1])
            home = (g * 7919) % chans
            c = ws * chans + (home if rng.random() < 0.75 else rng.randrange(chans))
            run = 1 + int(rng.expovariate(1 / 6))
            first = rng.randrange(s.days)
            for d in range(first, min(s.days, first + run)):
                rid = self.round_id(c, d)
                key = rid * s.members + g
                if key in seen:
                    continue
                seen.add(key)
                answers.append((rid, g, 3 + rng.randrange(self.reveal_minutes(c) - 60)))
                if len(answers) == s.answers:
                    break
        # Answer ids in time order (by day, then channel), as a live bot would have made them.
        answers.sort(key=lambda a: ((a[0] - 1) % s.days, a[0], a[2]))
        self.answers = answers
        n = len(answers)
        self.votes = [[] for _ in range(n)]
        voted: set[tuple[int, int]] = set()
        popular = list(range(0, n, 10))
        made = 0
        while made < s.upvotes:
            a = rng.randrange(n) if rng.random() < 0.5 else popular[rng.randrange(len(popular))]
            rid, author, minute = answers[a]
            ws = author // per_ws
            voter = ws * per_ws + rng.randrange(per_ws)
            if voter == author or (a, voter) in voted:
                continue
            voted.add((a, voter))
            self.votes[a].append((voter, minute + 1 + rng.randrange(50)))
            made += 1
        for votes in self.votes:
            votes.sort(key=lambda v: v[1])
        self.grades = [(rng.randrange(n), rng.choices((0, 1, 2), (5, 3, 2))[0]) for _ in range(s.grades)]
        self.grades.sort(key=lambda ga: ((answers[ga[0]][0] - 1) % s.days, ga[0]))

    # Row streams, table by table.
    def place_of_member(self, g: int) -> tuple[str, str]:
        return workspace_of(self.scale, g // self.scale.members_per_workspace)

    def members(self) -> Iterator[Row]:
        updated = self.stamp(0, 0)
        for g in range(self.scale.members):
            platform, workspace = self.place_of_member(g)
            yield (g + 1, platform, workspace, user_id(g), f"Member {g}", updated)

    def schedules(self) -> Iterator[Row]:
        s = self.scale
        for c in range(s.channels):
            platform, workspace = workspace_of(s, c // s.channels_per_workspace)
            local = (self.utc_minute(c) + self.offset_minutes(c)) % 1440
            at = wall_time(local // 60, local % 60)
            next_at, _ = next_occurrence(at, ZoneInfo(self.zone(c)), NOW)
            yield (
                c + 1, platform, workspace, channel_id(c), at.strftime("%H:%M"), self.zone(c),
                self.reveal_minutes(c) * 60, "", None, "active", None, 0,
                next_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000"), "U00000000", self.stamp(0, 0),
            )  # fmt: skip

    def rounds(self) -> Iterator[Row]:
        s = self.scale
        last = s.days - 1
        for c in range(s.channels):
            platform, workspace = workspace_of(s, c // s.channels_per_workspace)
            channel = channel_id(c)
            minute, reveal, offset = self.utc_minute(c), self.reveal_minutes(c), self.offset_minutes(c)
            local_shift = (minute + offset) // 1440
            for d in range(s.days):
                rid = self.round_id(c, d)
                opened = self.stamp(d, minute)
                due = self.stamp(d, minute + reveal)
                state, revealed = ("open", None) if d == last else ("revealed", self.stamp(d, minute + reveal, 5))
                yield (
                    rid, platform, workspace, channel, f"th{rid}", f"q{rid}", self.question(c, d)[0], "daily",
                    d + 1, self.dates[d + 1 + local_shift], None, state, opened, opened, due, revealed,
                )  # fmt: skip

    def _answer_time(self, rid: int, minute: int) -> tuple[int, int]:
        c, d = divmod(rid - 1, self.scale.days)
        return d, self.utc_minute(c) + minute

    def answer_rows(self) -> Iterator[Row]:
        for i, (rid, g, minute) in enumerate(self.answers):
            platform, workspace = self.place_of_member(g)
            day, at = self._answer_time(rid, minute)
            text = ANSWER_TEXTS[(rid + g) % len(ANSWER_TEXTS)]
            source = "form" if (rid + g) % 3 else "reply"
            yield (i + 1, platform, workspace, rid, user_id(g), f"Member {g}", text, source, f"a{i + 1}",
                   self.stamp(day, at))  # fmt: skip

    def upvote_rows(self) -> Iterator[Row]:
        next_id = 1
        for i, votes in enumerate(self.votes):
            rid, g, _ = self.answers[i]
            platform, workspace = self.place_of_member(g)
            for voter, minute in votes:
                day, at = self._answer_time(rid, minute)
                yield (next_id, platform, workspace, i + 1, user_id(voter), self.stamp(day, at))
                next_id += 1

    def point_rows(self) -> Iterator[Row]:
        next_id = 1
        for i, (rid, g, minute) in enumerate(self.answers):
            platform, workspace = self.place_of_member(g)
            user = user_id(g)
            day, at = self._answer_time(rid, minute)
            yield (next_id, platform, workspace, user, scoring.ANSWER_POINTS, "answer", f"answer:{i + 1}",
                   self.stamp(day, at))  # fmt: skip
            next_id += 1
            for n, (_, vote_minute) in enumerate(self.votes[i][: scoring.MAX_COUNTED_UPVOTES], 1):
                day, at = self._answer_time(rid, vote_minute)
                yield (next_id, platform, workspace, user, scoring.UPVOTE_POINTS, "upvote", f"upvote:{i + 1}:{n}",
                       self.stamp(day, at))  # fmt: skip
                next_id += 1

    def _graded(self) -> Iterator[tuple[int, str, str, str, str, str, int, int]]:
        for n, (a, grade_index) in enumerate(self.grades):
            rid, g, _ = self.answers[a]
            c, d = divmod(rid - 1, self.scale.days)
            question_id, topic = self.question(c, d)
            minute = self.utc_minute(c) + self.reveal_minutes(c) + 10 + n % 600
            yield n, user_id(g), question_id, topic, scoring.GRADES[grade_index], self.stamp(d, minute), d, minute

    def grade_rows(self) -> Iterator[Row]:
        for n, user, question_id, topic, grade, stamp, _, _ in self._graded():
            platform, workspace = self.place_of_member(int(user[1:]))
            yield (n + 1, platform, workspace, user, question_id, topic, grade, stamp)

    def review_rows(self) -> Iterator[Row]:
        latest: dict[tuple[str, str], tuple[int, int, str, str, int, int]] = {}
        for _, user, question_id, _, grade, stamp, day, minute in self._graded():
            key = (user, question_id)
            previous = latest.get(key)
            interval = scoring.next_interval(grade, previous[0] if previous else None)
            latest[key] = (interval, previous[0] if previous else 0, grade, stamp, day, minute)
        for n, ((user, question_id), (interval, base, grade, stamp, day, minute)) in enumerate(latest.items()):
            platform, workspace = self.place_of_member(int(user[1:]))
            due = self.stamp(min(day + interval, self.scale.days + 1), minute % 1440)
            yield (n + 1, platform, workspace, user, question_id, interval, base, due, grade, stamp)

    def tables(self) -> Iterator[tuple[str, Iterator[Row]]]:
        yield "members", self.members()
        yield "schedules", self.schedules()
        yield "rounds", self.rounds()
        yield "answers", self.answer_rows()
        yield "upvotes", self.upvote_rows()
        yield "points", self.point_rows()
        yield "grades", self.grade_rows()
        yield "reviews", self.review_rows()


def chunks(rows: Iterator[Row], size: int = CHUNK) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def make_plan(scale: Scale) -> Plan:
    bank = load_bank()
    plan = Plan(scale, [(q.id, q.topic) for q in bank.questions])
    plan.build()
    return plan


# ---------------------------------------------------------------------------------------------- SQLite


def write_sqlite(plan: Plan, path: Path) -> dict[str, int]:
    """Create the schema with Alembic at `path` (at LOADED_REVISION), then bulk-insert every table."""
    path.unlink(missing_ok=True)
    upgrade(f"sqlite:///{path}", LOADED_REVISION)
    counts: dict[str, int] = {}
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-1000000")
        for table, rows in plan.tables():
            columns = COLUMNS[table]
            statement = (
                f"INSERT INTO {table} ({', '.join(_quote(c) for c in columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            total = 0
            for batch in chunks(rows):
                connection.executemany(statement, batch)
                total += len(batch)
            connection.commit()
            counts[table] = total
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    return counts


def _quote(column: str) -> str:
    return f'"{column}"'


# ---------------------------------------------------------------------------------------------- PostgreSQL


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://").replace("postgres://", "postgresql://")


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _text_line(row: Row) -> bytes:
    return ("\t".join("\\N" if v is None else str(v) for v in row) + "\n").encode()


async def write_postgres(plan: Plan, url: str) -> dict[str, int]:
    """Create the schema with Alembic in the (empty) database at `url` (at LOADED_REVISION), then COPY every table."""
    await asyncio.to_thread(upgrade, url, LOADED_REVISION)
    counts: dict[str, int] = {}
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("SET TIME ZONE 'UTC'")
        for table, rows in plan.tables():
            total = 0

            async def source(rows: Iterator[Row] = rows) -> Any:
                nonlocal total
                for batch in chunks(rows):
                    total += len(batch)
                    yield b"".join(_text_line(r) for r in batch)

            await connection.copy_to_table(table, source=source(), columns=list(COLUMNS[table]), format="text")
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
            )
            counts[table] = total
        # A live database is vacuumed and analysed by autovacuum; do now what it would have done.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return counts


# ---------------------------------------------------------------------------------------------- the cache


@dataclass
class Generated:
    """A cached history: where it is and what it took to make."""

    scale: Scale
    sqlite_path: Path | None
    postgres_db: str | None
    meta: dict[str, Any]


def cache_dir(results: Path) -> Path:
    path = results / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_sqlite(scale: Scale, results: Path, plan_box: list[Plan], log: Any) -> tuple[Path, dict[str, Any]]:
    """Return the cached SQLite history for `scale`, generating it if its parameters changed."""
    path = cache_dir(results) / f"history-{scale.name}-{scale.key()}.sqlite"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        meta["cached"] = True
    else:
        for stale in cache_dir(results).glob(f"history-{scale.name}-*.sqlite*"):
            stale.unlink()
        plan = _plan(scale, plan_box, log)
        log(f"generating the SQLite history ({scale.describe()}) …")
        started = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        counts = write_sqlite(plan, tmp)
        tmp.rename(path)
        meta = {"seconds": round(time.perf_counter() - started, 1), "plan_seconds": plan_box_seconds(plan_box),
                "rows": counts, "bytes": path.stat().st_size}  # fmt: skip
        meta_path.write_text(json.dumps(meta))
        meta["cached"] = False
        log(f"  SQLite history written in {meta['seconds']} s ({meta['bytes'] / 1e9:.2f} GB)")
    # Bring the history (or an older cache) up to the current migrations, as `mlquestion db upgrade` would.
    upgrade(f"sqlite:///{path}")
    return path, meta


async def ensure_postgres(scale: Scale, url: str, plan_box: list[Plan], log: Any) -> tuple[str, dict[str, Any]]:
    """Return the name of the cached PostgreSQL history database, generating it if needed."""
    name = f"mlq_bench_{scale.name}_{scale.key()}"
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        comment = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
        )
        if comment:
            meta: dict[str, Any] = json.loads(comment)
            meta["cached"] = True
        else:
            for (stale,) in await admin.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", f"mlq_bench_{scale.name}_%"
            ):
                await admin.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
            plan = _plan(scale, plan_box, log)
            log(f"generating the PostgreSQL history ({scale.describe()}) …")
            started = time.perf_counter()
            counts = await write_postgres(plan, with_database(url, name))
            meta = {"seconds": round(time.perf_counter() - started, 1), "plan_seconds": plan_box_seconds(plan_box),
                    "rows": counts}  # fmt: skip
            size = await admin.fetchval("SELECT pg_database_size($1)", name)
            meta["bytes"] = int(size)
            await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{json.dumps(meta)}'")
            meta["cached"] = False
            log(f"  PostgreSQL history written in {meta['seconds']} s ({meta['bytes'] / 1e9:.2f} GB)")
    finally:
        await admin.close()
    await asyncio.to_thread(upgrade, with_database(url, name))
    return name, meta


_PLAN_SECONDS: dict[int, float] = {}


def _plan(scale: Scale, plan_box: list[Plan], log: Any) -> Plan:
    if not plan_box:
        log(f"planning the history ({scale.describe()}) …")
        started = time.perf_counter()
        plan_box.append(make_plan(scale))
        _PLAN_SECONDS[id(plan_box)] = round(time.perf_counter() - started, 1)
        log(f"  planned in {_PLAN_SECONDS[id(plan_box)]} s")
    return plan_box[0]


def plan_box_seconds(plan_box: list[Plan]) -> float:
    return _PLAN_SECONDS.get(id(plan_box), 0.0)


# ---------------------------------------------------------------------------------------------- work copies


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite file with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_work_copy(cached: Path, results: Path) -> Path:
    """Copy the pristine cache to a scratch file the benchmarks may change."""
    work = results / "work"
    work.mkdir(parents=True, exist_ok=True)
    target = work / f"history-{os.getpid()}.sqlite"  # two runs at once must not share (or delete) one copy
    remove_sqlite(target)
    shutil.copyfile(cached, target)
    return target


async def postgres_work_copy(url: str, cached: str, name: str = "mlq_bench_work") -> str:
    """Clone the pristine cached database (CREATE DATABASE … TEMPLATE) and return the clone's URL."""
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # PostgreSQL 15 copies a template through the WAL by default (minutes for 6 GB, checkpoint after
        # checkpoint); copying the files is much faster for one big template. Older servers always copy files.
        major = int(str(await admin.fetchval("SHOW server_version_num"))) // 10000
        strategy = " STRATEGY = FILE_COPY" if major >= 15 else ""
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{cached}"{strategy}')
    finally:
        await admin.close()
    return with_database(url, name)


async def drop_postgres(url: str, name: str = "mlq_bench_work") -> None:
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
