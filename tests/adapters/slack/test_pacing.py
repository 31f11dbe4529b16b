"""chat.postMessage paced per channel and per workspace, against the fake with Slack's limits enforced."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.slack.adapter import make_client
from adapters.slack.outbound import SlackOutbound
from bot.vocabulary import Place, Post
from tests.fakes.slack_fake import TEAM, SlackFake, SlackLimits

# Figures scaled up so that the tests stay fast: 6,000 posts a minute (100/s), 10 a second per channel.
LIMITS = SlackLimits(posts_per_minute=6000, workspace_burst=5, channel_per_second=10, channel_burst=2)


@pytest.fixture
async def limited() -> AsyncIterator[SlackFake]:
    """Yield a running Slack fake that enforces LIMITS."""
    fake = SlackFake(limits=LIMITS)
    await fake.start()
    yield fake
    await fake.stop()


def paced(fake: SlackFake, posts_per_minute: float, channel_per_second: float) -> SlackOutbound:
    client = make_client("xoxb-test", fake.api_base)
    return SlackOutbound(client, posts_per_minute=posts_per_minute, channel_per_second=channel_per_second)


def received(fake: SlackFake, channel: str | None = None) -> list[float]:
    """Return when the fake received each successful chat.postMessage (in one channel, or all)."""
    calls = fake.of("chat.postMessage")
    return sorted(c.at for c in calls if c.status == 200 and (channel is None or c.args["channel"] == channel))


@pytest.mark.parametrize("per_minute", [5400.0, 6000.0], ids=["under the limit", "at the limit"])
async def test_posts_to_many_channels_go_at_the_workspace_rate_without_a_429(
    limited: SlackFake, per_minute: float
) -> None:
    outbound, n, rate = paced(limited, posts_per_minute=per_minute, channel_per_second=10), 60, per_minute / 60
    started = time.monotonic()
    await asyncio.gather(*(outbound.post(Place("slack", TEAM, f"C{i:04d}"), Post(title=f"#{i}")) for i in range(n)))
    span = time.monotonic() - started
    assert limited.throttled == {}, "the workspace pacer kept under the workspace limit"
    assert len(received(limited)) == n
    ideal = (n - 1) / rate
    assert ideal * 0.9 <= span <= ideal * 1.25 + 0.15, f"{n} posts took {span:.3f}s, {ideal:.3f}s at {rate}/s"


async def test_posts_into_one_channel_are_spaced_by_the_channel_limit_in_arrival_order(limited: SlackFake) -> None:
    outbound = paced(limited, posts_per_minute=5400, channel_per_second=10)
    place = Place("slack", TEAM, "CONE")
    started = time.monotonic()
    await asyncio.gather(*(outbound.post(place, Post(title=f"#{i}")) for i in range(6)))
    span = time.monotonic() - started
    assert limited.throttled == {}
    times = received(limited, "CONE")
    assert len(times) == 6 and min(b - a for a, b in itertools.pairwise(times)) >= 0.09
    assert span <= 0.5 * 1.25 + 0.15, f"6 posts at 10/s took {span:.3f}s"
    titles = [c.args["text"] for c in sorted(limited.of("chat.postMessage"), key=lambda c: c.at)]
    assert [t.split("#")[1][:1] for t in titles] == list("012345"), "first come, first served"


async def test_a_busy_channel_does_not_hold_up_the_others(limited: SlackFake) -> None:
    outbound = paced(limited, posts_per_minute=5400, channel_per_second=10)
    busy = [outbound.post(Place("slack", TEAM, "CBUSY"), Post(title="busy")) for _ in range(5)]
    others = [outbound.post(Place("slack", TEAM, f"C{i}"), Post(title="other")) for i in range(5)]
    started = time.monotonic()
    await asyncio.gather(*busy, *others)
    assert time.monotonic() - started < 0.4 + 0.15
    others_at = [c.at for c in limited.of("chat.postMessage") if c.args["channel"] != "CBUSY"]
    assert max(others_at) - min(received(limited)) < 0.2, "the other channels did not wait behind CBUSY"


async def test_without_pacing_the_fake_answers_429_with_retry_after() -> None:
    limited = SlackFake(limits=SlackLimits())  # Slack's figures: 600 a minute (burst 5), 1/s per channel (burst 2)
    await limited.start()
    async with aiohttp.ClientSession() as session:
        answers = []
        for i in range(8):
            data = {"channel": "CFAST" if i < 3 else f"C{i}", "text": "x"}
            async with session.post(f"{limited.api_base}chat.postMessage", data=data) as resp:
                answers.append((resp.status, resp.headers.get("Retry-After"), await resp.json()))
    statuses = [status for status, _, _ in answers]
    assert statuses[:3] == [200, 200, 429], "two at once in a channel (its burst), not three"
    assert answers[2][1] == "1" and answers[2][2] == {"ok": False, "error": "ratelimited"}
    assert statuses[3:] == [200, 200, 200, 429, 429], "the workspace holds a burst of 5"
    assert limited.throttled == {"channel": 1, "workspace": 2}
    await limited.stop()
