"""`mlquestion run` with diagnostics, for the Discord side-by-side benchmark (`benchmarks/discord_side.py`).

`python -m benchmarks.discord_probe` runs the bot exactly as `python -m bot run` does, with two optional
instruments that the benchmark turns on through the environment, and only between SIGUSR1 (start measuring)
and SIGUSR2 (stop), so start-up and warm-up stay out:

- MLQ_BENCH_PROFILE=FILE: cProfile of the event-loop thread, written to FILE (pstats) at exit.
- MLQ_BENCH_DB_POOL_SIZE=N: an experiment, not a measurement of the bot as shipped: the SQLite engine gets
  a pool of N connections (no overflow) instead of SQLAlchemy's default (5 + 10 overflow), so that with 1
  every statement waits its turn in-process instead of in SQLite's busy handler.
- MLQ_BENCH_SECTIONS=FILE: wall time of the sections an interaction goes through, written to FILE (JSON) at
  exit: the gateway frame (JSON parse and discord.py's parsing), the wait from the frame to our command
  callback (the event loop's queue), the core's `invoke`, each SQL statement, rendering, the callback POST,
  our `respond` from start to end, and the garbage collector's pauses per generation.

Nothing in `bot/` or `adapters/` is changed: the instruments wrap functions from the outside.
"""

from __future__ import annotations

import cProfile
import functools
import gc
import json
import os
import signal
import time
from collections.abc import Callable
from typing import Any

Wrapped = Callable[..., Any]


class Sections:
    """Durations in milliseconds per named section, kept only while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.samples: dict[str, list[float]] = {}
        self.frames: dict[int, float] = {}  # interaction id -> when its gateway frame arrived

    def add(self, name: str, started: float) -> None:
        """Record a section that began at `started` (perf_counter) and ends now."""
        if self.on:
            self.samples.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    def timed_async(self, name: str, function: Wrapped) -> Wrapped:
        """Wrap a coroutine function."""

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self.add(name, started)

        return wrapper

    def timed(self, name: str, function: Wrapped) -> Wrapped:
        """Wrap a plain function."""

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(name, started)

        return wrapper

    def summary(self) -> dict[str, dict[str, float]]:
        """Return count, total, mean, p50, p99 and max of each section."""
        out = {}
        for name, values in sorted(self.samples.items()):
            ordered = sorted(values)
            n = len(ordered)
            out[name] = {
                "count": n,
                "total_ms": round(sum(ordered), 1),
                "mean_ms": round(sum(ordered) / n, 3),
                "p50_ms": round(ordered[n // 2], 3),
                "p99_ms": round(ordered[min(n - 1, int(n * 0.99))], 3),
                "max_ms": round(ordered[-1], 3),
            }
        return out


def _shape(statement: str) -> str:
    """Return a statement's verb and table: `INSERT members`, `SELECT rounds`."""
    words = statement.split()
    verb = words[0].upper() if words else "?"
    marker = {"INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}.get(verb, "FROM")
    upper = [w.upper() for w in words]
    table = words[upper.index(marker) + 1].strip('"(') if marker in upper[:-1] else ""
    return f"{verb} {table}".strip()


def install(sections: Sections) -> None:
    """Wrap the functions an interaction goes through (before the bot builds anything)."""
    import discord
    from discord.gateway import DiscordWebSocket
    from sqlalchemy import event

    from adapters.discord import adapter, responding
    from bot.core import Core
    from bot.storage.database import Database

    received = DiscordWebSocket.received_message

    async def received_message(self: Any, msg: Any, /) -> None:
        started = time.perf_counter()
        if sections.on and isinstance(msg, str) and '"INTERACTION_CREATE"' in msg:
            interaction_id = json.loads(msg)["d"]["id"]
            sections.frames[int(interaction_id)] = started
            await received(self, msg)
            sections.add("gateway frame (parse + dispatch)", started)
            return
        await received(self, msg)

    DiscordWebSocket.received_message = received_message  # type: ignore[method-assign]

    command = adapter.DiscordAdapter._command

    async def _command(self: Any, interaction: discord.Interaction, *args: Any) -> None:
        arrived = sections.frames.pop(interaction.id, None)
        if arrived is not None:
            sections.add("frame -> our command callback (loop queue, tree)", arrived)
        await command(self, interaction, *args)
        if arrived is not None:
            sections.add("frame -> answered (end of respond)", arrived)

    adapter.DiscordAdapter._command = _command  # type: ignore[method-assign,assignment]
    adapter.respond = sections.timed_async("respond (core + render + callback)", adapter.respond)  # type: ignore[attr-defined]
    Core.invoke = sections.timed_async("core.invoke", Core.invoke)  # type: ignore[method-assign]
    responding.render = sections.timed("render (core post -> Discord message)", responding.render)  # type: ignore[attr-defined]
    responding._kwargs = sections.timed("embeds + view objects", responding._kwargs)
    send = discord.InteractionResponse.send_message
    discord.InteractionResponse.send_message = sections.timed_async(  # type: ignore[method-assign]
        "callback POST (send_message)", send
    )
    database_init = Database.__init__
    pool_size = os.environ.get("MLQ_BENCH_DB_POOL_SIZE")

    def init(self: Database, url: str, **options: Any) -> None:
        if pool_size and url.startswith("sqlite"):
            options = {**options, "pool_size": int(pool_size), "max_overflow": 0}
        database_init(self, url, **options)
        engine = self.engine.sync_engine

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            conn.info.setdefault("mlq_started", []).append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            started = conn.info["mlq_started"].pop()
            sections.add(f"SQL {_shape(statement)}", started)

        @event.listens_for(engine, "commit")
        def commit(conn: Any) -> None:
            sections.add("SQL COMMIT (count only)", time.perf_counter())

    Database.__init__ = init  # type: ignore[method-assign]

    collecting: list[float] = []

    def collector(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting.append(time.perf_counter())
        elif collecting:
            sections.add(f"garbage collection, generation {info['generation']}", collecting.pop())

    gc.callbacks.append(collector)


def main() -> int:
    """Run the bot with the instruments the environment asks for."""
    profile_path = os.environ.get("MLQ_BENCH_PROFILE")
    sections_path = os.environ.get("MLQ_BENCH_SECTIONS")
    profiler = cProfile.Profile() if profile_path else None
    sections = Sections()
    if sections_path or os.environ.get("MLQ_BENCH_DB_POOL_SIZE"):
        install(sections)

    def start(*_: Any) -> None:
        sections.on = bool(sections_path)
        if profiler is not None:
            profiler.enable()

    def stop(*_: Any) -> None:
        sections.on = False
        if profiler is not None:
            profiler.disable()

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    from bot.cli import main as cli

    try:
        return cli(["run"])
    finally:
        stop()
        if profiler is not None and profile_path:
            profiler.dump_stats(profile_path)
        if sections_path:
            with open(sections_path, "w") as out:  # noqa: PTH123
                json.dump(sections.summary(), out, indent=1)


if __name__ == "__main__":
    raise SystemExit(main())
