"""The outbound port: refusals for good become PlatformRefusedError; others pass through."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from adapters.discord.outbound import DiscordOutbound, refusal
from bot.errors import PlatformRefusedError
from bot.vocabulary import MessageRef, Place, Post


def http_error(status: int, code: int, message: str = "nope") -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason=message)
    if status == 403:
        return discord.Forbidden(response, {"code": code, "message": message})  # type: ignore[arg-type]
    if status == 404:
        return discord.NotFound(response, {"code": code, "message": message})  # type: ignore[arg-type]
    return discord.HTTPException(response, {"code": code, "message": message})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "code"),
    [(403, 50001), (403, 50013), (404, 10003), (400, 50083), (403, 160005)],
)
def test_missing_access_unknown_channel_and_archived_or_locked_threads_are_refusals(status: int, code: int) -> None:
    reason = refusal(http_error(status, code))
    assert reason is not None and str(status) in reason and str(code) in reason


@pytest.mark.parametrize(("status", "code"), [(400, 50035), (500, 0), (413, 40005)])
def test_other_errors_are_not_refusals(status: int, code: int) -> None:
    assert refusal(http_error(status, code)) is None


class _Http:
    def __init__(self, error: discord.HTTPException | None = None) -> None:
        self.error = error
        self.requests: list[tuple[str, str, Any]] = []

    async def request(self, route: discord.http.Route, json: Any = None) -> Any:
        self.requests.append((route.method, route.url, json))
        if self.error is not None:
            raise self.error
        return {"id": str(len(self.requests))}


PLACE = Place("discord", "1", "10", "20")


async def test_posting_in_an_archived_thread_is_refused_so_the_core_can_fall_back() -> None:
    http = _Http(http_error(400, 50083, "Thread is archived"))
    outbound = DiscordOutbound(lambda: http)  # type: ignore[arg-type, return-value]
    with pytest.raises(PlatformRefusedError, match="50083"):
        await outbound.post(PLACE, Post(title="Model answer", body="b"))
    assert http.requests[0][1].endswith("/channels/20/messages"), "a place with a thread posts in the thread"


async def test_a_validation_error_is_not_retried_nor_turned_into_a_refusal() -> None:
    http = _Http(http_error(400, 50035, "Invalid Form Body"))
    outbound = DiscordOutbound(lambda: http)  # type: ignore[arg-type, return-value]
    with pytest.raises(discord.HTTPException):
        await outbound.post(PLACE, Post(title="t"))
    assert len(http.requests) == 1


async def test_react_and_update_use_the_thread_of_the_message() -> None:
    http = _Http()
    outbound = DiscordOutbound(lambda: http)  # type: ignore[arg-type, return-value]
    await outbound.react(MessageRef(PLACE, "30"), "✅")
    await outbound.update(MessageRef(Place("discord", "1", "10"), "31"), Post(title="closed"))
    assert http.requests[0][0] == "PUT" and "/channels/20/messages/30/reactions/%E2%9C%85/@me" in http.requests[0][1]
    assert http.requests[1][0] == "PATCH" and http.requests[1][1].endswith("/channels/10/messages/31")
    assert http.requests[1][2]["components"] == []


async def test_a_closed_dm_is_skipped_quietly() -> None:
    http = _Http(http_error(403, 50007, "Cannot send messages to this user"))
    outbound = DiscordOutbound(lambda: http)  # type: ignore[arg-type, return-value]
    actor = SimpleNamespace(user="5")
    await outbound.send_private(actor, PLACE, Post(title="Not quite"))  # type: ignore[arg-type]
