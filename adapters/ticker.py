"""APScheduler only ticks: every tick asks the core to post and reveal whatever is due."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
SWEEP_JOB = "mlquestion-sweep"
STOP_WAIT_SECONDS = 20.0


class Ticker:
    """Sweep now and every `every_seconds`; `stop()` lets a running sweep finish before returning."""

    def __init__(self, sweep: Callable[[], Awaitable[object]], every_seconds: float) -> None:
        self._sweep = sweep
        self._lock = asyncio.Lock()
        self._stopping = False
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        # misfire_grace_time=None: a tick delayed by a busy loop still runs (the default, 1 s, drops it).
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=every_seconds,
            id=SWEEP_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )

    def start(self) -> Ticker:
        """Start ticking (call from inside the running event loop)."""
        self._scheduler.start()
        return self

    async def _tick(self) -> None:
        if self._stopping:
            return
        async with self._lock:
            try:
                await self._sweep()
            except Exception:  # a failed tick must not stop the next one
                log.exception("sweep failed; retrying at the next tick")

    async def stop(self) -> None:
        """Take no new ticks, wait for the running sweep, then shut the scheduler down."""
        self._stopping = True
        self._scheduler.pause()
        try:
            await asyncio.wait_for(self._lock.acquire(), STOP_WAIT_SECONDS)
        except TimeoutError:
            log.warning("a sweep was still running after %ss; stopping anyway", STOP_WAIT_SECONDS)
        self._scheduler.shutdown(wait=False)


def start_ticker(sweep: Callable[[], Awaitable[object]], every_seconds: float) -> Ticker:
    """Start a ticker that calls `sweep` now and every `every_seconds`."""
    return Ticker(sweep, every_seconds).start()
