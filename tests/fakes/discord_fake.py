"""A loopback fake of Discord: REST under /api/v10 and the gateway websocket on one aiohttp port.

It answers from recorded payloads (tests/adapters/discord/payloads), records every REST call the
bot makes, pushes gateway dispatches the test asks for, and can refuse (403/404) or rate-limit
(429) chosen routes.

With `limits=DiscordLimits()` it also enforces Discord's rate limits as Discord answers them
(discord-api-docs topics/rate-limits.mdx): the global 50 requests/s per bot (a sliding window of one
second, the strict reading; interaction callbacks and webhooks are exempt) and the per-route bucket of
`POST /channels/{id}/messages`, 5 per 5 s per channel, whose `X-RateLimit-*` headers come with every
answer of that route (discord.py paces its route buckets from them). Over a limit: 429, counted in
`throttled`.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.limits import FixedWindow, SlidingWindow

PAYLOADS = Path(__file__).resolve().parents[1] / "adapters" / "discord" / "payloads"
GUILD_ID = "135197118292819968"  # the recorded GUILD_CREATE's guild
CHANNEL_ID = "263607951971975168"  # its text channel "test2"
BOT_ID = "344487830824943618"  # the recorded READY's user and application
MESSAGE_CONTENT_FLAG = 1 << 19  # GATEWAY_MESSAGE_CONTENT_LIMITED
MESSAGE_CONTENT_INTENT = 1 << 15
MESSAGES_BUCKET = "f4ke0b5e55a9e5b0c4e7"  # the X-RateLimit-Bucket of POST /channels/{id}/messages
RATE_LIMITED = "You are being rate limited."
Json = dict[str, Any]


def load(name: str) -> Any:
    """Return a recorded payload."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    body: Any = None
    status: int = 200
    at: float = field(default_factory=time.time)  # when the fake received it (epoch seconds)


@dataclass(frozen=True)
class DiscordLimits:
    """The rate limits the fake enforces when given them; the figures are Discord's."""

    global_per_second: int = 50  # per bot; interaction callbacks and webhooks are exempt
    messages_per_channel: int = 5  # POST /channels/{id}/messages, per channel (or thread) ...
    messages_window: float = 5.0  # ... per this many seconds


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Json
    times: int | None
    headers: dict[str, str] = field(default_factory=dict)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body only when Content-Type is exactly application/json (no charset).
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers={"Content-Type": "application/json", **(headers or {})})


def _too_many(wait: float, is_global: bool, headers: dict[str, str]) -> web.Response:
    retry_after = math.ceil(wait * 1000) / 1000
    body = {"message": RATE_LIMITED, "retry_after": retry_after, "global": is_global}
    # Discord's answers come through its proxy with `Via`; discord.py takes a 429 without it for a Cloudflare ban.
    headers = {**headers, "Retry-After": str(math.ceil(wait)), "Via": "1.1 google"}
    return _json(body, 429, headers)


class FakeDiscord:
    """Discord on 127.0.0.1: start it, point the bot at `api_base` / `gateway_url`, push events, read `calls`."""

    def __init__(
        self,
        *,
        message_content: bool = True,
        advertise_content: bool | None = None,
        limits: DiscordLimits | None = None,
    ) -> None:
        # message_content: the gateway accepts the intent; advertise_content: the app info's flag says it is on.
        # limits: enforce Discord's rate limits (429s are counted in `throttled`: "global" and "route").
        self.limits = limits
        self.throttled: Counter[str] = Counter()
        self._global = SlidingWindow(limits.global_per_second, 1.0) if limits else None
        self._buckets: dict[str, FixedWindow] = {}
        self.message_content = message_content
        self.advertise_content = message_content if advertise_content is None else advertise_content
        self.calls: list[Call] = []
        self.messages: dict[str, Json] = {}
        self.threads: dict[str, Json] = {}
        self.commands: dict[str, list[Json]] = {}
        self.identifies: list[Json] = []
        self.closes: list[int] = []
        self._rules: list[_Rule] = []
        self._ids = itertools.count(1_400_000_000_000_000_000)
        self._seq = itertools.count(1)
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self.port = 0

    # Life cycle

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close the gateway and the server."""
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        """Return the value for MLQ_DISCORD_API_BASE."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Return the value for MLQ_DISCORD_GATEWAY_URL."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # Hooks

    def refuse(
        self, method: str, path: str, status: int = 403, code: int = 50001, message: str = "Missing Access"
    ) -> None:
        """Answer requests whose path matches `path` (a regex) with a Discord error, every time."""
        self._rules.append(_Rule(method, re.compile(path), status, {"message": message, "code": code}, None))

    def rate_limit(self, method: str, path: str, retry_after: float = 0.3, times: int = 1) -> None:
        """Answer the next `times` matching requests with 429 and `retry_after`."""
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        # Discord's 429s come through its proxy with `Via`; discord.py takes a 429 without it for a Cloudflare ban.
        headers = {
            "Retry-After": str(retry_after),
            "Via": "1.1 google",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "user",
        }
        self._rules.append(_Rule(method, re.compile(path), 429, body, times, headers))

    # Gateway

    async def push(self, event: str, data: Json) -> None:
        """Send a dispatch (op 0) to the connected bot."""
        if self._ws is None or self._ws.closed:
            raise AssertionError("the bot is not connected to the fake gateway")
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps(load("gateway_hello_recorded")))
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            op = message.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                await self._identify(ws, message["d"])
            elif op == 6:
                await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}}))
        await self._note()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, identify: Json) -> None:
        self.identifies.append(identify)
        if identify.get("intents", 0) & MESSAGE_CONTENT_INTENT and not self.message_content:
            self.closes.append(4014)
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        ready = load("gateway_ready_recorded")["d"]
        ready["guilds"] = [{"unavailable": True, "id": GUILD_ID}]
        ready["resume_gateway_url"] = self.gateway_url
        await self.push("READY", ready)
        guild = load("gateway_guild_create_recorded")["d"]
        guild["threads"] = [t for t in self.threads.values() if not t["thread_metadata"]["archived"]]
        await self.push("GUILD_CREATE", guild)
        await self._note()

    # REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw and request.content_type == "application/json" else raw.decode()
        call = Call(request.method, path, body)
        self.calls.append(call)
        limited, headers = self._enforce(request.method, path)
        if limited is not None:
            call.status = limited.status
            await self._note()
            return limited
        for rule in self._rules:
            if rule.method == request.method and rule.pattern.search(path) and rule.times != 0:
                if rule.times is not None:
                    rule.times -= 1
                call.status = rule.status
                await self._note()
                return _json(rule.body, rule.status, rule.headers)
        response = self._route(request.method, path, body)
        response.headers.update(headers)
        call.status = response.status
        await self._note()
        return response

    # Rate limits

    def _enforce(self, method: str, path: str) -> tuple[web.Response | None, dict[str, str]]:
        """Return (a 429 to answer, or None; the route's X-RateLimit headers for the answer)."""
        if self.limits is None or self._global is None:
            return None, {}
        parts = path.strip("/").split("/")
        if parts[0] not in ("interactions", "webhooks"):
            wait = self._global.check()
            if wait > 0:
                self.throttled["global"] += 1
                headers = {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
                return _too_many(wait, True, headers), {}
        if not (method == "POST" and len(parts) == 3 and parts[0] == "channels" and parts[2] == "messages"):
            return None, {}
        bucket = self._buckets.get(parts[1])
        if bucket is None:
            bucket = self._buckets[parts[1]] = FixedWindow(
                self.limits.messages_per_channel, self.limits.messages_window
            )
        wait = bucket.check()
        reset_after = bucket.reset_after()
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": MESSAGES_BUCKET,
        }
        if wait > 0:
            self.throttled["route"] += 1
            return _too_many(wait, False, {**headers, "X-RateLimit-Scope": "user"}), {}
        return None, headers

    def _route(self, method: str, path: str, body: Any) -> web.Response:
        parts = path.strip("/").split("/")
        if path == "/users/@me":
            return _json(load("gateway_ready_recorded")["d"]["user"])
        if path == "/oauth2/applications/@me":
            info = load("rest_application_info_recorded")
            info.update(
                id=BOT_ID, team=None, flags=info["flags"] | (MESSAGE_CONTENT_FLAG if self.advertise_content else 0)
            )
            return _json(info)
        if path == "/gateway/bot":
            return _json({**load("rest_get_gateway_bot_docs"), "url": self.gateway_url, "shards": 1})
        if parts[0] == "applications" and parts[-1] == "commands":
            scope = parts[3] if "guilds" in parts else "global"
            if method == "PUT":
                self.commands[scope] = [{**c, "id": self._id(), "application_id": BOT_ID, "version": "1"} for c in body]
            return _json(self.commands.get(scope, []))
        if parts[0] == "interactions" and parts[-1] == "callback":
            return self._callback(parts[1], body)
        if parts[0] == "webhooks":
            return self._webhook(method, parts, body)
        if path == "/users/@me/channels":
            return _json({"id": self._id(), "type": 1, "recipients": [{"id": body["recipient_id"], "username": "m"}]})
        if parts[0] == "channels":
            return self._channels(method, parts, body)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _channels(self, method: str, parts: list[str], body: Any) -> web.Response:
        channel = parts[1]
        if len(parts) == 2 and method == "GET":
            if channel in self.threads:
                return _json(self.threads[channel])
            return _json({"id": channel, "type": 0, "guild_id": GUILD_ID, "name": "test2"})
        if len(parts) == 3 and method == "POST":  # /channels/{id}/messages
            return _json(self._message(channel, body))
        if len(parts) == 4 and method == "PATCH":
            message = self.messages.get(parts[3]) or self._message(channel, {}, parts[3])
            message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
            return _json(message)
        if len(parts) == 5 and parts[4] == "threads" and method == "POST":
            return _json(self._thread(channel, parts[3], body))
        if "reactions" in parts and method == "PUT":
            return web.Response(status=204)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _callback(self, interaction_id: str, body: Json) -> web.Response:
        kind = body["type"]
        resource: Json = {"type": kind}
        message_id = None
        if kind in (4, 7):
            message = self._message(CHANNEL_ID, body.get("data", {}))
            resource["message"], message_id = message, message["id"]
        ephemeral = bool(body.get("data", {}).get("flags", 0) & 64)
        interaction = {
            "id": interaction_id,
            "type": 2,
            "response_message_id": message_id,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": ephemeral,
        }
        return _json({"interaction": interaction, "resource": resource})

    def _webhook(self, method: str, parts: list[str], body: Any) -> web.Response:
        if method == "DELETE":
            return web.Response(status=204)
        if method == "POST":
            return _json(self._message(CHANNEL_ID, body or {}, webhook=parts[1]))
        return _json(self._message(CHANNEL_ID, body or {}, webhook=parts[1]))

    def _message(self, channel: str, body: Json, message_id: str | None = None, webhook: str | None = None) -> Json:
        message = load("rest_create_message_response_recorded")
        message.update(
            id=message_id or self._id(),
            channel_id=channel,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            flags=body.get("flags", 0),
            mentions=[],
            timestamp=datetime.now(UTC).isoformat(),
        )
        if webhook:
            message["webhook_id"] = webhook
        self.messages[message["id"]] = message
        return message

    def _thread(self, channel: str, message_id: str, body: Json) -> Json:
        # A thread started from a message has the message's id (discord-api-docs topics/threads.mdx).
        thread = {
            "id": message_id,
            "guild_id": GUILD_ID,
            "parent_id": channel,
            "owner_id": BOT_ID,
            "type": 11,
            "name": body["name"],
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
            "total_message_sent": 0,
        }
        self.threads[message_id] = thread
        asyncio.get_running_loop().create_task(self.push("THREAD_CREATE", {**thread, "newly_created": True}))
        return thread

    def _id(self) -> str:
        return str(next(self._ids))

    # Waiting and reading

    async def _note(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, method: str, path: str, count: int = 1, within: float = 10.0) -> list[Call]:
        """Wait until at least `count` calls match (a regex on the path); return them."""

        async def enough() -> list[Call]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.find(method, path)) >= count)
            return self.find(method, path)

        try:
            return await asyncio.wait_for(enough(), within)
        except TimeoutError:
            seen = "\n".join(f"  {c.method} {c.path} -> {c.status}" for c in self.calls)
            raise AssertionError(f"no {count}x {method} {path} within {within}s; calls:\n{seen}") from None

    async def wait_identified(self, count: int = 1, within: float = 20.0) -> Json:
        """Wait until the bot has sent `count` IDENTIFYs; return the last."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.identifies) >= count), within)
        return self.identifies[-1]

    def find(self, method: str, path: str) -> list[Call]:
        """Return the calls whose method matches and whose path matches the regex."""
        pattern = re.compile(path)
        return [c for c in self.calls if c.method == method and pattern.search(c.path)]

    def callbacks(self) -> list[Call]:
        """Return the interaction callbacks the bot sent."""
        return self.find("POST", r"^/interactions/\d+/[^/]+/callback$")

    def message(self, message_id: str) -> Json:
        """Return a message as the fake stored it."""
        return copy.deepcopy(self.messages[message_id])
