"""Rate limiters for the platform fakes: they decide, per request, whether the platform would answer 429.

Each `check(now)` either admits the request (and counts it) or returns how long to wait. `now` is
`time.monotonic()` unless a test passes its own.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


class _Admitting:
    """`check` from `wait` and `take`: admit when nothing is to be waited for."""

    def wait(self, now: float | None = None) -> float:
        raise NotImplementedError

    def take(self, now: float | None = None) -> None:
        raise NotImplementedError

    def check(self, now: float | None = None) -> float:
        """Admit and count a request (0), or return how long to wait (nothing counted)."""
        now = time.monotonic() if now is None else now
        wait = self.wait(now)
        if wait == 0:
            self.take(now)
        return wait


@dataclass
class SlidingWindow(_Admitting):
    """At most `limit` requests in any `window` seconds (the strict reading of "50 requests per second")."""

    limit: int
    window: float
    _admitted: deque[float] = field(default_factory=deque)

    def wait(self, now: float | None = None) -> float:
        """Return 0 if a request would be admitted now, else how long until one would be."""
        now = time.monotonic() if now is None else now
        while self._admitted and self._admitted[0] <= now - self.window:
            self._admitted.popleft()
        if len(self._admitted) < self.limit:
            return 0.0
        return self._admitted[0] + self.window - now

    def take(self, now: float | None = None) -> None:
        """Count an admitted request."""
        self._admitted.append(time.monotonic() if now is None else now)


@dataclass
class TokenBucket(_Admitting):
    """`rate` tokens a second, at most `capacity` stored: after an idle spell `capacity` requests go at once."""

    rate: float
    capacity: float
    _tokens: float = -1.0
    _at: float = 0.0

    def _refill(self, now: float) -> None:
        if self._tokens < 0:  # first use: full
            self._tokens, self._at = self.capacity, now
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def wait(self, now: float | None = None) -> float:
        """Return 0 if a token is there, else how long until one is."""
        now = time.monotonic() if now is None else now
        self._refill(now)
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def take(self, now: float | None = None) -> None:
        """Spend a token (call after `wait` said 0)."""
        self._refill(time.monotonic() if now is None else now)
        self._tokens -= 1


@dataclass
class FixedWindow:
    """Discord's per-route bucket: `limit` requests per window that starts with the first request after a reset.

    `remaining` and `reset_after` are what the `X-RateLimit-Remaining` / `X-RateLimit-Reset-After` headers say.
    """

    limit: int
    per: float
    count: int = 0
    resets_at: float = float("-inf")

    def check(self, now: float | None = None) -> float:
        """Admit and count a request (0), or return how long until the bucket resets (nothing counted)."""
        now = time.monotonic() if now is None else now
        if now >= self.resets_at:
            self.count, self.resets_at = 0, now + self.per
        if self.count < self.limit:
            self.count += 1
            return 0.0
        return self.resets_at - now

    @property
    def remaining(self) -> int:
        """Return how many requests the current window still admits."""
        return self.limit - self.count

    def reset_after(self, now: float | None = None) -> float:
        """Return the seconds until the current window ends."""
        return max(0.0, self.resets_at - (time.monotonic() if now is None else now))
