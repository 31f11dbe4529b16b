"""Streaks computed in the database (gaps and islands) agree with counting the rounds one by one."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from bot.storage.database import Database
from bot.storage.models import Answer, Round
from bot.storage.progress import ProgressRepository, Streak

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
USERS = ("ada", "grace", "alan")


def reference_streak(rounds_newest_first: list[tuple[str, bool]]) -> Streak:
    """The rule, round by round: consecutive answered daily rounds; an open round not yet answered does not break it."""
    current = 0
    counting = True
    best = run = 0
    for index, (state, answered) in enumerate(rounds_newest_first):
        if answered:
            run += 1
            if counting:
                current += 1
        else:
            if not (index == 0 and state == "open"):
                counting = False
            best = max(best, run)
            run = 0
    return Streak(current, max(best, run))


async def test_streaks_match_the_rule_on_random_histories(db: Database) -> None:
    rng = random.Random(3)
    expected: dict[str, dict[str, Streak]] = {}
    async with db.session() as session:
        for c in range(6):
            channel = f"C{c}"
            days = rng.randint(1, 40)
            history: list[tuple[str, set[str]]] = []
            for d in range(days):
                last = d == days - 1
                state = rng.choice(["open", "posting"]) if last else rng.choices(["revealed", "failed"], [9, 1])[0]
                who = {u for u in USERS if rng.random() < (0.8 if u == "ada" else 0.4)}
                round_ = Round(
                    platform="slack",
                    workspace="T1",
                    channel=channel,
                    question_id=f"q{d}",
                    kind="daily",
                    number=d + 1,
                    local_date=date(2026, 1, 1) + timedelta(days=d),
                    state=state,
                    claimed_at=T0 + timedelta(days=d),
                    opened_at=T0 + timedelta(days=d),
                    reveal_due_at=T0 + timedelta(days=d, hours=8),
                )
                session.add(round_)
                await session.flush()
                for user in who:
                    session.add(
                        Answer(
                            round_id=round_.id,
                            platform="slack",
                            workspace="T1",
                            user=user,
                            display_name=user,
                            text="an answer",
                            source="form",
                            created_at=T0 + timedelta(days=d, hours=1),
                        )
                    )
                history.append((state, who))
            counted = [(state, who) for state, who in reversed(history) if state in ("open", "revealing", "revealed")]
            for user in USERS:
                if any(user in who for _, who in history):
                    expected.setdefault(user, {})[channel] = reference_streak(
                        [(state, user in who) for state, who in counted]
                    )
    async with db.session() as session:
        progress = ProgressRepository(session)
        assert await progress.streaks_of("slack", "T1", list(USERS)) == expected
        for user in USERS:
            assert await progress.streaks("slack", "T1", user) == expected.get(user, {})
        assert await progress.streaks("slack", "T1", "nobody") == {}
        assert await progress.streaks("slack", "T2", "ada") == {}
