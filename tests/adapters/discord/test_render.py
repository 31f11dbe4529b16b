"""Rendering core posts as Discord payloads: embeds, buttons, limits, thread names and archive times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.discord.render import (
    DESCRIPTION_LIMIT,
    MESSAGE_EMBED_TOTAL,
    archive_minutes,
    components,
    render,
    thread_name,
)
from bot import posts
from bot.content.bank import load_bank
from bot.vocabulary import Action, ActionKind, Field, Post


def test_a_question_is_one_embed_with_its_fields_and_persistent_buttons() -> None:
    bank = load_bank()
    question = bank.matching()[0]
    post = posts.question_post(question, bank.topic_name(question.topic), 7, 3)
    [message] = render(post)
    [embed] = message.embeds
    assert embed["title"] == "Question of the day #3"
    assert embed["description"] == question.question
    assert [f["name"] for f in embed["fields"]] == ["Topic", "Difficulty", "Id"]
    [row] = message.components
    assert [(b["label"], b["custom_id"], b["style"]) for b in row["components"]] == [
        ("Answer", "mlq:answer:7", 1),
        ("Reveal", "mlq:reveal:7", 2),
    ]
    assert message.payload()["allowed_mentions"] == {"parse": []}


def test_a_long_reveal_is_split_over_messages_within_every_limit_and_nothing_is_lost() -> None:
    code = "```python\n" + "\n".join(f"loss_{i} = criterion(model(x_{i}), y_{i})" for i in range(250)) + "\n```"
    body = "\n\n".join([("Explanation. " * 200).strip(), code, ("Summary. " * 300).strip()])
    post = Post(
        title="Model answer",
        body=body,
        fields=(Field("Round", "2 members answered.", inline=False),),
        actions=tuple(Action(ActionKind(g), "q-1", g.title()) for g in ("nailed", "partly", "missed")),
        footer="Grade yourself.",
        kind="reveal",
    )
    messages = render(post)
    assert len(messages) > 2
    for message in messages:
        assert message.size() <= MESSAGE_EMBED_TOTAL
        assert all(len(e.get("description", "")) <= DESCRIPTION_LIMIT for e in message.embeds)
        assert all(d.count("```") % 2 == 0 for e in message.embeds if (d := e.get("description")))
    assert messages[0].embeds[0]["title"] == "Model answer"
    assert all("title" not in m.embeds[0] for m in messages[1:])
    assert [m.components != () for m in messages] == [False] * (len(messages) - 1) + [True], "buttons on the last"
    assert messages[-1].embeds[0]["fields"][0]["value"] == "2 members answered."
    joined = " ".join(m.embeds[0]["description"] for m in messages)
    assert joined.count("Explanation.") == 200 and joined.count("Summary.") == 300 and "loss_249" in joined


def test_a_field_over_1024_characters_moves_into_the_body() -> None:
    post = Post(title="Leaderboard", body="Top", fields=(Field("Ranks", "x" * 1500),))
    [message] = render(post)
    assert "fields" not in message.embeds[0]
    assert "x" * 1500 in message.embeds[0]["description"]


def test_a_title_over_256_characters_is_kept_whole_in_the_body() -> None:
    title = "T" * 300
    [message] = render(Post(title=title, body="b"))
    assert len(message.embeds[0]["title"]) == 256
    assert title in message.embeds[0]["description"]


def test_buttons_go_five_to_a_row() -> None:
    rows = components(tuple(Action(ActionKind.UPVOTE, str(i), f"#{i}") for i in range(7)))
    assert [len(r["components"]) for r in rows] == [5, 2]


@pytest.mark.parametrize(
    ("after", "minutes"),
    [
        (timedelta(minutes=30), 60),
        (timedelta(hours=1), 60),
        (timedelta(hours=1, minutes=1), 1440),
        (timedelta(hours=8), 1440),
        (timedelta(days=2), 4320),
        (timedelta(days=5), 10080),
        (timedelta(days=30), 10080),
    ],
)
def test_archive_time_is_rounded_up_to_what_discord_allows(after: timedelta, minutes: int) -> None:
    assert archive_minutes(after) == minutes


def test_thread_names_fit_100_characters() -> None:
    long = thread_name("#1 " + "why " * 60)
    assert len(long) <= 100 and long.endswith("…")
    assert thread_name("  ") == "Discussion"
    assert thread_name("#2 Short") == "#2 Short"
