"""Block Kit rendering is pure: posts become headers, sections, fields and buttons within Slack's limits."""

from __future__ import annotations

import json
import re

from adapters.slack.blocks import FORM_CALLBACK, escape, form_view, read_submission, render, to_mrkdwn, unescape
from bot.rounds import answer_form
from bot.vocabulary import Action, ActionKind, Field, Post

QUESTION = Post(
    title="Question of the day #3",
    body="What is **overfitting**? See [the notes](https://example.org/x).",
    fields=(Field("Topic", "Classical ML"), Field("Difficulty", "🟡 medium")),
    actions=(Action(ActionKind.ANSWER, "7", "Answer", "primary"), Action(ActionKind.REVEAL, "7", "Reveal")),
    kind="question",
)


def test_a_question_is_a_header_text_fields_and_buttons_carrying_the_core_ids() -> None:
    [message] = render(QUESTION)
    types = [b["type"] for b in message.blocks]
    assert types == ["header", "section", "section", "actions"]
    assert message.blocks[0]["text"]["text"] == "Question of the day #3"
    assert message.blocks[1]["text"]["text"] == "What is *overfitting*? See <https://example.org/x|the notes>."
    assert [f["text"] for f in message.blocks[2]["fields"]] == ["*Topic*\nClassical ML", "*Difficulty*\n🟡 medium"]
    answer, reveal = message.blocks[3]["elements"]
    assert answer["action_id"] == answer["value"] == "mlq:answer:7" and answer["style"] == "primary"
    assert reveal["action_id"] == "mlq:reveal:7" and "style" not in reveal
    assert message.text.startswith("Question of the day #3\nWhat is *overfitting*")


def test_a_long_answer_is_split_into_sections_and_messages_without_losing_a_word() -> None:
    paragraphs = [f"Paragraph {i}: " + " ".join(f"word{i}_{j}" for j in range(120)) for i in range(40)]
    post = Post(
        title="Model answer", body="\n\n".join(paragraphs), actions=(Action(ActionKind.NAILED, "q", "Nailed it"),)
    )
    messages = render(post)
    assert len(messages) > 1
    for message in messages:
        assert len(message.blocks) <= 50 and len(message.text) <= 4000
        for block in message.blocks:
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= 3000
    shown = " ".join(b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section")
    assert re.sub(r"\s+", "", shown) == re.sub(r"\s+", "", post.body)
    assert messages[-1].blocks[-1]["type"] == "actions", "the buttons come with the last part"
    assert all(b["type"] != "actions" for m in messages[:-1] for b in m.blocks)


def test_text_is_escaped_but_mentions_and_code_are_kept() -> None:
    assert escape("p < 0.05 & <@U1> in <#C1|study>") == "p &lt; 0.05 &amp; <@U1> in <#C1|study>"
    assert unescape("p &lt; 0.05 &amp;&amp; <#C1|study>") == "p < 0.05 && <#C1|study>"
    assert to_mrkdwn("`a**b**` and ```\n**x** < y\n```") == "`a**b**` and ```\n**x** &lt; y\n```"


def test_a_form_is_a_modal_with_3000_character_inputs_and_the_place_in_its_metadata() -> None:
    view = form_view(answer_form(12).form, "C1", "171.5")
    assert view["callback_id"] == FORM_CALLBACK and len(view["title"]["text"]) <= 24
    [block] = view["blocks"]
    assert block["block_id"] == "answer" and block["element"]["max_length"] == 3000
    assert block["element"]["multiline"] is True
    view["state"] = {"values": {"answer": {"answer": {"type": "plain_text_input", "value": "My answer"}}}}
    submission = read_submission(view)
    assert (submission.form_id, submission.values, submission.channel, submission.thread) == (
        "answer:12",
        {"answer": "My answer"},
        "C1",
        "171.5",
    )
    assert json.loads(view["private_metadata"])["form"] == "answer:12"
