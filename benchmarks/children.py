"""What the benchmarks that run child processes share: ports, start, stop, CPU time, profiles, signals."""

from __future__ import annotations

import asyncio
import gc
import io
import os
import pstats
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep this process's garbage collector out of a stretch of load it generates: collect before, not during.

    The benchmark process hosts the load client (and the Discord fakes, which keep every request), so its
    full collections grow with each slice: 120–320 ms at full scale, each one landing in some slice as
    latency of whichever bot was being measured. The bots' own collectors are left alone.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def free_port() -> int:
    """Return a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float | None:
    """Return a process's CPU time so far (user + system, every thread), from /proc; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_serving(
    process: asyncio.subprocess.Process, url: str, within: float, name: str, tail: Callable[[], str]
) -> None:
    """Wait until `url` answers 200; say why (with the end of the child's log) if it exits or never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail()}")
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{name} did not serve {url} within {within:g} s:\n{tail()}")


async def stop_process(process: asyncio.subprocess.Process | None, within: float) -> int | None:
    """SIGTERM, then SIGKILL if it does not stop in time; return the exit status (None if never started)."""
    if process is None:
        return None
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), within)
        except TimeoutError:
            process.kill()
            await process.wait()
    return process.returncode


async def until_signalled() -> None:
    """Return on SIGTERM or SIGINT (how a child is told to stop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def profile_top(path: Path, lines: int = 25) -> list[str]:
    """Return the functions with the most own time in a cProfile dump."""
    out = io.StringIO()
    pstats.Stats(str(path), stream=out).strip_dirs().sort_stats("tottime").print_stats(lines)
    return [line for line in out.getvalue().splitlines() if line.strip()][-lines - 1 :]
