"""Time as a port: the core asks a clock, never the system, for the time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tell the current time (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """Return the real time in UTC."""
        return datetime.now(UTC)


class AcceleratedClock:
    """Time that starts now and runs `speed` times faster, and can jump ahead.

    The console and demo runs use it to play a daily round in minutes.
    """

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._real_start = time.monotonic()
        self._jumped = timedelta()

    def now(self) -> datetime:
        """Return the accelerated time."""
        elapsed = (time.monotonic() - self._real_start) * self.speed
        return self._start + timedelta(seconds=elapsed) + self._jumped

    def advance(self, delta: timedelta) -> None:
        """Jump ahead by `delta`."""
        self._jumped += delta


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the start time must be timezone-aware")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """Return the fixed time."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self._now += delta

    def set(self, when: datetime) -> None:
        """Move the clock to `when`."""
        self._now = when.astimezone(UTC)
