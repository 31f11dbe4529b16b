"""The daily round: schedules, and the idempotent sweeps that post and reveal what is due.

The scheduler only ticks; these sweeps decide, and the database decides who acts:
a unique (channel, kind, local date) row claims the post, a conditional update claims
the reveal. Running them twice, in two processes, or late after a restart is safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import posts
from bot.commands.context import Services
from bot.content.question import Difficulty
from bot.errors import PlatformRefusedError, UsageError
from bot.picking import pick
from bot.rounds import Rounds
from bot.storage.database import after_commit
from bot.storage.models import Round, Schedule
from bot.storage.rounds import RoundRepository
from bot.storage.schedules import ScheduleRepository
from bot.timing import MAX_REVEAL_AFTER, format_duration, next_occurrence, occurrence
from bot.vocabulary import Place

log = logging.getLogger(__name__)
MIN_REVEAL_AFTER = timedelta(minutes=1)
DISCORD_ARCHIVE_MINUTES = (60, 1440, 4320, 10080)
BATCH = 500  # due schedules (or reveals) read per query; a sweep reads batches until none is left
PUBLISHING = 64  # rounds posted (or revealed) at once; the adapters' paced queues set the real pace

_Due = TypeVar("_Due", Schedule, Round)


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    posted: int = 0
    revealed: int = 0
    failed: int = 0


def archive_after(discussion: timedelta) -> timedelta:
    """Return the shortest thread auto-archive the platforms allow that outlasts the discussion."""
    minutes = discussion.total_seconds() / 60
    for choice in DISCORD_ARCHIVE_MINUTES:
        if choice >= minutes:
            return timedelta(minutes=choice)
    return timedelta(minutes=DISCORD_ARCHIVE_MINUTES[-1])


def describe(schedule: Schedule, now: datetime) -> str:
    """Describe a schedule for `schedule show`."""
    topics = schedule.topics or "all topics"
    difficulty = schedule.difficulty or "any difficulty"
    reveal = format_duration(timedelta(seconds=schedule.reveal_after_s))
    line = (
        f"<#{schedule.channel}> at {schedule.post_time} {schedule.timezone}, "
        f"reveal after {reveal}, {topics}, {difficulty}: "
    )
    if schedule.state == "active":
        return line + f"active, next post {posts.when(schedule.next_post_at, now)}"
    why = f" ({schedule.paused_reason})" if schedule.paused_reason else ""
    return line + f"paused{why}"


class Daily:
    """Daily schedules and their sweeps."""

    def __init__(self, services: Services, rounds: Rounds) -> None:
        self.s = services
        self.rounds = rounds

    async def set(
        self,
        place: Place,
        channel: str,
        at: time,
        zone: ZoneInfo,
        reveal_after: timedelta | None,
        topics: tuple[str, ...],
        difficulty: Difficulty | None,
        admin: str,
    ) -> Schedule:
        """Create or replace a channel's daily schedule."""
        reveal = reveal_after if reveal_after is not None else self.s.default_reveal_after
        if not MIN_REVEAL_AFTER <= reveal <= MAX_REVEAL_AFTER:
            raise UsageError("The reveal can come 1m to 7d after the post. Write it like `8h` or `30m`.")
        if reveal >= timedelta(days=1):
            raise UsageError("The reveal must come before the next daily post: use less than `24h`.")
        now = self.s.clock.now()
        next_at, _ = next_occurrence(at, zone, now)
        target = Place(place.platform, place.workspace, channel)
        async with self.s.db.session() as session:
            repo = ScheduleRepository(session)
            schedule = await repo.for_channel(target) or Schedule(
                platform=place.platform, workspace=place.workspace, channel=channel
            )
            schedule.post_time = at.strftime("%H:%M")
            schedule.timezone = zone.key
            schedule.reveal_after_s = int(reveal.total_seconds())
            schedule.topics = ",".join(topics)
            schedule.difficulty = difficulty.value if difficulty else None
            schedule.state = "active"
            schedule.paused_reason = None
            schedule.reason_told = False
            schedule.next_post_at = next_at
            schedule.created_by = admin
            schedule.updated_at = now
            return await repo.save(schedule)

    async def sweep(self) -> SweepReport:
        """Post every daily question that is due, then reveal every answer that is due."""
        posted, failed = await self.post_due()
        revealed = await self.reveal_due()
        return SweepReport(posted, revealed, failed)

    async def post_due(self) -> tuple[int, int]:
        """Post the daily rounds whose time has come; return (posted, failed).

        Each platform has its own lane: due schedules are claimed batch after batch until none is left,
        and each claimed round is posted as soon as it is claimed, up to PUBLISHING at a time per platform.
        The platforms' paced queues, not these loops, set the pace of a fan-out to thousands of channels,
        and a slow platform never holds up a fast one.
        """
        now = self.s.clock.now()
        async with self.s.db.session() as session:
            stale = await RoundRepository(session).reclaim_stale_posting(now)
            platforms = await ScheduleRepository(session).due_platforms(now)

        async def lane(platform: str) -> tuple[int, int]:
            publishing = Publishing(self._publish)
            for round_ in stale:
                if round_.platform == platform:
                    await publishing.add(round_)
            due = self._each_due(lambda session: ScheduleRepository(session).due(now, BATCH, platform))
            async for schedule in due:
                try:
                    claimed = await self._claim(schedule, now)
                except Exception:  # one broken schedule must not stop the others
                    log.exception("could not claim the daily round of schedule %s", schedule.id)
                    publishing.failed += 1
                    continue
                if claimed is not None:
                    await publishing.add(claimed)
            return await publishing.done()

        return await _lanes(platforms | {r.platform for r in stale}, lane)

    async def _each_due(self, read: Callable[[AsyncSession], Awaitable[list[_Due]]]) -> AsyncIterator[_Due]:
        """Yield what `read` finds due, batch after batch, each row once, until a batch brings nothing new."""
        seen: set[int] = set()
        while True:
            async with self.s.db.session() as session:
                batch = [row for row in await read(session) if row.id not in seen]
            if not batch:
                return
            for row in batch:
                seen.add(row.id)
                yield row

    async def _claim(self, schedule: Schedule, now: datetime) -> Round | None:
        """Claim today's round of a due schedule and move the schedule to its next day."""
        zone = ZoneInfo(schedule.timezone)
        at = time.fromisoformat(schedule.post_time)
        # After downtime, post once for the latest missed day, not once per missed day.
        due_at, local_date = schedule.next_post_at, schedule.next_post_at.astimezone(zone).date()
        while True:
            later = occurrence(local_date + timedelta(days=1), at, zone)
            if later > now:
                break
            due_at, local_date = later, local_date + timedelta(days=1)
        next_at, _ = next_occurrence(at, zone, max(now, due_at))
        place = Place(schedule.platform, schedule.workspace, schedule.channel)
        topics = tuple(t for t in schedule.topics.split(",") if t)
        difficulty = Difficulty(schedule.difficulty) if schedule.difficulty else None
        catalogue = await self.s.catalogue(schedule.platform, schedule.workspace)
        candidates = catalogue.matching(topics, difficulty) or catalogue.matching()
        async with self.s.db.session() as session:
            if not await ScheduleRepository(session).advance(schedule, schedule.next_post_at, next_at):
                return None  # another process handled this schedule meanwhile
            rounds = RoundRepository(session)
            asked, recent = await rounds.asked_in_channel(place)
            question = pick(candidates, asked, recent, catalogue.topic_of, self.s.rng)
            reveal_after = timedelta(seconds=schedule.reveal_after_s)
            claimed = await rounds.claim_daily(place, local_date, question.id, now, reveal_after)
            if claimed is not None:  # on-demand picks in this channel count it from now on
                after_commit(session, lambda: self.s.asked.asked(place, question.id))
            return claimed

    async def _publish(self, round_: Round) -> bool:
        """Post a claimed daily round and open its thread; pause the schedule if the platform refuses."""
        catalogue = await self.s.catalogue(round_.platform, round_.workspace)
        question = catalogue.get(round_.question_id)
        place = Place(round_.platform, round_.workspace, round_.channel)
        if question is None:
            async with self.s.db.session() as session:
                await RoundRepository(session).mark_failed(round_.id)
            return False
        post = posts.question_post(question, catalogue.bank.topic_name(question.topic), round_.id, round_.number)
        discussion = round_.reveal_due_at - round_.claimed_at
        try:
            sent = await self.s.outbound.post(place, post)
        except PlatformRefusedError as exc:
            await self._refused(round_, exc.reason)
            return False
        thread: str | None = None
        try:
            opened = await self.s.outbound.open_thread(
                sent, posts.thread_name(question, round_.number), archive_after(discussion)
            )
            thread = opened.thread
        except PlatformRefusedError as exc:
            log.warning("round %s posted but no thread: %s", round_.id, exc.reason)
        now = self.s.clock.now()
        async with self.s.db.session() as session:
            await RoundRepository(session).mark_posted(round_.id, sent.message_id, thread, now)
        log.info("posted daily round %s (#%s) in %s", round_.id, round_.number, place.channel)
        return True

    async def _refused(self, round_: Round, reason: str) -> None:
        now = self.s.clock.now()
        place = Place(round_.platform, round_.workspace, round_.channel)
        async with self.s.db.session() as session:
            await RoundRepository(session).mark_failed(round_.id)
            repo = ScheduleRepository(session)
            current = await repo.for_channel(place)
            if current is not None:
                await repo.pause(current.id, f"the platform refused the daily post: {reason}", now)
        log.warning("daily post in %s refused (%s); schedule paused", place.channel, reason)

    async def reveal_due(self) -> int:
        """Reveal every daily round whose discussion is over (batch after batch, a lane per platform)."""
        now = self.s.clock.now()
        async with self.s.db.session() as session:
            platforms = await RoundRepository(session).reveal_platforms(now)

        async def lane(platform: str) -> tuple[int, int]:
            revealing = Publishing(self._reveal)
            due = self._each_due(lambda session: RoundRepository(session).due_reveals(now, BATCH, platform))
            async for round_ in due:
                async with self.s.db.session() as session:
                    claimed = await RoundRepository(session).claim_reveal(round_, now)
                if claimed:
                    await revealing.add(round_)
            return await revealing.done()

        revealed, _ = await _lanes(platforms, lane)
        return revealed

    async def _reveal(self, round_: Round) -> bool:
        try:
            await self.rounds.post_reveal(round_)
        except PlatformRefusedError as exc:
            log.warning("reveal of round %s refused: %s", round_.id, exc.reason)
            async with self.s.db.session() as session:
                await RoundRepository(session).mark_revealed(round_.id, self.s.clock.now())
            return False
        return True


async def _lanes(platforms: set[str], lane: Callable[[str], Awaitable[tuple[int, int]]]) -> tuple[int, int]:
    """Run one lane per platform side by side; return the summed (succeeded, failed)."""
    tallies = await asyncio.gather(*(lane(platform) for platform in sorted(platforms)))
    return sum(t[0] for t in tallies), sum(t[1] for t in tallies)


class Publishing:
    """Run one coroutine per round, at most PUBLISHING at once, and tally the outcomes.

    `add` waits while PUBLISHING are running, so claiming never runs far ahead of posting. A round whose
    post fails with an unexpected error is counted as failed and logged; it stays claimed and is taken
    over after the claim's lease (see `RoundRepository.reclaim_stale_posting`).
    """

    def __init__(self, work: Callable[[Round], Awaitable[bool]]) -> None:
        self.work = work
        self.slots = asyncio.Semaphore(PUBLISHING)
        self.tasks: set[asyncio.Task[bool]] = set()
        self.succeeded = 0
        self.failed = 0

    async def add(self, round_: Round) -> None:
        """Start working on a round once a slot is free."""
        await self.slots.acquire()
        task = asyncio.create_task(self._run(round_))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, round_: Round) -> bool:
        try:
            ok = await self.work(round_)
        except Exception:
            log.exception("round %s: posting failed; it is retried after the claim's lease", round_.id)
            ok = False
        finally:
            self.slots.release()
        if ok:
            self.succeeded += 1
        else:
            self.failed += 1
        return ok

    async def done(self) -> tuple[int, int]:
        """Wait for every started round; return (succeeded, failed)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks))
        return self.succeeded, self.failed
