"""discord.py's REST requests paced by the adapter's trace, against the fake with Discord's rate limits enforced."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest

from adapters.discord.outbound import DiscordOutbound, paced_requests
from adapters.pacing import Pacer
from bot.vocabulary import Place, Post
from tests.fakes.discord_fake import DiscordLimits, FakeDiscord

GUILD = "1"


@pytest.fixture
async def limited() -> AsyncIterator[FakeDiscord]:
    """A fake with a global limit of 100 requests/s and route buckets of 5 per 0.5 s (tests stay fast)."""
    fake = FakeDiscord(limits=DiscordLimits(global_per_second=100, messages_per_channel=5, messages_window=0.5))
    await fake.start()
    yield fake
    await fake.stop()


class Clients:
    """discord.py HTTP clients logged in to the fake, each paced at its own rate; closed at the end."""

    def __init__(self) -> None:
        self.opened: list[discord.http.HTTPClient] = []

    async def paced(self, rate: float) -> discord.http.HTTPClient:
        client = discord.http.HTTPClient(asyncio.get_running_loop(), http_trace=paced_requests(Pacer(rate)))
        await client.static_login("fake-token")
        self.opened.append(client)
        return client


@pytest.fixture
async def clients(limited: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Clients]:
    """Yield a maker of discord.py HTTP clients pointed at the fake."""
    monkeypatch.setattr(discord.http.Route, "BASE", limited.api_base)
    made = Clients()
    yield made
    for client in made.opened:
        await client.close()


def posts(fake: FakeDiscord) -> list[float]:
    """Return when the fake received each successful message post."""
    return [c.at for c in fake.find("POST", r"^/channels/\d+/messages$") if c.status == 200]


async def test_many_concurrent_posts_go_at_the_paced_rate_without_a_429(limited: FakeDiscord, clients: Clients) -> None:
    rate, n = 90.0, 60
    http = await clients.paced(rate)
    outbound = DiscordOutbound(lambda: http)
    started = time.monotonic()
    await asyncio.gather(*(outbound.post(Place("discord", GUILD, str(100 + i)), Post(title=f"#{i}")) for i in range(n)))
    span = time.monotonic() - started
    assert limited.throttled == {}, "the pacer kept under the global limit"
    assert len(posts(limited)) == n
    ideal = (n - 1) / rate
    assert ideal * 0.9 <= span <= ideal * 1.25 + 0.1, f"{n} posts took {span:.3f}s, {ideal:.3f}s at {rate}/s"


async def test_posts_into_one_channel_follow_the_route_bucket_headers(limited: FakeDiscord, clients: Clients) -> None:
    http = await clients.paced(90.0)
    outbound = DiscordOutbound(lambda: http)
    place = Place("discord", GUILD, "200")
    await asyncio.gather(*(outbound.post(place, Post(title=f"#{i}")) for i in range(8)))
    assert limited.throttled == {}, "discord.py paced the route bucket from the X-RateLimit headers"
    times = posts(limited)
    assert len(times) == 8 and times[5] - times[0] >= 0.4, "the sixth post waited for the bucket to reset"


async def test_without_pacing_the_fake_answers_global_429s_that_discord_py_waits_out(
    limited: FakeDiscord, clients: Clients
) -> None:
    http = await clients.paced(100_000.0)
    outbound = DiscordOutbound(lambda: http)
    await asyncio.gather(*(outbound.post(Place("discord", GUILD, str(300 + i)), Post(title="x")) for i in range(150)))
    assert limited.throttled["global"] > 0
    assert len(posts(limited)) == 150, "every post went through in the end"
    times = sorted(posts(limited))
    assert all(b - a >= 1.0 for a, b in zip(times, times[100:], strict=False)), "never 101 in one second"


async def test_the_fake_answers_like_discord_when_over_a_limit(limited: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{limited.api_base}/channels/400/messages"
        answers = []
        for _ in range(6):
            async with session.post(url, json={"content": "x"}) as resp:
                answers.append((resp.status, dict(resp.headers), await resp.json()))
        assert [status for status, _, _ in answers] == [200] * 5 + [429]
        assert [h["X-RateLimit-Remaining"] for _, h, _ in answers[:5]] == ["4", "3", "2", "1", "0"]
        assert all(h["X-RateLimit-Limit"] == "5" and "X-RateLimit-Bucket" in h for _, h, _ in answers)
        _, headers, body = answers[5]
        assert body["global"] is False and 0 < body["retry_after"] <= 0.5 and headers["X-RateLimit-Scope"] == "user"
        for _ in range(100 - 6):
            async with session.get(f"{limited.api_base}/users/@me"):
                pass
        async with session.get(f"{limited.api_base}/users/@me") as resp:
            body = await resp.json()
            assert resp.status == 429 and body["global"] is True and body["message"] == "You are being rate limited."
            assert resp.headers["X-RateLimit-Global"] == "true" and resp.headers["X-RateLimit-Scope"] == "global"
            assert int(resp.headers["Retry-After"]) >= 1
        async with session.post(f"{limited.api_base}/interactions/1/tok/callback", json={"type": 5}) as resp:
            assert resp.status == 200, "interaction callbacks are exempt from the global limit"
    assert limited.throttled == {"route": 1, "global": 1}


async def test_interaction_answers_skip_the_queue(limited: FakeDiscord, clients: Clients) -> None:
    http = await clients.paced(4.0)  # a token every quarter of a second
    outbound = DiscordOutbound(lambda: http)
    backlog = asyncio.gather(*(outbound.post(Place("discord", GUILD, str(500 + i)), Post(title="x")) for i in range(3)))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    callback = discord.http.Route("POST", "/interactions/{id}/{token}/callback", id=1, token="tok")
    await http.request(callback, json={"type": 5})
    assert time.monotonic() - started < 0.2, "the interaction answer waited behind the paced posts"
    await backlog
    assert len(posts(limited)) == 3
