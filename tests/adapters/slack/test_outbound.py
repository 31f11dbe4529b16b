"""The outbound port over a real AsyncWebClient talking to the loopback fake."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.slack.adapter import api_base, make_client
from adapters.slack.outbound import SlackOutbound
from adapters.slack.people import People
from bot.errors import PlatformRefusedError
from bot.vocabulary import Actor, MessageRef, Place, Post
from tests.adapters.slack.conftest import ADA, ADMIN
from tests.fakes.slack_fake import SlackFake

PLACE = Place("slack", "T1", "C1")


def outbound(fake: SlackFake) -> SlackOutbound:
    return SlackOutbound(make_client("xoxb-test", fake.api_base.rstrip("/")))


def test_the_api_base_gets_its_trailing_slash() -> None:
    assert api_base("http://127.0.0.1:9/api") == "http://127.0.0.1:9/api/"
    assert api_base("http://127.0.0.1:9/api/") == "http://127.0.0.1:9/api/"
    assert api_base(None) is None and api_base("") is None


async def test_a_post_waits_out_a_429_and_goes_through(fake: SlackFake) -> None:
    fake.rate_limit["chat.postMessage"] = 1
    ref = await outbound(fake).post(PLACE.in_thread("171.1"), Post(title="Hello", body="World"))
    calls = fake.of("chat.postMessage")
    assert len(calls) == 2, "the AsyncRateLimitErrorRetryHandler retried after Retry-After"
    assert ref == MessageRef(PLACE.in_thread("171.1"), calls[1].ts) and calls[1].args["thread_ts"] == "171.1"


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel"])
async def test_a_refused_post_is_a_platform_refusal(fake: SlackFake, error: str) -> None:
    fake.refuse["C1"] = error
    with pytest.raises(PlatformRefusedError, match=error):
        await outbound(fake).post(PLACE, Post(title="Question"))


async def test_threads_need_no_call_and_reactions_use_slack_names(fake: SlackFake) -> None:
    port = outbound(fake)
    thread = await port.open_thread(MessageRef(PLACE, "171.2"), "#1 What is bias?", timedelta(days=1))
    assert thread == PLACE.in_thread("171.2") and fake.calls == []
    await port.react(MessageRef(thread, "171.3"), "✅")
    [react] = fake.of("reactions.add")
    assert react.args == {"channel": "C1", "timestamp": "171.3", "name": "white_check_mark"}
    await port.update(MessageRef(PLACE, "171.2"), Post(title="Closed"))
    assert fake.of("chat.update")[0].args["ts"] == "171.2"
    await port.send_private(Actor("slack", "T1", ADA, "Ada"), thread, Post(title="Only you"))
    [private] = fake.of("chat.postEphemeral")
    assert private.args["user"] == ADA and private.args["thread_ts"] == "171.2"


async def test_admins_are_workspace_admins_or_listed_and_users_info_is_cached(fake: SlackFake) -> None:
    people = People(make_client("xoxb-test", fake.api_base), admins={"ULISTED"})
    boss = await people.actor("T1", ADMIN)
    assert boss.is_admin and boss.display_name == "Boss"
    assert (await people.actor("T1", ADMIN)).is_admin
    assert len([c for c in fake.of("users.info") if c.args["user"] == ADMIN]) == 1, "cached"
    assert not (await people.actor("T1", ADA)).is_admin
    listed = await people.actor("T1", "ULISTED")
    assert listed.is_admin and listed.user == "ULISTED"
    fake.users["UOWNER1"] = {"name": "Owner", "is_owner": True}
    assert (await people.actor("T1", "UOWNER1")).is_admin
