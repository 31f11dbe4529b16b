"""Commands about members' progress: leaderboard, stats, review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import posts
from bot.commands.context import Context
from bot.commands.grammar import Command, CommandSpec, Invocation, Kind, OptionSpec
from bot.storage.progress import ProgressRepository
from bot.vocabulary import Action, ActionKind, Field, Outcome, Post, Reply

LEADERBOARD = CommandSpec(
    ("leaderboard",),
    "Show ranks, points and streaks in this server or workspace.",
    (OptionSpec("period", Kind.PERIOD, "week, month or all (default: week)"),),
    example="/mlquestion leaderboard month",
)
STATS = CommandSpec(
    ("stats",),
    "Show answers, streak, points and strongest and weakest topics.",
    (OptionSpec("user", Kind.USER, "a member (default: you)"),),
    example="/mlquestion stats @ada",
)
REVIEW = CommandSpec(("review",), "Privately, get a question that is due for you to review.")
PERIOD_TITLES = {"week": "this week", "month": "this month", "all": "all time"}
MEDALS = ("🥇", "🥈", "🥉")


def period_start(period: str, now: datetime) -> datetime | None:
    """Return when a leaderboard period began (UTC): Monday for the week, the 1st for the month."""
    if period == "week":
        return week_start(now)
    if period == "month":
        return _midnight(now).replace(day=1)
    return None


def week_start(now: datetime) -> datetime:
    """Return the start of this week: Monday, 00:00 UTC."""
    today = _midnight(now)
    return today - timedelta(days=today.weekday())


def _midnight(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def leaderboard(ctx: Context, inv: Invocation) -> Outcome:
    """Show the workspace's leaderboard for a period."""
    period = str(inv.get("period") or "week")
    now = ctx.now()
    async with ctx.services.db.session() as session:
        progress = ProgressRepository(session)
        standings = await progress.leaderboard(ctx.place.platform, ctx.place.workspace, period_start(period, now))
        by_user = await progress.streaks_of(ctx.place.platform, ctx.place.workspace, [s.user for s in standings])
        streaks = {user: max((x.current for x in channels.values()), default=0) for user, channels in by_user.items()}
    title = f"Leaderboard, {PERIOD_TITLES[period]}"
    if not standings:
        return Outcome.of(Reply(posts.info(title, "No points yet. Answer a question to get on the board!")))
    lines = []
    for rank, s in enumerate(standings, 1):
        badge = MEDALS[rank - 1] if rank <= 3 else f"{rank}."
        streak = f", 🔥 {streaks[s.user]}" if streaks.get(s.user) else ""
        lines.append(f"{badge} **{s.display_name}**: {s.points} pts ({s.answers} answered{streak})")
    return Outcome.of(Reply(posts.info(title, "\n".join(lines))))


async def stats(ctx: Context, inv: Invocation) -> Outcome:
    """Show a member's progress."""
    user = str(inv.get("user") or ctx.actor.user)
    platform, workspace = ctx.place.platform, ctx.place.workspace
    now = ctx.now()
    async with ctx.services.db.session() as session:
        progress = ProgressRepository(session)
        summary = await progress.summary(platform, workspace, user, week_start(now), now)
        streaks = await progress.streaks(platform, workspace, user)
        scores = await progress.topic_scores(platform, workspace, user)
    name = summary.display_name
    if name is None and user == ctx.actor.user:
        name = ctx.actor.display_name
    current = max((s.current for s in streaks.values()), default=0)
    best = max((s.best for s in streaks.values()), default=0)
    fields = [
        Field("Answered", str(summary.answered)),
        Field("Points", f"{summary.points} ({summary.points_since} this week)"),
        Field("Streak", f"{current} (best {best})"),
    ]
    bank = ctx.services.bank
    if scores:
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        fields.append(Field("Strongest", f"{bank.topic_name(ranked[0][0])} ({ranked[0][1]:.0%})"))
        if len(ranked) > 1:
            fields.append(Field("Weakest", f"{bank.topic_name(ranked[-1][0])} ({ranked[-1][1]:.0%})"))
    body = "" if scores else "Grade yourself after a reveal to see your strongest and weakest topics."
    if summary.review_due and user == ctx.actor.user:
        body = (body + "\n" if body else "") + "A review is due: `/mlquestion review`."
    return Outcome.of(Reply(posts.info(f"Stats for {name or user}", body, tuple(fields))))


async def review(ctx: Context, inv: Invocation) -> Outcome:
    """Privately serve the member's most overdue review."""
    actor = ctx.actor
    now = ctx.now()
    async with ctx.services.db.session() as session:
        progress = ProgressRepository(session)
        item = await progress.due_review(actor.platform, actor.workspace, actor.user, now)
        upcoming = None if item else await progress.next_review(actor.platform, actor.workspace, actor.user)
    if item is None:
        if upcoming is None:
            body = (
                "Nothing to review yet. After a reveal, grade yourself "
                "(Nailed it / Partly / Missed) to build your queue."
            )
        else:
            body = f"Nothing is due. Your next review is {posts.when(upcoming.due_at, now)}."
        return Outcome.of(Reply(posts.info("Review", body), private=True))
    catalogue = await ctx.services.catalogue(actor.platform, actor.workspace)
    question = catalogue.get(item.question_id)
    if question is None:
        return Outcome.of(Reply(posts.info("Review", "The question due for review was removed."), private=True))
    post = Post(
        title="Review",
        body=question.question,
        fields=(
            Field("Topic", catalogue.bank.topic_name(question.topic)),
            Field("Last grade", item.last_grade),
        ),
        actions=(Action(ActionKind.SHOW_ANSWER, question.id, "Show answer", "primary"),),
        footer="Answer it in your head (or on paper), then check yourself against the model answer.",
        kind="question",
    )
    return Outcome.of(Reply(post, private=True))


COMMANDS = (
    Command(LEADERBOARD, leaderboard),
    Command(STATS, stats),
    Command(REVIEW, review),
)
