"""The ticker only triggers sweeps, and stopping waits for the one that is running."""

from __future__ import annotations

import asyncio

from adapters.ticker import start_ticker


async def test_stop_waits_for_the_running_sweep_and_no_tick_follows() -> None:
    events: list[str] = []
    started = asyncio.Event()

    async def sweep() -> None:
        events.append("start")
        started.set()
        await asyncio.sleep(0.3)
        events.append("end")

    ticker = start_ticker(sweep, 0.05)
    await asyncio.wait_for(started.wait(), 5)
    await ticker.stop()
    assert events == ["start", "end"], "stop() returned before the running sweep finished"
    await asyncio.sleep(0.2)
    assert events == ["start", "end"], "no tick after stop()"


async def test_a_failing_sweep_does_not_stop_the_ticks() -> None:
    calls = 0

    async def sweep() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("database unavailable")

    ticker = start_ticker(sweep, 0.05)
    await asyncio.sleep(0.4)
    await ticker.stop()
    assert calls >= 3
