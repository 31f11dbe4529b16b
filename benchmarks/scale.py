"""How big the synthetic history is, and the instant it ends."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

# The history ends at 10:00 UTC on a Monday. Every channel posts between 06:00 and 09:59 UTC and
# reveals 5 to 8 hours later, so at NOW today's rounds are open and tomorrow's posts are due in 20-24 h.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
GENERATOR_VERSION = 1  # bump when the generator's output changes: the cached databases are rebuilt


@dataclass(frozen=True)
class Scale:
    """The size of one synthetic history."""

    name: str
    workspaces: int
    members: int
    channels: int
    days: int
    answers: int
    upvotes: int
    grades: int
    seed: int = 20261123

    @property
    def members_per_workspace(self) -> int:
        return self.members // self.workspaces

    @property
    def channels_per_workspace(self) -> int:
        return self.channels // self.workspaces

    @property
    def rounds(self) -> int:
        return self.channels * self.days

    def key(self) -> str:
        """Return a short hash of everything that shapes the generated rows."""
        blob = json.dumps({**asdict(self), "version": GENERATOR_VERSION, "now": NOW.isoformat()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def describe(self) -> str:
        return (
            f"{self.members:,} members in {self.workspaces} workspaces, {self.channels:,} scheduled channels, "
            f"{self.days} days of daily rounds ({self.rounds:,} rounds), {self.answers:,} answers, "
            f"{self.upvotes:,} upvotes, {self.grades:,} self-grades"
        )


FULL = Scale("full", workspaces=50, members=100_000, channels=10_000, days=730, answers=1_000_000,
             upvotes=1_000_000, grades=1_000_000)  # fmt: skip
QUICK = Scale("quick", workspaces=5, members=2_000, channels=200, days=90, answers=20_000,
              upvotes=20_000, grades=20_000)  # fmt: skip
