"""The paced queue: never over its rate in any window, at its rate when saturated, first come first served."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from adapters.pacing import KeyedPacer, Pacer
from bot.core import Core
from bot.settings import SettingsError, load_settings


def most_in_window(times: list[float], window: float) -> int:
    """Return the largest number of times that fall in any interval [t, t + window)."""
    ordered, most, start = sorted(times), 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def saturate(pacer: Pacer, n: int) -> tuple[list[float], list[int], float]:
    """Start `n` callers at once; return their grant times, the order they were let through, and the span."""
    order: list[int] = []

    async def caller(i: int) -> float:
        granted = await pacer.acquire()
        order.append(i)
        return granted

    started = time.monotonic()
    times = await asyncio.gather(*(caller(i) for i in range(n)))
    return list(times), order, time.monotonic() - started


@pytest.mark.parametrize("burst", [1, 4])
async def test_a_saturated_pacer_runs_at_its_rate_and_never_over_it_in_any_window(burst: int) -> None:
    rate, n = 100.0, 60
    pacer = Pacer(rate, burst=burst)
    times, order, span = await saturate(pacer, n)
    assert order == list(range(n)), "callers are let through in the order they came"
    for window in (0.05, 0.1, 0.25, 0.5):
        bound = int(rate * (window + pacer.slack)) + burst
        assert most_in_window(times, window) <= bound, f"over the rate in a {window}s window"
        first = sum(1 for t in times if t < times[0] + window)
        assert first <= int(rate * window) + burst, f"from idle, over the rate in the first {window}s"
    ideal = (n - burst) / rate
    assert max(times) - min(times) >= ideal - pacer.slack * 2, "faster than the rate"
    assert span <= ideal * 1.3 + 0.05, f"took {span:.3f}s for an ideal {ideal:.3f}s: the rate is not reached"


async def test_free_tokens_are_taken_without_sleeping_or_yielding() -> None:
    pacer = Pacer(1.0, burst=3)
    ran = False

    async def other() -> None:
        nonlocal ran
        ran = True

    task = asyncio.create_task(other())
    started = time.monotonic()
    for _ in range(3):
        await pacer.acquire()
    assert not ran, "acquiring an available token yielded to the event loop"
    assert time.monotonic() - started < 0.01
    assert pacer.delay() > 0.9, "the fourth call has to wait a second"
    await task


async def test_a_waiter_sleeps_until_its_turn_then_goes() -> None:
    pacer = Pacer(20.0)
    first = await pacer.acquire()
    second = await pacer.acquire()
    assert 0.05 <= second - first <= 0.05 + 0.03, "from idle the slack gives no head start"


async def test_a_cancelled_waiter_gives_up_its_turn_and_the_queue_goes_on() -> None:
    pacer = Pacer(50.0)
    await pacer.acquire()
    waiters = [asyncio.create_task(pacer.acquire()) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[1].cancel()
    first, third = await waiters[0], await waiters[2]
    with pytest.raises(asyncio.CancelledError):
        await waiters[1]
    assert 0.02 - pacer.slack <= third - first <= 0.02 + 0.03, "the cancelled turn was not spent"
    assert pacer.queued == 0


async def test_then_runs_within_the_turn_so_the_next_call_cannot_overtake() -> None:
    outer, inner = Pacer(100.0), Pacer(10.0)
    granted: list[tuple[str, float]] = []

    async def call(name: str) -> None:
        await outer.acquire(then=inner.acquire)
        granted.append((name, time.monotonic()))

    await asyncio.gather(call("a"), call("b"), call("c"))
    assert [name for name, _ in granted] == ["a", "b", "c"]
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(granted)]
    assert all(gap >= 0.1 - inner.slack for gap in gaps), f"the slower pacer was not honoured: {gaps}"


async def test_a_keyed_pacer_paces_each_key_alone_and_forgets_idle_keys() -> None:
    keyed: KeyedPacer[str] = KeyedPacer(20.0, slack=0.0)
    started = time.monotonic()
    times = await asyncio.gather(*(keyed.acquire(key) for key in ("a", "b", "a", "b", "c")))
    a1, b1, a2, b2, c1 = times
    assert max(a1, b1, c1) - started < 0.01, "different keys do not wait for each other"
    assert a2 - a1 >= 0.05 and b2 - b1 >= 0.05, "one key is paced"
    for i in range(100):
        await keyed.acquire(f"k{i}")
    await asyncio.sleep(0.06)  # every key is as good as new again
    for i in range(100, 200):
        await keyed.acquire(f"k{i}")
    assert len(keyed) <= 100, "idle keys are dropped"


def test_figures_are_checked() -> None:
    with pytest.raises(ValueError, match="rate"):
        Pacer(0)
    with pytest.raises(ValueError, match="burst"):
        Pacer(1, burst=0)
    with pytest.raises(ValueError, match="slack"):
        Pacer(10, slack=0.2)


async def test_the_settings_set_each_platform_s_pace(monkeypatch: pytest.MonkeyPatch, core: Core) -> None:
    from adapters.discord.adapter import DiscordAdapter
    from adapters.slack.adapter import SlackAdapter

    monkeypatch.setenv("MLQ_DISCORD_REQUESTS_PER_SECOND", "40")
    monkeypatch.setenv("MLQ_SLACK_POSTS_PER_MINUTE", "300")
    settings = load_settings(DISCORD_TOKEN="t", SLACK_BOT_TOKEN="xoxb-t", SLACK_SIGNING_SECRET="s")
    assert DiscordAdapter(settings, core).pacer.rate == 40
    slack = SlackAdapter(settings, core)
    assert slack.outbound.workspace.rate == 5 and slack.outbound.channels.rate == 1
    monkeypatch.delenv("MLQ_DISCORD_REQUESTS_PER_SECOND")
    monkeypatch.delenv("MLQ_SLACK_POSTS_PER_MINUTE")
    defaults = load_settings()
    assert (defaults.discord_requests_per_second, defaults.slack_posts_per_minute) == (48, 600)
    monkeypatch.setenv("MLQ_DISCORD_REQUESTS_PER_SECOND", "0")
    with pytest.raises(SettingsError, match="MLQ_DISCORD_REQUESTS_PER_SECOND"):
        load_settings()
