"""Local wall-clock times, IANA zones and durations as members write them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UsageError

_DURATION = re.compile(r"(\d+)\s*([dhms])")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_REVEAL_AFTER = timedelta(days=7)


def parse_duration(text: str) -> timedelta:
    """Read `10m`, `8h`, `1h30m` or `2d`; explain what to write otherwise."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned:
        raise UsageError(f"`{text}` is not a duration. Write it like `10m`, `8h` or `1h30m`.")
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def format_duration(delta: timedelta) -> str:
    """Write a duration the way members type it (`8h`, `1h30m`)."""
    seconds = int(delta.total_seconds())
    out = ""
    for unit, size in _UNITS.items():
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0m"


def parse_local_time(text: str) -> time:
    """Read a 24-hour `HH:MM`; say why `25:00` or `9am` is wrong."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match:
        raise UsageError(f"`{text}` is not a time. Write it as 24-hour HH:MM, like `09:00` or `18:30`.")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23:
        raise UsageError(f"`{text}` is not a time: hours go from 00 to 23.")
    if minute > 59:
        raise UsageError(f"`{text}` is not a time: minutes go from 00 to 59.")
    return time(hour, minute)


def parse_zone(text: str) -> ZoneInfo:
    """Read an IANA zone name such as `Europe/Berlin`; suggest close names otherwise."""
    name = text.strip()
    try:
        if "/" in name or name.upper() == "UTC":
            return ZoneInfo("UTC" if name.upper() == "UTC" else name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    region = name.split("/")[0].lower()
    hints = sorted(z for z in available_timezones() if z.lower().startswith(region + "/"))[:5]
    hint = f" Did you mean one of: {', '.join(hints)}?" if hints else ""
    raise UsageError(
        f"`{text}` is not an IANA time zone. Write a name like `Europe/Berlin`, `America/New_York` or `UTC`.{hint}"
    )


def occurrence(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of local wall time `at` on `day`.

    A wall time skipped by a spring-forward gap is taken at the same offset as before
    the gap (so 02:30 becomes 03:30 summer time); a repeated one is the first of the two.
    """
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(UTC)


def next_occurrence(at: time, zone: ZoneInfo, after: datetime) -> tuple[datetime, date]:
    """Return the first instant strictly after `after` when it is `at` in `zone`, and its local date."""
    day = after.astimezone(zone).date() - timedelta(days=1)
    while True:
        when = occurrence(day, at, zone)
        if when > after:
            return when, day
        day += timedelta(days=1)
