"""Time and exactly-once: racing sweepers, restarts, downtime, DST, refused posts."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import daily
from bot.clock import FixedClock
from bot.commands.context import Services
from bot.content.bank import Bank
from bot.core import Core
from bot.daily import archive_after
from bot.storage.database import Database
from bot.storage.models import Round, Schedule
from bot.timing import next_occurrence, parse_local_time, parse_zone
from bot.vocabulary import Actor, MessageRef, Place, Post
from tests.fakes.outbound import RecordingOutbound


def process(database_url: str, bank: Bank, clock: FixedClock, outbound: RecordingOutbound, seed: int) -> Core:
    """Return a core with its own engine, as a separate bot process would have."""
    services = Services(Database(database_url), bank, clock, outbound, random.Random(seed))
    return Core(services)


async def schedule_at_nine_utc(core: Core, clock: FixedClock, place: Place, admin: Actor) -> None:
    """At 07:00 UTC on Monday 2026-11-23, schedule the channel's daily question for 09:00 UTC, revealed after 1h."""
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    await core.command("/mlquestion schedule set #C-study 09:00 UTC 1h", admin, place)


async def test_racing_sweepers_post_and_reveal_exactly_once(
    database_url: str, bank: Bank, clock: FixedClock, admin: Actor
) -> None:
    outbound = RecordingOutbound()
    processes = [process(database_url, bank, clock, outbound, seed) for seed in range(4)]
    clock.set(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    channels = [f"C{n}" for n in range(5)]
    for channel in channels:
        await processes[0].command(
            f"/mlquestion schedule set #{channel} 09:00 Europe/Berlin 2h", admin, Place("slack", "T1", channel)
        )
    clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    reports = await asyncio.gather(*(p.sweep() for p in processes for _ in range(3)))
    assert sum(r.posted for r in reports) == len(channels)
    posted = sorted(s.place.channel for s in outbound.posts("question"))
    assert posted == channels, "each channel gets exactly one daily post"
    assert len([s for s in outbound.sent if s.call == "thread"]) == len(channels)

    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    reports = await asyncio.gather(*(p.sweep() for p in processes for _ in range(3)))
    assert sum(r.revealed for r in reports) == len(channels)
    assert sorted(s.place.channel for s in outbound.posts("reveal")) == channels
    for p in processes:
        await p.services.db.dispose()


async def test_a_restart_during_the_discussion_still_reveals_once(
    database_url: str, bank: Bank, clock: FixedClock, place: Place, admin: Actor
) -> None:
    first = RecordingOutbound()
    before = process(database_url, bank, clock, first, 1)
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    await before.command("/mlquestion schedule set #C-study 09:00 Europe/Berlin 8h", admin, place)
    clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    await before.sweep()
    await before.services.db.dispose()  # the process dies during the discussion

    clock.set(datetime(2026, 11, 23, 19, 30, tzinfo=UTC))  # back 3.5 hours after the reveal was due
    second = RecordingOutbound()
    after = process(database_url, bank, clock, second, 2)
    report = await after.sweep()
    assert report.revealed == 1 and report.posted == 0
    assert (await after.sweep()).revealed == 0
    [reveal] = second.posts("reveal")
    assert reveal.place.thread == f"thread-{first.posts('question')[0].message_id}"
    await after.services.db.dispose()


async def test_after_days_of_downtime_one_post_not_one_per_missed_day(
    core: Core, db: Database, clock: FixedClock, outbound: RecordingOutbound, place: Place, admin: Actor
) -> None:
    await schedule_at_nine_utc(core, clock, place, admin)
    clock.set(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    report = await core.sweep()
    assert report.posted == 1
    async with db.session() as session:
        round_ = await session.scalar(select(Round))
        schedule = await session.scalar(select(Schedule))
    assert round_ is not None and round_.local_date is not None and round_.local_date.isoformat() == "2026-11-26"
    assert schedule is not None and schedule.next_post_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        ("2026-03-28", "2026-03-28T08:00"),  # the day before spring forward: CET, UTC+1
        ("2026-03-29", "2026-03-29T07:00"),  # spring forward: CEST, UTC+2
        ("2026-10-24", "2026-10-24T07:00"),
        ("2026-10-25", "2026-10-25T08:00"),  # fall back: CET again
    ],
)
async def test_daily_post_comes_at_local_wall_time_across_dst(
    core: Core, clock: FixedClock, outbound: RecordingOutbound, place: Place, admin: Actor, day: str, expected_utc: str
) -> None:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC) - timedelta(hours=2)
    clock.set(start)
    await core.command("/mlquestion schedule set #C-study 09:00 Europe/Berlin 1h", admin, place)
    due = datetime.fromisoformat(expected_utc).replace(tzinfo=UTC)
    clock.set(due - timedelta(minutes=1))
    assert (await core.sweep()).posted == 0
    clock.set(due)
    assert (await core.sweep()).posted == 1
    clock.set(due + timedelta(hours=5))
    assert (await core.sweep()).posted == 0, "exactly one post on the local date"


def test_wall_time_in_a_dst_gap_and_overlap() -> None:
    zone = parse_zone("America/New_York")
    gap, day = next_occurrence(parse_local_time("02:30"), zone, datetime(2026, 3, 8, 0, 0, tzinfo=UTC))
    assert day.isoformat() == "2026-03-08" and gap == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    fold, day = next_occurrence(parse_local_time("01:30"), zone, datetime(2026, 11, 1, 4, 0, tzinfo=UTC))
    assert day.isoformat() == "2026-11-01" and fold == datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "first of the two"


async def test_a_refused_post_pauses_the_schedule_and_tells_admins_once(
    core: Core, clock: FixedClock, outbound: RecordingOutbound, place: Place, admin: Actor
) -> None:
    await schedule_at_nine_utc(core, clock, place, admin)
    outbound.refuse["C-study"] = "missing access"
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    report = await core.sweep()
    assert report.failed == 1 and report.posted == 0
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert (await core.sweep()).failed == 0, "a paused schedule does not retry"

    member_view = await core.command("/mlquestion topics", Actor("slack", "T1", "ada", "Ada"), place)
    assert len(member_view.responses) == 1
    seen = await core.command("/mlquestion topics", admin, place)
    notice = seen.responses[-1]
    assert notice.private and "missing access" in notice.post.body  # type: ignore[union-attr]
    assert len((await core.command("/mlquestion topics", admin, place)).responses) == 1, "told once"
    shown = await core.command("/mlquestion schedule show", admin, place)
    assert "paused (the platform refused the daily post: missing access)" in shown.responses[0].post.body  # type: ignore[union-attr]

    outbound.refuse.clear()
    resumed = await core.command("/mlquestion schedule resume", admin, place)
    assert "active, next post in 1d" in resumed.responses[0].post.body  # type: ignore[union-attr]


async def test_an_unusable_thread_sends_the_reveal_to_the_channel(
    core: Core, clock: FixedClock, outbound: RecordingOutbound, place: Place, admin: Actor
) -> None:
    await schedule_at_nine_utc(core, clock, place, admin)
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    await core.sweep()
    thread = outbound.posts("question")[0].message_id
    outbound.refuse[f"thread-{thread}"] = "thread is archived and locked"
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert (await core.sweep()).revealed == 1
    [reveal] = outbound.posts("reveal")
    assert reveal.place == place


async def test_a_poster_that_died_mid_post_is_taken_over_after_its_lease(
    core: Core, db: Database, clock: FixedClock, outbound: RecordingOutbound, place: Place, admin: Actor
) -> None:
    await schedule_at_nine_utc(core, clock, place, admin)
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    outbound.refuse_threads = False
    # Claim without posting, as a process that crashed right after claiming would leave it.
    async with db.session() as session:
        schedule = await session.scalar(select(Schedule))
    assert schedule is not None
    assert await core.daily._claim(schedule, clock.now()) is not None
    assert (await core.sweep()).posted == 0
    clock.advance(timedelta(minutes=6))
    assert (await core.sweep()).posted == 1
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Round)) == 1


def test_threads_outlast_the_discussion() -> None:
    assert archive_after(timedelta(hours=8)) == timedelta(days=1)
    assert archive_after(timedelta(minutes=30)) == timedelta(hours=1)
    assert archive_after(timedelta(days=2)) == timedelta(days=3)


async def test_schedule_validation_and_admin_only(core: Core, place: Place, admin: Actor) -> None:
    member = Actor("slack", "T1", "ada", "Ada")
    refused = await core.command("/mlquestion schedule set #C-study 09:00 UTC", member, place)
    assert "Only admins" in refused.responses[0].post.body  # type: ignore[union-attr]
    for text, expected in [
        ("schedule set #C 25:00 UTC", "hours go from 00 to 23"),
        ("schedule set #C 09:60 UTC", "minutes go from 00 to 59"),
        ("schedule set #C 9am UTC", "24-hour HH:MM"),
        ("schedule set #C 09:00 Mars/Olympus", "not an IANA time zone"),
        ("schedule set #C 09:00 Europe/Berln", "Did you mean one of: Europe/"),
        ("schedule set #C 09:00 UTC 30h", "less than `24h`"),
        ("schedule set #C 09:00 UTC 8h mars", "no topic `mars`"),
        ("schedule set #C 09:00", "needs <timezone>"),
        ("schedule pause #nowhere", "has no daily question"),
    ]:
        outcome = await core.command(f"/mlquestion {text}", admin, place)
        body = outcome.responses[0].post.body  # type: ignore[union-attr]
        assert expected in body, (text, body)
        assert outcome.responses[0].private  # type: ignore[union-attr]


class SlowOutbound(RecordingOutbound):
    """A platform that takes a moment per post and breaks on one channel; it records how many posts overlap."""

    def __init__(self, broken: str) -> None:
        super().__init__()
        self.broken = broken
        self.in_flight = 0
        self.most_in_flight = 0

    async def post(self, place: Place, post: Post) -> MessageRef:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.1)  # much longer than a claim, so posts overlap
            if place.channel == self.broken and post.kind == "question":
                raise ConnectionResetError("the platform hung up")
            return await super().post(place, post)
        finally:
            self.in_flight -= 1


async def test_one_sweep_posts_every_due_channel_in_batches_several_at_a_time(
    db: Database, bank: Bank, clock: FixedClock, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daily, "BATCH", 4)
    monkeypatch.setattr(daily, "PUBLISHING", 3)
    outbound = SlowOutbound(broken="C5")
    core = Core(Services(db, bank, clock, outbound, random.Random(1)))
    clock.set(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    channels = [f"C{n}" for n in range(11)]
    for channel in channels:
        await core.command(f"/mlquestion schedule set #{channel} 09:00 UTC 1h", admin, Place("slack", "T1", channel))
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    report = await core.sweep()
    assert (report.posted, report.failed) == (10, 1)  # three batches; the broken channel does not stop the rest
    assert sorted(s.place.channel for s in outbound.posts("question")) == sorted(set(channels) - {"C5"})
    assert outbound.most_in_flight == 3  # several at a time, never more than PUBLISHING
    async with db.session() as session:
        states = dict((await session.execute(select(Round.channel, Round.state))).all())
    assert states.pop("C5") == "posting"  # claimed; taken over once the claim's lease runs out
    assert set(states.values()) == {"open"}

    outbound.broken = ""
    clock.set(datetime(2026, 11, 23, 9, 6, tzinfo=UTC))
    assert (await core.sweep()).posted == 1  # the lease ran out: C5 is posted by the next sweep
    assert sorted(s.place.channel for s in outbound.posts("question")) == sorted(channels)
    clock.set(datetime(2026, 11, 23, 10, 6, tzinfo=UTC))
    outbound.most_in_flight = 0
    assert (await core.sweep()).revealed == 11
    assert outbound.most_in_flight == 3


class StalledSlack(RecordingOutbound):
    """Slack posts hang until released; Discord posts go through at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def post(self, place: Place, post: Post) -> MessageRef:
        if place.platform == "slack":
            await self.release.wait()
        return await super().post(place, post)


async def test_each_platform_posts_and_reveals_in_its_own_lane(
    db: Database, bank: Bank, clock: FixedClock, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daily, "BATCH", 4)
    monkeypatch.setattr(daily, "PUBLISHING", 2)
    outbound = StalledSlack()
    core = Core(Services(db, bank, clock, outbound, random.Random(1)))
    clock.set(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    slack = [Place("slack", "T1", f"C{n}") for n in range(6)]
    discord = [Place("discord", "G1", f"{100 + n}") for n in range(6)]
    for place in slack + discord:  # Slack's schedules come first in the due order
        await core.command(f"/mlquestion schedule set #{place.channel} 09:00 UTC 1h", admin, place)
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    sweep = asyncio.create_task(core.sweep())
    for _ in range(200):  # every Discord channel is posted while Slack's slots are all stuck
        if len(outbound.posts("question")) == len(discord):
            break
        await asyncio.sleep(0.01)
    assert sorted(s.place.channel for s in outbound.posts("question")) == sorted(p.channel for p in discord)
    assert not sweep.done()
    outbound.release.set()
    report = await asyncio.wait_for(sweep, 10)
    assert (report.posted, report.failed) == (12, 0)
    assert len(outbound.posts("question")) == 12

    outbound.release.clear()
    clock.set(datetime(2026, 11, 23, 10, 1, tzinfo=UTC))
    sweep = asyncio.create_task(core.sweep())
    for _ in range(200):
        if len(outbound.posts("reveal")) == len(discord):
            break
        await asyncio.sleep(0.01)
    assert sorted(s.place.channel for s in outbound.posts("reveal")) == sorted(p.channel for p in discord)
    outbound.release.set()
    assert (await asyncio.wait_for(sweep, 10)).revealed == 12
