"""The adapter's one error boundary: anything unexpected becomes a private apology and a log record."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.slack.adapter import make_client
from adapters.slack.replies import Request, answer
from bot.vocabulary import Actor, Outcome, Place, Post, Reply
from tests.fakes.slack_fake import SlackFake

PLACE = Place("slack", "T1", "C1")
ADA = Actor("slack", "T1", "UADA", "Ada")


class Responder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.sent.append(kwargs)


async def test_an_unexpected_error_is_a_private_apology_and_a_log_record(
    fake: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    respond = Responder()
    request = Request(ADA, PLACE, make_client("xoxb-test", fake.api_base), respond)

    async def broken() -> Outcome:
        raise RuntimeError("database on fire")

    with caplog.at_level(logging.ERROR):
        await answer("/mlquestion stats", request, broken)
    [apology] = respond.sent
    assert apology["response_type"] == "ephemeral" and "Sorry" in apology["text"]
    assert "database on fire" not in apology["text"] and "Traceback" not in apology["text"]
    [record] = caplog.records
    assert "/mlquestion stats" in record.getMessage() and "UADA" in record.getMessage()
    assert "C1" in record.getMessage() and record.exc_info is not None


async def test_a_public_reply_where_the_bot_is_not_a_member_answers_in_channel(fake: SlackFake) -> None:
    fake.refuse["C1"] = "not_in_channel"
    respond = Responder()
    request = Request(ADA, PLACE, make_client("xoxb-test", fake.api_base), respond)

    async def question() -> Outcome:
        return Outcome.of(Reply(Post(title="Practice question", body="Why?")))

    await answer("/mlquestion", request, question)
    [sent] = respond.sent
    assert sent["response_type"] == "in_channel" and sent["blocks"][0]["text"]["text"] == "Practice question"
