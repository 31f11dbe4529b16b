"""Admins add their community's own questions: `add`, a form, stored for their workspace only."""

from __future__ import annotations

from collections.abc import Mapping

from bot import posts
from bot.commands.context import Context
from bot.commands.grammar import Command, CommandSpec, Invocation
from bot.content.bank import parse_difficulty
from bot.errors import UsageError
from bot.storage.library import LibraryRepository
from bot.storage.models import CustomQuestion
from bot.vocabulary import Actor, Form, FormField, OpenForm, Outcome, Reply

ADD = CommandSpec(("add",), "Add your community's own question (opens a form).", admin=True)
ADD_FORM = Form(
    form_id="add",
    title="Add a question",
    fields=(
        FormField("question", "Question", "What does a p-value mean?", 300, 10, multiline=False),
        FormField("topic", "Topic", "statistics (see /mlquestion topics)", 40, 2, multiline=False),
        FormField("difficulty", "Difficulty", "easy, medium or hard", 6, 4, multiline=False),
        FormField("answer", "Model answer", "The answer, in Markdown.", 3000, 20),
        FormField("key_points", "Key points (one per line)", "What a good answer must mention.", 1000, 5),
    ),
)


async def add(ctx: Context, inv: Invocation) -> Outcome:
    """Open the form for a new question."""
    return Outcome.of(OpenForm(ADD_FORM))


async def submit_question(ctx: Context, values: Mapping[str, str]) -> Outcome:
    """Check and store a new question for this workspace; explain anything wrong, keeping the text."""
    ctx.require_admin("add questions")
    actor: Actor = ctx.actor
    text = {k: (values.get(k) or "").strip() for k in ("question", "topic", "difficulty", "answer", "key_points")}
    kept = "\n".join(f"{k}: {v}" for k, v in text.items() if v)
    try:
        if not 10 <= len(text["question"]) <= 300:
            raise UsageError("The question must be 10 to 300 characters.")
        topic = ctx.services.bank.topic(text["topic"]).slug
        difficulty = parse_difficulty(text["difficulty"])
        if not 20 <= len(text["answer"]) <= 3000:
            raise UsageError("The model answer must be 20 to 3,000 characters.")
        points = [line.strip(" -•*\t") for line in text["key_points"].splitlines() if line.strip(" -•*\t")]
        if not 1 <= len(points) <= 6:
            raise UsageError("Write 1 to 6 key points, one per line.")
    except UsageError as exc:
        raise UsageError(f"{exc.message}\n\nWhat you wrote, so nothing is lost:\n{kept}") from None
    now = ctx.now()
    async with ctx.services.db.session() as session:
        library = LibraryRepository(session)
        number = await library.next_custom_number(actor.platform, actor.workspace)
        question_id = f"{topic}-custom-{number}"
        await library.add_custom(
            CustomQuestion(
                platform=actor.platform,
                workspace=actor.workspace,
                question_id=question_id,
                question=text["question"],
                topic=topic,
                difficulty=difficulty.value,
                answer=text["answer"],
                key_points=points,
                created_by=actor.user,
                created_at=now,
            )
        )
    ctx.services.forget_catalogue(actor.platform, actor.workspace)
    body = f"`{question_id}` is in this workspace's bank. Ask it with `/mlquestion show {question_id}`."
    return Outcome.of(Reply(posts.info("Question added", body), private=True))


COMMANDS = (Command(ADD, add),)
