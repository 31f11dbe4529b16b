"""Build the bolt AsyncApp and run it in Socket Mode (app token) or HTTP mode (signing secret)."""

from __future__ import annotations

import logging

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.listeners import commands, events, interactions
from adapters.slack.outbound import SlackOutbound, slack_error
from adapters.slack.people import PLATFORM, People
from bot.core import Core
from bot.settings import Settings

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MISSING_SECRET = (
    "mlquestion: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
    "SLACK_SIGNING_SECRET (HTTP mode) is; set one of them."
)


class SlackSetupError(SystemExit):
    """Slack cannot start with these settings; the message says which variable to set or fix."""


def api_base(url: str | None) -> str | None:
    """Return the Web API base URL with its trailing slash (without it, urljoin drops the last segment)."""
    if not url:
        return None
    return url if url.endswith("/") else url + "/"


def make_client(token: str, base_url: str | None) -> AsyncWebClient:
    """Build the one AsyncWebClient: it retries connection errors and waits out 429s (Retry-After)."""
    handlers = [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=3)]
    base = api_base(base_url)
    if base is None:
        return AsyncWebClient(token=token, retry_handlers=handlers)
    return AsyncWebClient(token=token, base_url=base, retry_handlers=handlers)


class SlackAdapter:
    """The Slack platform: one bolt AsyncApp, in Socket Mode or behind HTTP on PORT."""

    platform = PLATFORM

    def __init__(self, settings: Settings, core: Core) -> None:
        if settings.slack_bot_token is None:
            raise SlackSetupError("mlquestion: SLACK_BOT_TOKEN is not set.")
        app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        if not app_token and not secret:
            raise SlackSetupError(MISSING_SECRET)
        self.settings = settings
        self.app_token = app_token
        self.client = make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_base)
        self.outbound = SlackOutbound(self.client, posts_per_minute=settings.slack_posts_per_minute)
        self.people = People(self.client, settings.slack_admin_ids())
        self.app = AsyncApp(
            name="mlquestion",
            client=self.client,
            signing_secret=secret or "",
            # Socket Mode requests are not signed; HTTP requests always are (bad signature or stale: 401).
            request_verification_enabled=not app_token,
            logger=logging.getLogger("slack_bolt"),
        )
        for family in (commands, interactions, events):
            family.register(self.app, core, self.people)
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None

    @property
    def mode(self) -> str:
        """Say how Slack reaches the bot: `socket` or `http`."""
        return "socket" if self.app_token else "http"

    async def start(self) -> None:
        """Open the Web API session, check the token, then connect the socket or start serving HTTP."""
        # One aiohttp session for every Web API call (bolt's per-request clients take it over too): without
        # it slack_sdk opens a session and a connection per call.
        self.client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.client.timeout))
        try:
            identity = await self.client.auth_test()
        except BaseException as exc:
            await self._close_session()
            if isinstance(exc, SlackApiError):
                raise SlackSetupError(f"mlquestion: Slack refused SLACK_BOT_TOKEN ({slack_error(exc)}).") from None
            raise
        log.info(
            "slack: signed in as %s in team %s (%s mode)", identity.get("user"), identity.get("team_id"), self.mode
        )
        if self.app_token:
            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            return
        server = self.app.server(port=self.settings.port, path=EVENTS_PATH)
        server.web_app.router.add_get(HEALTH_PATH, _health)
        self._runner = web.AppRunner(server.web_app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host=server.host, port=self.settings.port).start()
        log.info("slack: listening on port %s at %s", self.settings.port, EVENTS_PATH)

    async def close(self) -> None:
        """Disconnect the socket or stop the HTTP server, then close the Web API session."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._close_session()

    async def _close_session(self) -> None:
        session, self.client.session = self.client.session, None
        if session is not None:
            await session.close()


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})
