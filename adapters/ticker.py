"""APScheduler only ticks: every tick asks the core to post and reveal whatever is due."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
SWEEP_JOB = "mlquestion-sweep"


def start_ticker(sweep: Callable[[], Awaitable[object]], every_seconds: float) -> AsyncIOScheduler:
    """Start a scheduler (inside the running loop) that calls `sweep` now and every `every_seconds`."""

    async def tick() -> None:
        try:
            await sweep()
        except Exception:  # a failed tick must not stop the next one
            log.exception("sweep failed; retrying at the next tick")

    scheduler = AsyncIOScheduler(timezone=UTC)
    # misfire_grace_time=None: a tick delayed by a busy loop still runs (the default, 1 s, drops it).
    scheduler.add_job(
        tick,
        "interval",
        seconds=every_seconds,
        id=SWEEP_JOB,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler
