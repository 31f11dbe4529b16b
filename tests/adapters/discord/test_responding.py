"""Answering interactions: within the 3 s, deferring slow work, modals, ephemeral replies, the error boundary."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import discord
import pytest

from adapters.discord.responding import respond
from bot import posts
from bot.rounds import NOT_STORED, answer_form
from bot.vocabulary import Outcome, Reply


class _Response:
    def __init__(self, calls: list[tuple[Any, ...]]) -> None:
        self.calls = calls
        self.done = False

    def is_done(self) -> bool:
        return self.done

    async def defer(self, *, thinking: bool = False, ephemeral: bool = False) -> None:
        self.done = True
        self.calls.append(("defer", thinking, ephemeral))

    async def send_message(self, *, embeds: list[discord.Embed], ephemeral: bool = False, **kw: Any) -> None:
        self.done = True
        self.calls.append(("send", embeds[0].title, ephemeral))

    async def send_modal(self, modal: discord.ui.Modal) -> None:
        self.done = True
        self.calls.append(("modal", modal.custom_id, [c.max_length for c in modal.children]))  # type: ignore[attr-defined]


class _Followup:
    def __init__(self, calls: list[tuple[Any, ...]]) -> None:
        self.calls = calls

    async def send(self, *, embeds: list[discord.Embed], ephemeral: bool = False, **kw: Any) -> None:
        self.calls.append(("followup", embeds[0].title, ephemeral))


class _Interaction:
    def __init__(self, kind: discord.InteractionType) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.type = kind
        self.response = _Response(self.calls)
        self.followup = _Followup(self.calls)
        self.user = type("U", (), {"id": 42})()
        self.guild_id, self.channel_id, self.id = 1, 2, 3
        self.created_at = discord.utils.utcnow()

    async def edit_original_response(self, *, embeds: list[discord.Embed], **kw: Any) -> None:
        self.calls.append(("edit", embeds[0].title))

    async def delete_original_response(self) -> None:
        self.calls.append(("delete",))


COMMAND, CLICK, FORM = (
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
)


async def _after(seconds: float, outcome: Outcome) -> Outcome:
    await asyncio.sleep(seconds)
    return outcome


async def run(
    kind: discord.InteractionType, work: Any, budget: float = 0.05, age: float = 0.0
) -> list[tuple[Any, ...]]:
    interaction = _Interaction(kind)
    interaction.created_at -= timedelta(seconds=age)
    await respond(interaction, work, "test", budget=budget)  # type: ignore[arg-type]
    return interaction.calls


async def test_a_quick_public_reply_is_the_first_response() -> None:
    calls = await run(COMMAND, _after(0, Outcome.of(Reply(posts.info("Question")))))
    assert calls == [("send", "Question", False)]


async def test_slow_work_is_deferred_first_then_the_thinking_message_is_replaced() -> None:
    calls = await run(COMMAND, _after(0.3, Outcome.of(Reply(posts.info("Question")))))
    assert calls == [("defer", True, False), ("edit", "Question")]


async def test_time_spent_before_the_callback_counts_against_the_budget() -> None:
    def work() -> Any:
        return _after(0.4, Outcome.of(Reply(posts.info("Question"))))

    assert await run(COMMAND, work(), budget=1.0) == [("send", "Question", False)]
    # It reached us 0.8 s after Discord sent it: 0.25 s are left, less than the work takes.
    assert await run(COMMAND, work(), budget=1.0, age=0.8) == [("defer", True, False), ("edit", "Question")]
    # Our clock is behind Discord's: a negative age takes nothing off.
    assert await run(COMMAND, work(), budget=1.0, age=-5.0) == [("send", "Question", False)]
    # However old it seems, a quick answer is still the first response (a form must be).
    assert await run(CLICK, _after(0, Outcome.of(answer_form(3))), budget=1.0, age=60) == [
        ("modal", "mlqform:answer:3", [3000])
    ]


async def test_a_private_reply_after_a_public_deferral_replaces_it_privately() -> None:
    calls = await run(COMMAND, _after(0.3, Outcome.of(Reply(posts.error("No"), private=True))))
    assert calls == [("defer", True, False), ("delete",), ("followup", "Not quite", True)]


async def test_a_form_opens_as_a_modal_of_up_to_3000_characters() -> None:
    calls = await run(CLICK, _after(0, Outcome.of(answer_form(3))))
    assert calls == [("modal", "mlqform:answer:3", [3000])]


async def test_a_click_with_nothing_to_say_is_acknowledged_silently() -> None:
    assert await run(CLICK, _after(0, Outcome())) == [("defer", False, False)]


async def test_a_slow_form_submission_thinks_privately() -> None:
    calls = await run(FORM, _after(0.3, Outcome.of(Reply(posts.info("Answer recorded"), private=True))))
    assert calls == [("defer", True, True), ("edit", "Answer recorded")]


async def test_an_unexpected_error_is_a_private_apology_and_a_log_record(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> Outcome:
        raise RuntimeError("database on fire")

    with caplog.at_level(logging.ERROR, logger="adapters.discord.responding"):
        calls = await run(COMMAND, broken())
    assert calls == [("send", "Not quite", True)]
    [record] = caplog.records
    assert "test by user 42 in guild 1 channel 2 failed" in record.getMessage() and record.exc_info


class _Pending:
    """An outcome's unstored round: records when it is kept, and what storing it says."""

    def __init__(self, calls: list[tuple[Any, ...]], says: Outcome) -> None:
        self.calls, self.says = calls, says

    async def keep(self) -> Outcome:
        self.calls.append(("keep",))
        return self.says


async def test_what_the_answer_shows_is_stored_after_it_and_a_failed_store_is_told_privately() -> None:
    for says, told in ((Outcome(), []), (Outcome.of(Reply(posts.error(NOT_STORED), private=True)), [True])):
        interaction = _Interaction(COMMAND)
        pending = _Pending(interaction.calls, says)
        question = Outcome((Reply(posts.info("Question")),), pending)
        await respond(interaction, _after(0, question), "test", budget=0.05)  # type: ignore[arg-type]
        followups = [("followup", "Not quite", private) for private in told]
        assert interaction.calls == [("send", "Question", False), ("keep",), *followups]


async def test_a_round_is_stored_even_when_delivering_its_question_failed(caplog: pytest.LogCaptureFixture) -> None:
    interaction = _Interaction(COMMAND)

    async def refused(**_: Any) -> None:  # a 500 may come after Discord showed the message
        raise discord.HTTPException(type("R", (), {"status": 500, "reason": "Server Error"})(), "boom")

    interaction.response.send_message = refused  # type: ignore[method-assign]
    question = Outcome((Reply(posts.info("Question")),), _Pending(interaction.calls, Outcome()))
    with caplog.at_level(logging.ERROR, logger="adapters.discord.responding"):
        await respond(interaction, _after(0, question), "test", budget=0.05)  # type: ignore[arg-type]
    assert interaction.calls[0] == ("keep",), "stored, since it may have been shown; then the apology is tried"
    assert caplog.records and caplog.records[0].exc_info
