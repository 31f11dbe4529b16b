"""Commands that serve questions: random, show, topics."""

from __future__ import annotations

from bot import posts
from bot.commands.context import Context
from bot.commands.grammar import Command, CommandSpec, Invocation, Kind, OptionSpec
from bot.content.question import Difficulty
from bot.rounds import Rounds
from bot.vocabulary import Outcome, Reply

RANDOM = CommandSpec(
    ("random",),
    "Get a fresh question in this channel, with Answer and Reveal buttons.",
    (
        OptionSpec("topic", Kind.TOPIC, "a topic, such as cnn or statistics"),
        OptionSpec("difficulty", Kind.DIFFICULTY, "easy, medium or hard"),
    ),
    example="/mlquestion random cnn hard",
)
SHOW = CommandSpec(
    ("show",),
    "Ask one question by its id.",
    (OptionSpec("id", Kind.QUESTION_ID, "the question's id, such as cnn-max-pooling", required=True),),
    example="/mlquestion show cnn-max-pooling",
)
TOPICS = CommandSpec(("topics",), "List the topics and how many questions each has.")


async def random_question(ctx: Context, inv: Invocation) -> Outcome:
    """Serve a fresh question, optionally of one topic and difficulty."""
    topic = inv.get("topic")
    difficulty = inv.get("difficulty")
    assert topic is None or isinstance(topic, str)
    assert difficulty is None or isinstance(difficulty, Difficulty)
    topics = (topic,) if topic else ()
    return await Rounds(ctx.services).serve(ctx.actor, ctx.place, topics, difficulty, ctx.answer_first)


async def show(ctx: Context, inv: Invocation) -> Outcome:
    """Serve the question with this id."""
    return await Rounds(ctx.services).serve_by_id(ctx.actor, ctx.place, str(inv.get("id")), ctx.answer_first)


async def topics(ctx: Context, inv: Invocation) -> Outcome:
    """List the topics with their question counts."""
    catalogue = await ctx.services.catalogue(ctx.place.platform, ctx.place.workspace)
    counts = catalogue.counts()
    lines = [f"• `{t.slug}`: {t.name} ({counts.get(t.slug, 0)})" for t in ctx.services.bank.topics]
    total = sum(counts.values())
    body = "\n".join(lines) + f"\n\n{total} questions. Try `/mlquestion random <topic> [easy|medium|hard]`."
    return Outcome.of(Reply(posts.info("Topics", body)))


COMMANDS = (
    Command(RANDOM, random_question),
    Command(SHOW, show),
    Command(TOPICS, topics),
)
