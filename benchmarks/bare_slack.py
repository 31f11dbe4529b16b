"""A bare slack-bolt AsyncApp: the baseline the Slack side-by-side benchmark measures the bot against.

`python -m benchmarks.bare_slack PORT SECRET [API_BASE]` serves `/slack/events` (and `/healthz`) on
loopback, exactly as `adapters/slack/adapter.py` serves HTTP mode: `app.server(...)`'s aiohttp
application behind an `AppRunner`, request verification on (signed requests only), the same bot token
and Web API base (bolt's single-workspace authorization calls `auth.test` once, as it does for the
bot). Its one listener acks `/mlquestion` with a fixed text and does nothing else. SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.children import until_signalled

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
TOKEN = "xoxb-bench-token"
FIXED = "Here is a question: what is the bias-variance trade-off?"


def build_app(secret: str, api_base: str | None = None) -> AsyncApp:
    """Return the bare app: one slash-command listener that acks with a fixed message."""
    client = AsyncWebClient(token=TOKEN, base_url=api_base) if api_base else AsyncWebClient(token=TOKEN)
    app = AsyncApp(
        name="bare",
        client=client,
        signing_secret=secret,
        request_verification_enabled=True,
        logger=logging.getLogger("slack_bolt"),
    )

    @app.command("/mlquestion")
    async def mlquestion(ack: AsyncAck) -> None:
        await ack(FIXED)

    return app


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def serve(port: int, secret: str, api_base: str | None) -> None:
    """Serve until SIGTERM or SIGINT."""
    app = build_app(secret, api_base)
    server = app.server(port=port, path=EVENTS_PATH)
    server.web_app.router.add_get(HEALTH_PATH, _health)
    runner = web.AppRunner(server.web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host="127.0.0.1", port=port).start()
    try:
        await until_signalled()
    finally:
        await runner.cleanup()


def main(argv: list[str]) -> int:
    """Parse `PORT SECRET [API_BASE]` and serve."""
    if len(argv) not in (2, 3):
        print("usage: python -m benchmarks.bare_slack PORT SECRET [API_BASE]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    api_base = argv[2] if len(argv) == 3 else None
    if api_base and not api_base.endswith("/"):
        api_base += "/"
    asyncio.run(serve(int(argv[0]), argv[1], api_base))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
