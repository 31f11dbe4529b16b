"""A loopback fake of Slack: the Web API, response_url webhooks and a Socket Mode websocket.

It records every call (method, arguments) and can answer errors: a refused channel
(`channel_not_found`, `not_in_channel`) or a 429 with Retry-After. Answers follow the shapes
of slackapi/bolt-python's own mock server (tests/mock_web_api_server/mock_handler.py).

With `limits=SlackLimits()` it also enforces chat.postMessage's rate limits
(docs.slack.dev/reference/methods/chat.postMessage, "Rate limiting"): about one message per second
per channel, "with short bursts allowed" (the fake: a token bucket of 1/s holding 2), and a
workspace-wide limit of "several hundred messages per minute", for which Slack publishes no figure
(the fake: 600 a minute, a token bucket holding 5, so at most 5 at once). Over a limit: HTTP 429,
`Retry-After` in whole seconds and `{"ok": false, "error": "ratelimited"}`, counted in `throttled`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.limits import TokenBucket

BOT_USER, BOT_ID, TEAM = "UBOTMLQ", "BBOTMLQ", "T0G9PQBBK"


@dataclass
class Call:
    """One request the bot made to the fake."""

    method: str
    args: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    at: float = field(default_factory=time.time)  # when the fake received it (epoch seconds)
    peer: int = 0  # the client's port: calls over one kept-alive connection share it

    @property
    def ts(self) -> str:
        """Return the ts the fake gave the message this call posted."""
        return str(self.result.get("ts", ""))


@dataclass(frozen=True)
class SlackLimits:
    """chat.postMessage's limits as the fake enforces them (one workspace: the fake's team)."""

    posts_per_minute: float = 600.0  # workspace-wide; Slack says "several hundred"
    workspace_burst: int = 5
    channel_per_second: float = 1.0
    channel_burst: int = 2


@dataclass
class SlackFake:
    """Start with `await fake.start()`; the bot's MLQ_SLACK_API_BASE is `fake.api_base`."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: dict[str, str] = field(default_factory=dict)  # channel -> error, for chat.postMessage
    rate_limit: dict[str, int] = field(default_factory=dict)  # method -> how many 429s to answer first
    retry_after: int = 1
    limits: SlackLimits | None = None
    throttled: Counter[str] = field(default_factory=Counter)  # 429s answered by the limits: channel, workspace
    calls: list[Call] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)  # what the bot sent over the socket
    _ts: count[int] = field(default_factory=lambda: count(1))
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _workspace: TokenBucket | None = None
    _channels: dict[str, TokenBucket] = field(default_factory=dict)
    port: int = 0

    @property
    def base(self) -> str:
        """Return the fake's root URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Return the Web API base URL, with the trailing slash slack_sdk needs."""
        return f"{self.base}/api/"

    @property
    def webhook(self) -> str:
        """Return the URL that stands in for a response_url."""
        return f"{self.base}/webhook"

    async def start(self) -> None:
        """Serve on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/webhook", self._webhook)
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close the sockets and the server."""
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- recording ---------------------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        """Return the calls of one Web API method (`chat.postMessage`) or `webhook`."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, method: str, where: Callable[[Call], bool] = lambda c: True, within: float = 10.0, n: int = 1
    ) -> list[Call]:
        """Wait until `n` calls of `method` match `where`; fail after `within` seconds."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = [c for c in self.of(method) if where(c)]
            if len(found) >= n:
                return found
            if asyncio.get_running_loop().time() > deadline:
                seen = [(c.method, _short(c.args)) for c in self.calls[-15:]]
                raise AssertionError(f"no {n}× {method} matching within {within}s; last calls: {seen}")
            await asyncio.sleep(0.05)

    # --- Web API -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        peername = request.transport.get_extra_info("peername") if request.transport else None
        call = Call(method, args, peer=peername[1] if peername else 0)
        self.calls.append(call)
        if self.rate_limit.get(method, 0) > 0:
            self.rate_limit[method] -= 1
            call.status = 429
            return _ratelimited(self.retry_after)
        wait = self._enforce(method, args)
        if wait > 0:
            call.status = 429
            return _ratelimited(math.ceil(wait))
        call.result = self._answer(method, args)
        return web.json_response(call.result)

    def _enforce(self, method: str, args: dict[str, Any]) -> float:
        """Admit a call (0) or return how long it should wait; both limits must admit a post."""
        if self.limits is None or method != "chat.postMessage":
            return 0.0
        limits = self.limits
        if self._workspace is None:
            self._workspace = TokenBucket(limits.posts_per_minute / 60, limits.workspace_burst)
        channel = str(args.get("channel", ""))
        bucket = self._channels.get(channel)
        if bucket is None:
            bucket = self._channels[channel] = TokenBucket(limits.channel_per_second, limits.channel_burst)
        now = time.monotonic()
        for scope, limiter in (("channel", bucket), ("workspace", self._workspace)):
            wait = limiter.wait(now)
            if wait > 0:
                self.throttled[scope] += 1
                return wait
        bucket.take(now)
        self._workspace.take(now)
        return 0.0

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "mlquestion",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "chat.postMessage":
            if channel in self.refuse:
                return {"ok": False, "error": self.refuse[channel]}
            ts = self.next_ts()
            message = {"type": "message", "text": args.get("text", ""), "user": BOT_USER, "bot_id": BOT_ID, "ts": ts}
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            if channel in self.refuse:
                return {"ok": False, "error": self.refuse[channel]}
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": args.get("ts"), "text": args.get("text", "")}
        if method == "views.open":
            return {"ok": True, "view": {"id": "VFAKE", "type": "modal"}}
        if method == "users.info":
            user = str(args.get("user", ""))
            info = self.users.get(user, {})
            name = info.get("name", user.lower())
            profile = {"display_name": name, "real_name": name}
            flags = {"is_admin": info.get("is_admin", False), "is_owner": info.get("is_owner", False)}
            return {"ok": True, "user": {"id": user, "name": name, **flags, "profile": profile}}
        if method.startswith("conversations."):
            return {"ok": True, "channel": {"id": channel, "name": channel.lower(), "is_member": True}}
        return {"ok": True}

    def next_ts(self) -> str:
        """Return a fresh message ts."""
        return f"1700000000.{next(self._ts):06d}"

    async def _webhook(self, request: web.Request) -> web.Response:
        self.calls.append(Call("webhook", await request.json()))
        return web.Response(text="ok")

    # --- Socket Mode -------------------------------------------------------------------------

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}}))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.frames.append(json.loads(msg.data))
        self._sockets.remove(ws)
        return ws

    async def connected(self, within: float = 10.0) -> None:
        """Wait until the bot's Socket Mode client is connected."""
        deadline = asyncio.get_running_loop().time() + within
        while not self._sockets:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the bot never opened the Socket Mode websocket")
            await asyncio.sleep(0.05)

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected bot."""
        await self._sockets[-1].send_str(json.dumps(envelope))


def _ratelimited(retry_after: int) -> web.Response:
    return web.json_response(
        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
    )


async def _arguments(request: web.Request) -> dict[str, Any]:
    # slack_sdk sends some methods' arguments as a query string, others as JSON or a form.
    args: dict[str, Any] = dict(request.query)
    if request.method == "GET":
        return args
    if request.content_type == "application/json":
        body = await request.json()
        return {**args, **body} if isinstance(body, dict) else args
    form = await request.post()
    for key, value in form.items():
        text = str(value)
        if key in {"blocks", "view", "attachments"}:
            try:
                args[key] = json.loads(text)
                continue
            except ValueError:
                pass
        args[key] = text
    return args


def _short(args: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v)[:60]) for k, v in args.items() if k != "blocks"}
