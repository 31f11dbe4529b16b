"""Who a Slack member is: display name and admin rights, from users.info (cached) and MLQ_SLACK_ADMINS."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.outbound import slack_error
from bot.vocabulary import Actor

log = logging.getLogger(__name__)
PLATFORM = "slack"
CACHE_SECONDS = 600.0


@dataclass(frozen=True)
class Profile:
    """What users.info told us about a member."""

    name: str
    is_admin: bool


class People:
    """Resolve members into core actors; users.info answers are cached for ten minutes."""

    def __init__(self, client: AsyncWebClient, admins: set[str], ttl: float = CACHE_SECONDS) -> None:
        self.client = client
        self.admins = admins
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Profile]] = {}

    async def profile(self, user: str, fallback_name: str = "") -> Profile:
        """Return the member's profile, asking Slack at most once per `ttl`."""
        cached = self._cache.get(user)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        try:
            response = await self.client.users_info(user=user)
        except SlackApiError as exc:
            log.warning("users.info for %s failed (%s); treating them as a member", user, slack_error(exc))
            return Profile(fallback_name or user, False)
        except (OSError, TimeoutError) as exc:  # aiohttp's connection errors are OSErrors
            log.warning("users.info for %s failed (%s); treating them as a member", user, exc)
            return Profile(fallback_name or user, False)
        info = response.get("user") or {}
        details = info.get("profile") or {}
        name = details.get("display_name") or details.get("real_name") or info.get("name") or fallback_name or user
        profile = Profile(str(name), bool(info.get("is_admin") or info.get("is_owner")))
        self._cache[user] = (time.monotonic(), profile)
        return profile

    async def actor(self, workspace: str, user: str, fallback_name: str = "") -> Actor:
        """Return the core's actor for a member: admins are workspace admins/owners and MLQ_SLACK_ADMINS."""
        profile = await self.profile(user, fallback_name)
        return Actor(PLATFORM, workspace, user, profile.name, profile.is_admin or user in self.admins)
