"""What the bot says, as render-neutral posts. Adapters only translate these."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.content.question import Difficulty, Question
from bot.scoring import GRADE_LABELS, GRADES
from bot.storage.rounds import AnswerSummary
from bot.vocabulary import Action, ActionKind, Field, Post

DIFFICULTY_BADGE = {
    Difficulty.EASY: "🟢 easy",
    Difficulty.MEDIUM: "🟡 medium",
    Difficulty.HARD: "🔴 hard",
}
MAX_THREAD_NAME = 100


def question_post(question: Question, topic_name: str, round_ref: int | str, number: int | None) -> Post:
    """Return a question with its Answer and Reveal buttons (they name the round by its id or its token)."""
    title = f"Question of the day #{number}" if number else "Practice question"
    return Post(
        title=title,
        body=question.question,
        fields=(
            Field("Topic", topic_name),
            Field("Difficulty", DIFFICULTY_BADGE[question.difficulty]),
            Field("Id", f"`{question.id}`"),
        ),
        actions=(
            Action(ActionKind.ANSWER, str(round_ref), "Answer", "primary"),
            Action(ActionKind.REVEAL, str(round_ref), "Reveal"),
        ),
        kind="question",
    )


def closed_question_post(question: Question, topic_name: str, number: int | None) -> Post:
    """Return the question post as it looks after the reveal (no more answering)."""
    title = f"Question of the day #{number}" if number else "Practice question"
    return Post(
        title=f"{title} (revealed)",
        body=question.question,
        fields=(
            Field("Topic", topic_name),
            Field("Difficulty", DIFFICULTY_BADGE[question.difficulty]),
        ),
        kind="question",
    )


def thread_name(question: Question, number: int | None) -> str:
    """Return the discussion thread's name, within the platforms' 100-character limit."""
    prefix = f"#{number} " if number else ""
    name = prefix + question.question
    return name if len(name) <= MAX_THREAD_NAME else name[: MAX_THREAD_NAME - 1].rstrip() + "…"


def answer_post(display_name: str, text: str, answer_id: int) -> Post:
    """Return a member's answer as posted in the discussion, with an Upvote button."""
    return Post(
        title=f"Answer from {display_name}",
        body=text,
        actions=(Action(ActionKind.UPVOTE, str(answer_id), "Upvote"),),
        author=display_name,
        kind="answer",
    )


def grade_actions(question_id: str) -> tuple[Action, ...]:
    """Return the self-grade buttons for a question."""
    styles = {"nailed": "success", "partly": "secondary", "missed": "danger"}
    return tuple(Action(ActionKind(g), question_id, GRADE_LABELS[g], styles[g]) for g in GRADES)


def reveal_post(question: Question, number: int | None, summary: list[AnswerSummary]) -> Post:
    """Return the model answer with its key points, the round's summary and grade buttons."""
    key_points = "\n".join(f"• {point}" for point in question.key_points)
    body = f"{question.answer}\n\n**Key points**\n{key_points}"
    if question.follow_ups:
        body += "\n\n**Follow-ups to try**\n" + "\n".join(f"• {f}" for f in question.follow_ups)
    return Post(
        title=f"Model answer: question of the day #{number}" if number else "Model answer",
        body=body,
        fields=(Field("Round", round_summary(summary), inline=False),),
        actions=grade_actions(question.id),
        footer="How did you do? Grade yourself to schedule your reviews (grades earn no points).",
        kind="reveal",
    )


def round_summary(summary: list[AnswerSummary]) -> str:
    """Say how many answered and whose answer was upvoted most."""
    if not summary:
        return "Nobody answered this one. The next question is a fresh chance!"
    people = "1 member answered" if len(summary) == 1 else f"{len(summary)} members answered"
    top = summary[0]
    if top.upvotes == 0:
        return f"{people}. No upvotes this time."
    votes = "1 upvote" if top.upvotes == 1 else f"{top.upvotes} upvotes"
    return f"{people}. Most upvoted: {top.display_name} ({votes})."


def info(title: str, body: str = "", fields: tuple[Field, ...] = ()) -> Post:
    """Return a plain informational post."""
    return Post(title=title, body=body, fields=fields, kind="info")


def error(message: str) -> Post:
    """Return a private explanation of what went wrong and how to fix it."""
    return Post(title="Not quite", body=message, kind="error")


def when(moment: datetime, now: datetime) -> str:
    """Say when something happens, relative to now (`in 3h 20m`)."""
    delta = moment - now
    if delta <= timedelta(0):
        return "now"
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if mins and not days:
        parts.append(f"{mins}m")
    return "in " + (" ".join(parts) or "under a minute")
