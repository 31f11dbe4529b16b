"""Paced queues for outbound writes (PLATFORM-LIMITS §5.3): callers wait their turn, first come first served.

A `Pacer` lets calls through at a configured rate, in the order they arrived, whatever their number.
It is a GCRA ("virtual scheduling") token bucket kept as one number, the theoretical arrival time
`tat` of the next call: a call may go at `now >= tat - (burst - 1) / rate`, and going moves `tat` on
by `1/rate`, from `tat`, or from `now` when the pacer was idle. Waiters queue on an `asyncio.Lock`
(FIFO; no barging) and the one at the head sleeps exactly until its turn: no polling, no sleep when
a token is there, `time.monotonic()`.

`slack` is for the event loop, which wakes sleepers a little late (epoll rounds timeouts up to the
millisecond; a busy loop is later still). A call let through at most `slack` seconds after its turn
counts as on time: the schedule stays, so a saturated pacer reaches its rate on a busy loop instead
of losing every waiter's lateness; later than that, the schedule restarts from then. Never early:
after an idle spell, the second call still waits a whole interval.

The guarantee, on the grant times themselves (the clock is read when a call is let through): in any
interval of length `w`, at most `rate * (w + slack) + burst` calls go through (the slack only counts
after a late call); from idle, at most `rate * w + burst`.

This module imports no platform library: both adapters use it, neither imports the other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
Clock = Callable[[], float]
Then = Callable[[], Awaitable[object]]


class Pacer:
    """At most `rate` calls a second (after at most `burst` back to back), in arrival order.

    `slack` (seconds) defaults to half an interval: it absorbs the event loop's lateness (10 ms at
    Discord's 48/s, 50 ms at Slack's 10/s) and adds at most half a call to any window (module doc).
    """

    def __init__(self, rate: float, *, burst: int = 1, slack: float | None = None, clock: Clock = time.monotonic):
        if rate <= 0:
            raise ValueError("the rate must be positive")
        if burst < 1:
            raise ValueError("the burst must be at least 1")
        self.rate = rate
        self.burst = burst
        self.interval = 1.0 / rate
        self.slack = self.interval / 2 if slack is None else slack
        if not 0 <= self.slack < self.interval:
            raise ValueError("the slack must be at least 0 and less than one interval")
        self._tolerance = (burst - 1) * self.interval
        self._tat = float("-inf")
        self._clock = clock
        self._lock = asyncio.Lock()
        self._queued = 0

    @property
    def queued(self) -> int:
        """Return how many calls are waiting or being let through."""
        return self._queued

    def delay(self) -> float:
        """Return how long a call arriving now would wait if nobody were queued (0 when a token is there)."""
        return max(0.0, self._tat - self._tolerance - self._clock())

    def idle(self) -> bool:
        """Tell whether the pacer is as good as new: nobody queued and the full burst available."""
        return self._queued == 0 and self._tat <= self._clock()

    async def acquire(self, then: Then | None = None) -> float:
        """Wait for this call's turn and return the (monotonic) time it was let through.

        `then`, when given, is awaited once the turn has come, before the next caller's turn starts,
        and the grant is taken when it returns: `await per_channel.acquire(then=workspace.acquire)`
        lets a call through when both allow it, without the channel's next call overtaking it.
        A caller cancelled while waiting gives up its turn and uses no token.
        """
        self._queued += 1
        try:
            async with self._lock:
                wait = self._tat - self._tolerance - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                if then is not None:
                    await then()
                # The loop may run a timer up to one clock tick (1 ns) early: such a call counts at its turn.
                now = max(self._clock(), self._tat - self._tolerance)
                late = now > self._tat + self.slack  # idle, or later than the slack forgives
                self._tat = (now if late else self._tat) + self.interval
                return now
        finally:
            self._queued -= 1


class KeyedPacer(Generic[K]):
    """One `Pacer` per key (a channel, a thread), created on first use and forgotten once idle."""

    def __init__(self, rate: float, *, burst: int = 1, slack: float | None = None, clock: Clock = time.monotonic):
        Pacer(rate, burst=burst, slack=slack, clock=clock)  # check the figures now, not on first use
        self.rate = rate
        self._burst, self._slack, self._clock = burst, slack, clock
        self._pacers: dict[K, Pacer] = {}
        self._prune_at = 64

    def __len__(self) -> int:
        return len(self._pacers)

    async def acquire(self, key: K, then: Then | None = None) -> float:
        """Wait for the key's turn (and `then`, see `Pacer.acquire`); return when the call was let through."""
        pacer = self._pacers.get(key)
        if pacer is None:
            if len(self._pacers) >= self._prune_at:
                self._prune()
            pacer = Pacer(self.rate, burst=self._burst, slack=self._slack, clock=self._clock)
            self._pacers[key] = pacer
        return await pacer.acquire(then)

    def _prune(self) -> None:
        """Drop the pacers that are as good as new (amortised: the map at most doubles between prunes)."""
        for key in [key for key, pacer in self._pacers.items() if pacer.idle()]:
            del self._pacers[key]
        self._prune_at = max(64, 2 * len(self._pacers))
