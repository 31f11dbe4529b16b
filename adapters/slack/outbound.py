"""The Slack implementation of the outbound port: chat.postMessage, threads as thread_ts, reactions."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.pacing import KeyedPacer, Pacer
from adapters.slack.blocks import SlackMessage, render
from bot.errors import PlatformRefusedError
from bot.vocabulary import Actor, MessageRef, Place, Post

log = logging.getLogger(__name__)
# chat.postMessage: "1 message per second per channel" plus a workspace-wide limit of "several hundred
# messages per minute" (docs.slack.dev/reference/methods/chat.postMessage). Slack publishes no workspace
# figure: MLQ_SLACK_POSTS_PER_MINUTE sets ours.
DEFAULT_POSTS_PER_MINUTE = 600.0
CHANNEL_POSTS_PER_SECOND = 1.0
# Errors that will not go away by retrying: the bot lost access or the channel is gone.
REFUSALS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "thread_not_found",
        "message_not_found",
        "cant_update_message",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "ekm_access_denied",
        "missing_scope",
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "team_access_not_granted",
        "user_not_in_channel",
    }
)
EMOJI_NAMES = {"✅": "white_check_mark", "👍": "+1", "❌": "x", "🔥": "fire", "🎉": "tada"}


def slack_error(exc: SlackApiError) -> str:
    """Return the `error` code of a failed Web API call."""
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    return str(data.get("error", "unknown_error"))


def refusal(exc: SlackApiError, what: str) -> PlatformRefusedError | None:
    """Return a PlatformRefusedError when Slack refused for good, else None (the caller re-raises)."""
    error = slack_error(exc)
    if error in REFUSALS:
        return PlatformRefusedError(f"Slack refused to {what} ({error})")
    return None


def emoji_name(emoji: str) -> str:
    """Return Slack's name for an emoji (`✅` → `white_check_mark`)."""
    return EMOJI_NAMES.get(emoji, emoji.strip(":"))


class SlackOutbound:
    """Post, thread, update and react through one AsyncWebClient (one bot token: one workspace).

    Every chat.postMessage waits its turn (PLATFORM-LIMITS §5.3): at most `channel_per_second` in its
    channel (threads included) and `posts_per_minute` in the workspace, first come first served. A
    post holds its channel's turn while it waits for the workspace, so the channel's next post cannot
    overtake it. The client's AsyncRateLimitErrorRetryHandler still waits out any 429 (Retry-After).
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        posts_per_minute: float = DEFAULT_POSTS_PER_MINUTE,
        channel_per_second: float = CHANNEL_POSTS_PER_SECOND,
    ) -> None:
        self.client = client
        self.workspace = Pacer(posts_per_minute / 60.0)
        # No slack per channel: a late waiter must not bring two posts in one channel closer than the limit.
        self.channels: KeyedPacer[str] = KeyedPacer(channel_per_second, slack=0.0)

    async def _send(self, place: Place, message: SlackMessage) -> str:
        await self.channels.acquire(place.channel, then=self.workspace.acquire)
        try:
            response = await self.client.chat_postMessage(
                channel=place.channel, thread_ts=place.thread, unfurl_links=False, **message.payload()
            )
        except SlackApiError as exc:
            raise refusal(exc, f"post in {place.channel}") or exc from None
        return str(response["ts"])

    async def post(self, place: Place, post: Post) -> MessageRef:
        """Post in a channel or a thread; a long post becomes several messages, the first one is returned."""
        messages = render(post)
        first = await self._send(place, messages[0])
        for message in messages[1:]:
            await self._send(place, message)
        return MessageRef(place, first)

    async def open_thread(self, message: MessageRef, name: str, archive_after: timedelta) -> Place:
        """Return the message's thread: on Slack a thread is the parent's ts, no API call needed."""
        return message.place.in_thread(message.message_id)

    async def send_private(self, actor: Actor, place: Place, post: Post) -> None:
        """Show a post to one member only, as ephemeral messages in the place."""
        for message in render(post):
            try:
                await self.client.chat_postEphemeral(
                    channel=place.channel, user=actor.user, thread_ts=place.thread, **message.payload()
                )
            except SlackApiError as exc:
                raise refusal(exc, f"message {actor.user} privately") or exc from None

    async def update(self, message: MessageRef, post: Post) -> None:
        """Replace a message the bot sent; any overflow goes into its thread."""
        first, *rest = render(post)
        try:
            await self.client.chat_update(channel=message.place.channel, ts=message.message_id, **first.payload())
        except SlackApiError as exc:
            raise refusal(exc, f"update a message in {message.place.channel}") or exc from None
        for extra in rest:
            await self._send(message.place.in_thread(message.message_id), extra)

    async def react(self, message: MessageRef, emoji: str) -> None:
        """Add a reaction (reactions.add); reacting twice is not an error."""
        try:
            await self.client.reactions_add(
                channel=message.place.channel, timestamp=message.message_id, name=emoji_name(emoji)
            )
        except SlackApiError as exc:
            if slack_error(exc) == "already_reacted":
                return
            raise refusal(exc, "add a reaction") or exc from None
