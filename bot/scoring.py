"""The scoring and review rules, in one place (the help text quotes them)."""

from __future__ import annotations

from datetime import timedelta

ANSWER_POINTS = 10
UPVOTE_POINTS = 2
MAX_COUNTED_UPVOTES = 5
SUBSTANTIAL_REPLY_CHARS = 40
SUBSTANTIAL_REPLY_WORDS = 6
FIRST_INTERVAL_DAYS = 2
MAX_INTERVAL_DAYS = 180
REGRADE_WINDOW = timedelta(hours=12)
GRADES = ("nailed", "partly", "missed")
GRADE_LABELS = {"nailed": "Nailed it", "partly": "Partly", "missed": "Missed"}

RULES = (
    f"• Answer a question before its reveal: +{ANSWER_POINTS} (once per question).\n"
    f"• Each upvote from another member on your answer: +{UPVOTE_POINTS}, "
    f"at most {MAX_COUNTED_UPVOTES} upvotes counted per answer.\n"
    "• Streak: consecutive daily questions of a channel you answered before the reveal.\n"
    "• Self-grades earn nothing; they schedule your reviews: Missed is due again tomorrow, "
    f"Partly in 3 days, Nailed it doubles the interval (first {FIRST_INTERVAL_DAYS * 2} days)."
)


def is_substantial(text: str) -> bool:
    """Tell whether a thread reply is a real answer rather than chatter ("+1", "nice")."""
    stripped = text.strip()
    return len(stripped) >= SUBSTANTIAL_REPLY_CHARS and len(stripped.split()) >= SUBSTANTIAL_REPLY_WORDS


def upvote_points(upvotes_now: int) -> int:
    """Return the points the answer's author gets for its `upvotes_now`-th upvote."""
    return UPVOTE_POINTS if upvotes_now <= MAX_COUNTED_UPVOTES else 0


def next_interval(grade: str, previous_days: int | None) -> int:
    """Return days until the next review after a self-grade."""
    if grade == "missed":
        return 1
    if grade == "partly":
        return 3
    return min(MAX_INTERVAL_DAYS, 2 * (previous_days or FIRST_INTERVAL_DAYS))
