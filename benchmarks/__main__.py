"""`scripts/bench`: generate (or reuse) the history, run every benchmark, print a table, write JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks import history
from benchmarks.discord_side import PAUSE_S, PROBE_SECONDS, run_discord_side_by_side
from benchmarks.fanout import run_fanout
from benchmarks.latency import run_latency
from benchmarks.scale import FULL, QUICK, Scale
from benchmarks.slack_side import SUSTAIN_CHECK_S, run_slack_side_by_side
from bot.content.bank import load_bank

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = os.environ.get(
    "MLQ_BENCH_POSTGRES_URL", os.environ.get("MLQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
TARGETS = {"rss_mb": 200.0, "startup_s": 2.0}


STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """What the figures were measured on (from /proc/cpuinfo and /proc/meminfo, as `free` reads it)."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": models[0] if models else platform.processor(),
        "memory_gb": round(total_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


async def postgres_answers(url: str) -> str | None:
    try:
        connection = await asyncpg.connect(history.asyncpg_dsn(url), timeout=3)
        version = await connection.fetchval("SHOW server_version")
        await connection.close()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        log(f"PostgreSQL at {url} does not answer ({type(exc).__name__}: {exc}); its benchmarks are skipped")
        return None
    return str(version)


def serve(url: str) -> dict[str, Any]:
    """Run one serving process (benchmarks.serve) and return what it measured."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLQ_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    spawned = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve", url, repr(spawned)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the serving process failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def bench_backend(name: str, url: str, bank: Any, calls: int, warmup: int, serving: bool) -> dict[str, Any]:
    log(f"{name}: core latency, {calls} calls per command after {warmup} warm-up calls")
    latency = await run_latency(url, bank, calls, warmup, log)
    if not serving:
        return {"latency": latency}
    log(f"{name}: serving process (start-up, memory, sweep of every due channel)")
    served = await asyncio.to_thread(serve, url)
    sweep = served["sweep"]
    log(
        f"  ready in {served['spawn_to_ready_s']} s, RSS {served['rss_ready_mb']} MB, "
        f"{served['peak_rss_mb']} MB at peak; "
        f"sweep posted {sweep['posted']} and revealed {sweep['revealed']} in {sweep['seconds']} s "
        f"({sweep['ms_per_posted_channel']} ms per posted channel, {sweep['calls_until_idle']} sweep calls)"
    )
    return {"latency": latency, "serve": served}


def table(results: dict[str, Any]) -> str:
    """Render the figures as a Markdown table (also pasted into docs/BENCHMARKS.md)."""
    backends = [b for b in ("sqlite", "postgresql") if b in results["backends"]]
    head = "| command | " + " | ".join(f"{b} p50 ms | {b} p99 ms" for b in backends) + " | target p99 |"
    lines = [head, "|---|" + "---:|---:|" * len(backends) + "---:|"]
    first = results["backends"][backends[0]]["latency"]
    for command, figures in first.items():
        cells = []
        for b in backends:
            f = results["backends"][b]["latency"][command]
            mark = "" if f["meets_target"] else " ✗"
            cells.append(f"{f['p50_ms']:.2f} | {f['p99_ms']:.2f}{mark}")
        lines.append(f"| {command} | " + " | ".join(cells) + f" | ≤ {figures['target_p99_ms']:.0f} |")
    served = [b for b in backends if "serve" in results["backends"][b]]
    lines.append("")
    lines.append("| serving process | " + " | ".join(served) + " | target |")
    lines.append("|---|" + "---:|" * len(served) + "---:|")

    def row(label: str, pick: Any, target: str = "") -> None:
        lines.append(
            f"| {label} | " + " | ".join(str(pick(results["backends"][b]["serve"])) for b in served) + f" | {target} |"
        )

    row("start to ready (s)", lambda s: s["spawn_to_ready_s"], "≤ 2 (SQLite)")
    row(
        "… of which imports / bank / database+core (s)",
        lambda s: f"{s['imports_s']} / {s['bank_load_s']} / {s['database_and_core_s']}",
    )
    row("RSS when ready (MB)", lambda s: s["rss_ready_mb"])
    row("peak RSS, sweep included (MB)", lambda s: s["peak_rss_mb"], "≤ 200")
    row("due channels posted / revealed", lambda s: f"{s['sweep']['posted']} / {s['sweep']['revealed']}")
    row("posted twice / skipped", lambda s: f"{s['sweep']['channels_posted_twice']} / {s['sweep']['channels_skipped']}")
    row("sweep calls until idle", lambda s: s["sweep"]["calls_until_idle"])
    row("sweep time (s)", lambda s: s["sweep"]["seconds"])
    row("core time per posted channel (ms)", lambda s: s["sweep"]["ms_per_posted_channel"])
    sides = {
        name: results[key] for name, key in (("Slack", "slack_side"), ("Discord", "discord_side")) if key in results
    }
    if sides:
        lines += ["", "| side by side, `/mlquestion random` | rate /s | bot p50 / p99 ms | bare p50 / p99 ms "
                  "| ratio p50 / p99 | target |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        for name, f in sides.items():
            mark = "" if f["meets_target"] else " ✗"
            lines.append(
                f"| {name} | {f['rate']:g} | {f['bot']['p50_ms']} / {f['bot']['p99_ms']} | "
                f"{f['bare']['p50_ms']} / {f['bare']['p99_ms']} | {f['ratio_p50']} / {f['ratio_p99']}{mark} | "
                "p99 ratio ≤ 1.5, p99 < 100 ms |"
            )
    if "fanout" in results:
        f = results["fanout"]
        mark = "" if f["meets_target"] else " ✗"
        lines += ["", "| daily fan-out | figure | target |", "|---|---:|---:|"]
        lines.append(f"| channels (Discord / Slack) | {f['discord_channels']} / {f['slack_channels']} | |")
        lines.append(f"| floor from the rate limits (s) | {f['floor_s']} | |")
        lines.append(f"| scheduled minute to last post (s) | {f['measured_s']} | |")
        lines.append(f"| ratio to the floor | {f['ratio']}{mark} | ≤ 1.1 |")
        lines.append(f"| posted twice / skipped | {f['posted_twice']} / {f['skipped']} | 0 / 0 |")
        core = f.get("core_alone") or {}
        if "ms_per_channel" in core:
            lines.append(f"| core's own time per channel (ms) | {core['ms_per_channel']} | |")
    return "\n".join(lines)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small history and fewer calls (under a minute)")
    parser.add_argument("--calls", type=int, help="measured calls per command (default 1000; 50 with --quick)")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="a PostgreSQL server to create databases on")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--results", type=Path, default=ROOT / "bench-results", help="where to cache and write")
    parser.add_argument("--only-core", action="store_true", help="skip side by side and fan-out")
    args = parser.parse_args(argv)
    scale: Scale = QUICK if args.quick else FULL
    calls = args.calls or (50 if args.quick else 1000)
    warmup = 10 if args.quick else max(20, calls // 20)
    args.results.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    log(f"scale: {scale.name}{' (--quick: a smaller history than the issue asks for)' if args.quick else ''}: "
        f"{scale.describe()}")  # fmt: skip

    plan_box: list[history.Plan] = []
    backends: dict[str, str] = {}
    generation: dict[str, Any] = {}
    cached, meta = await asyncio.to_thread(history.ensure_sqlite, scale, args.results, plan_box, log)
    generation["sqlite"] = meta
    pg_version = None if args.no_postgres else await postgres_answers(args.postgres_url)
    pg_cached = None
    if pg_version:
        pg_cached, meta = await history.ensure_postgres(scale, args.postgres_url, plan_box, log)
        generation["postgresql"] = meta
    plan_box.clear()

    bank = load_bank()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "scripts/bench" + (" --quick" if args.quick else ""),
        "scale": {"name": scale.name, "description": scale.describe(), **scale.__dict__},
        "machine": machine(),
        "postgresql_version": pg_version,
        "generation": generation,
        "calls_per_command": calls,
        "warmup_calls": warmup,
        "targets": {"p99_ms": {"leaderboards": 50, "other commands": 10}, **TARGETS},
        "backends": {},
    }
    log("sqlite: copying the cached history to a scratch file")
    work = history.sqlite_work_copy(cached, args.results)
    backends["sqlite"] = f"sqlite:///{work}"
    if pg_cached:
        log("postgresql: cloning the cached history database")
        backends["postgresql"] = await history.postgres_work_copy(args.postgres_url, pg_cached)
    side_rate, side_seconds = (100.0, 2.0) if args.quick else (200.0, 30.0)
    try:
        for name, url in backends.items():
            # --quick: the serving process once, on SQLite (its start-up target is SQLite's).
            serving = not args.quick or name == "sqlite"
            results["backends"][name] = await bench_backend(name, url, bank, calls, warmup, serving)
        if not args.only_core:
            # Side by side on the SQLite history (the default deployment); the Discord run renames a few ids
            # of its work copy to snowflakes, so it comes last.
            channels = 40 if args.quick else scale.channels
            fanout = run_fanout(
                channels, log=log, workdir=args.results / "fanout", whole_minute=not args.quick, lead=2.0
            )
            if args.quick:  # a smoke run: the fan-out (mostly waiting for the platforms' pace) overlaps the rest
                log(f"daily fan-out: {channels} channels due together, into rate-limited fakes (in the background)")
                fanning: asyncio.Task[dict[str, Any]] | None = asyncio.create_task(fanout)
            else:
                fanning = None
            # --quick shortens the unmeasured parts: warm-ups, the bare apps' sustain checks, pauses.
            short = args.quick
            log(f"slack side by side: {side_rate:g} requests/s for {side_seconds:g} s per app")
            results["slack_side"] = await run_slack_side_by_side(
                backends["sqlite"], rate=side_rate, seconds=side_seconds, log=log,
                warmup=1.0 if short else 2.0, sustain_check=1.0 if short else SUSTAIN_CHECK_S,
            )  # fmt: skip
            log(f"discord side by side: {side_rate:g} interactions/s for {side_seconds:g} s per bot")
            results["discord_side"] = await run_discord_side_by_side(
                backends["sqlite"], rate=side_rate, seconds=side_seconds, log=log,
                warmup=1.0 if short else 2.0, probe=1.0 if short else PROBE_SECONDS, pause=0.3 if short else PAUSE_S,
            )  # fmt: skip
            if fanning is None:
                log(f"daily fan-out: {channels} channels due at the same minute, into rate-limited fakes")
                results["fanout"] = await fanout
            else:
                results["fanout"] = await fanning
    finally:
        if pg_cached:
            await history.drop_postgres(args.postgres_url)
        await asyncio.to_thread(history.remove_sqlite, work)
    results["seconds"] = round(time.perf_counter() - started, 1)
    rendered = table(results)
    results["table_markdown"] = rendered
    out = args.results / ("latest-quick.json" if args.quick else "latest.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(rendered)
    shown = out.resolve().relative_to(ROOT) if out.resolve().is_relative_to(ROOT) else out  # --results elsewhere
    print(f"\n{scale.name} scale, {results['seconds']} s in all; figures written to {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
