"""`python -m benchmarks.slack_probe` runs `python -m bot run` with timers around it, for `slack_side --probe`.

Nothing of the bot changes: the probe wraps a few functions from the outside (the core's `command`, the
Web API client's `api_call`, the Slack adapter's `start`) and records, until the process ends:

- garbage collections: how many and how long, per generation (`gc.callbacks`);
- event-loop lag: a task that sleeps 5 ms and records by how much it overslept (how long the loop was
  busy elsewhere: that is what delays an ack);
- wall time in `Core.command` and in each Web API method.

At exit it writes a JSON summary to the file named by MLQ_BENCH_PROBE.

MLQ_BENCH_TRY (comma-separated) tries, from the outside, changes that are not the Slack adapter's to make,
so that their effect can be measured before anyone makes them: `freeze` (gc.freeze() once serving: the
objects of start-up leave the full collections), `sqlite1` (one pooled SQLite connection: sessions wait
in asyncio instead of in SQLite's busy handler), `session` (one aiohttp session for every Web API call).
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import gc
import json
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

LAG_TICK_S = 0.005
timings: dict[str, list[float]] = defaultdict(list)
_gc_started: list[float] = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        timings[f"gc gen{info['generation']}"].append((time.perf_counter() - _gc_started[0]) * 1000)


def timed(name: Callable[..., str], function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Wrap an async function so each call's wall time lands under `name(*args)`."""

    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            timings[name(*args, **kwargs)].append((time.perf_counter() - started) * 1000)

    return wrapper


async def _lag_monitor() -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(LAG_TICK_S)
        timings["loop lag"].append((loop.time() - before - LAG_TICK_S) * 1000)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def _write() -> None:
    target = os.environ.get("MLQ_BENCH_PROBE")
    if not target:
        return
    summary = {
        name: {
            "n": len(values),
            "total_ms": round(sum(values), 1),
            "p50_ms": round(_percentile(values, 0.5), 3),
            "p99_ms": round(_percentile(values, 0.99), 3),
            "max_ms": round(max(values), 3),
        }
        for name, values in sorted(timings.items())
        if values
    }
    Path(target).write_text(json.dumps(summary, indent=2))


def install() -> None:
    """Put the timers in place (before the bot starts)."""
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.adapter import SlackAdapter
    from bot.core import Core

    gc.callbacks.append(_on_gc)
    Core.command = timed(lambda *a, **k: "core.command", Core.command)  # type: ignore[method-assign,assignment]
    AsyncWebClient.api_call = timed(  # type: ignore[method-assign,assignment]
        lambda self, api_method, **k: f"web api {api_method}", AsyncWebClient.api_call
    )
    start = SlackAdapter.start
    monitors: list[asyncio.Task[None]] = []

    tries = set(filter(None, os.environ.get("MLQ_BENCH_TRY", "").split(",")))

    async def start_and_monitor(self: SlackAdapter) -> None:
        await start(self)
        timings["gc tracked objects at start"].append(float(len(gc.get_objects())))
        if "freeze" in tries:  # what gc.freeze() after start-up would save: the bank and imports leave gen2 scans
            gc.collect()
            gc.freeze()
        monitors.append(asyncio.create_task(_lag_monitor()))

    if "sqlite1" in tries:  # one pooled connection on SQLite: sessions queue in asyncio, no busy-handler sleeps
        from bot.storage import database

        init = database.Database.__init__

        def one_connection(self: database.Database, url: str, **options: Any) -> None:
            if "sqlite" in url:
                options = {"pool_size": 1, "max_overflow": 0, **options}
            init(self, url, **options)

        database.Database.__init__ = one_connection  # type: ignore[method-assign]
    if "session" in tries:  # one aiohttp session for every Web API call (slack_sdk opens one per call otherwise)
        import aiohttp

        from adapters.slack import adapter

        make_client = adapter.make_client

        def shared_session_client(token: str, base_url: str | None) -> AsyncWebClient:
            client = make_client(token, base_url)
            client.session = aiohttp.ClientSession()
            return client

        adapter.make_client = shared_session_client

    SlackAdapter.start = start_and_monitor  # type: ignore[method-assign]
    atexit.register(_write)


if __name__ == "__main__":
    install()
    from bot.cli import main

    raise SystemExit(main(["run"]))
