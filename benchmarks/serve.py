"""One serving process, measured from the outside: start-up, resident memory, and the daily sweep.

Run as a child process (`python -m benchmarks.serve URL SPAWNED_AT`) so that its memory and start-up
are its own. It starts the way `mlquestion run` does (load the bank, open and check the database,
build the core), with the benchmarks' recording outbound port in place of the platforms, then moves
the clock to the next day, when every scheduled channel is due, and sweeps until nothing is left.
It prints one line of JSON.
"""

from __future__ import annotations

import time

STARTED = time.time()

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def status_kb(field: str) -> int:
    """Return a field of /proc/self/status in kB (VmRSS: resident now, VmHWM: peak resident)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def main(url: str, spawned_at: float) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import func, select

    from adapters.runtime import build_core, load_content, prepare_database
    from benchmarks.outbound import RecordingOutbound
    from benchmarks.scale import NOW
    from bot.clock import FixedClock
    from bot.settings import load_settings
    from bot.storage.models import Round, Schedule

    imported = time.time()
    settings = load_settings()
    bank = load_content(settings)
    bank_loaded = time.time()
    db = await prepare_database(settings)
    clock = FixedClock(NOW)
    outbound = RecordingOutbound()
    core = build_core(settings, db, bank, clock, outbound)
    async with db.session() as session:  # the first query: the database answers
        active = int(await session.scalar(select(func.count()).where(Schedule.state == "active")) or 0)
    ready = time.time()
    rss_ready = status_kb("VmRSS")

    sweep_at = NOW + timedelta(days=1)
    clock.set(sweep_at)
    sweeps, posted, revealed, failed = 0, 0, 0, 0
    started = time.perf_counter()
    first_sweep_s = 0.0
    while sweeps < 1000:
        report = await core.sweep()
        sweeps += 1
        if sweeps == 1:
            first_sweep_s = time.perf_counter() - started
            first = (report.posted, report.revealed)
        posted, revealed, failed = posted + report.posted, revealed + report.revealed, failed + report.failed
        if not (report.posted or report.revealed or report.failed):
            break
    sweep_s = time.perf_counter() - started
    async with db.session() as session:
        claimed_rounds = int(
            await session.scalar(
                select(func.count()).where(Round.kind == "daily", Round.claimed_at == sweep_at, Round.state == "open")
            )
            or 0
        )
    await db.dispose()
    per_channel = outbound.questions_per_channel
    return {
        "spawn_to_ready_s": round(ready - spawned_at, 3),
        "imports_s": round(imported - spawned_at, 3),
        "bank_load_s": round(bank_loaded - imported, 3),
        "database_and_core_s": round(ready - bank_loaded, 3),
        "rss_ready_mb": round(rss_ready / 1024, 1),
        "rss_after_sweep_mb": round(status_kb("VmRSS") / 1024, 1),
        "peak_rss_mb": round(status_kb("VmHWM") / 1024, 1),
        "active_schedules": active,
        "sweep": {
            "calls_until_idle": sweeps,
            "first_call": {"posted": first[0], "revealed": first[1], "seconds": round(first_sweep_s, 3)},
            "posted": posted,
            "revealed": revealed,
            "failed": failed,
            "seconds": round(sweep_s, 3),
            "ms_per_posted_channel": round(sweep_s * 1000 / max(posted, 1), 3),
            "channels_posted": len(per_channel),
            "channels_posted_twice": sum(1 for n in per_channel.values() if n > 1),
            "channels_skipped": max(0, active - len(per_channel)),
            "rounds_opened_in_db": claimed_rounds,
            "reveals_posted": sum(outbound.reveals_per_channel.values()),
        },
    }


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], float(sys.argv[2])))
    print(json.dumps(result))
