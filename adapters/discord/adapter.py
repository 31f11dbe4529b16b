"""The Discord adapter: build the client, translate gateway events into core calls, implement the port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord
import yarl
from discord import app_commands

from adapters.discord.commands import Options, build_group, state_path, sync_commands, topic_choices
from adapters.discord.outbound import DiscordOutbound, paced_requests
from adapters.discord.responding import respond, send_private
from adapters.discord.views import ActionButton, form_id, submitted_values
from adapters.pacing import Pacer
from bot import posts
from bot.commands.grammar import CommandSpec, Kind
from bot.core import Core
from bot.settings import Settings
from bot.vocabulary import Actor, Place

log = logging.getLogger(__name__)
PLATFORM = "discord"
READY_TIMEOUT = 60.0
CLOSE_TIMEOUT = 10.0
MESSAGE_CONTENT_WARNING = (
    "discord: the Message Content intent is not enabled for this bot (Developer Portal > Bot > Privileged "
    "Gateway Intents), so thread replies cannot be read: members answer with the Answer button only."
)


def wanted_intents(message_content: bool) -> discord.Intents:
    """Return the gateway intents the bot asks for (no privileged ones but, optionally, message content)."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels and threads in the cache
    intents.guild_messages = True  # replies in discussion threads
    intents.guild_reactions = True  # 👍 upvotes
    intents.message_content = message_content  # privileged: the text of thread replies
    return intents


def point_at(settings: Settings) -> None:
    """Send REST and the gateway to MLQ_DISCORD_API_BASE / MLQ_DISCORD_GATEWAY_URL when set (tests, proxies)."""
    # The bot never joins voice: no start-up warnings about voice libraries.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def actor_of(interaction: discord.Interaction) -> Actor:
    """Return who acted; admins are members with Manage Server, as the interaction's permissions say."""
    permissions = interaction.permissions
    user = interaction.user
    is_admin = interaction.guild_id is not None and (permissions.manage_guild or permissions.administrator)
    return Actor(PLATFORM, str(interaction.guild_id or ""), str(user.id), user.display_name, is_admin)


def place_of(guild_id: int | None, channel: object, channel_id: int | None) -> Place:
    """Return where something happened; inside a thread the channel is the thread's parent."""
    workspace = str(guild_id or "")
    if isinstance(channel, discord.Thread):
        return Place(PLATFORM, workspace, str(channel.parent_id), str(channel.id))
    return Place(PLATFORM, workspace, str(channel_id))


class MlqClient(discord.Client):
    """The discord.py client: one command tree, persistent buttons, and the adapter's event handlers."""

    def __init__(self, adapter: DiscordAdapter, intents: discord.Intents) -> None:
        super().__init__(intents=intents, chunk_guilds_at_startup=False, http_trace=paced_requests(adapter.pacer))
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        """Make every `mlq:` button clickable, whichever process sent it."""
        self.add_dynamic_items(ActionButton)

    async def on_ready(self) -> None:
        """Note that the gateway session is up."""
        self.adapter.ready.set()

    async def on_button(self, interaction: discord.Interaction, custom_id: str) -> None:
        """Hand a button click to the core."""
        await self.adapter.press(interaction, custom_id)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Route form submissions by their custom_id (so a form opened before a restart still submits)."""
        if interaction.type is discord.InteractionType.modal_submit:
            data: dict[str, Any] = dict(interaction.data or {})
            target = form_id(str(data.get("custom_id", "")))
            if target is not None:
                await self.adapter.submit(interaction, target, submitted_values(data))

    async def on_message(self, message: discord.Message) -> None:
        """Hand a member's reply in a thread to the core."""
        await self.adapter.message(message)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """Hand a reaction to the core (👍 on an answer is an upvote)."""
        await self.adapter.reaction(payload)

    async def _on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.TransformerError):
            text = f"`{error.value}` is not a valid value there."
        elif isinstance(error, app_commands.CommandNotFound):
            text = "This command has just changed. Please try again in a minute."
        else:
            log.error("discord: command failed in guild %s", interaction.guild_id, exc_info=error)
            text = "Sorry, something went wrong on my side. It has been logged; please try again."
        try:
            await send_private(interaction, posts.error(text))
        except discord.HTTPException:
            log.warning("discord: could not answer interaction %s", interaction.id)


class DiscordAdapter:
    """Serve `/mlquestion`, buttons, forms, thread replies and reactions; post what the core asks."""

    platform = PLATFORM

    def __init__(self, settings: Settings, core: Core) -> None:
        self.settings = settings
        self.core = core
        self.client: MlqClient | None = None
        self.ready = asyncio.Event()
        self.pacer = Pacer(settings.discord_requests_per_second)  # every REST request but interaction answers
        self.outbound = DiscordOutbound(lambda: self._client().http)
        self._runner: asyncio.Task[None] | None = None
        self._closing = False

    def _client(self) -> MlqClient:
        if self.client is None:
            raise RuntimeError("the Discord adapter is not started")
        return self.client

    async def start(self) -> None:
        """Log in, sync `/mlquestion` if it changed, connect, and return once the gateway session is ready."""
        point_at(self.settings)
        client = await self._login(message_content=True)
        flags = client.application_flags
        if not (flags.gateway_message_content or flags.gateway_message_content_limited):
            log.warning(MESSAGE_CONTENT_WARNING)
            await client.close()
            client = await self._login(message_content=False)
        await sync_commands(client.tree, self.settings.guild_ids(), state_path(self.settings.database_url))
        self._runner = asyncio.create_task(self._run(), name="discord-gateway")
        self._runner.add_done_callback(self._gateway_ended)
        ready = asyncio.create_task(self.ready.wait())
        done, _ = await asyncio.wait({ready, self._runner}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if self._runner in done:
            ready.cancel()
            self._runner.result()  # a fatal error (bad token, ...) stops the start
        elif not done:
            ready.cancel()
            log.warning("discord: the gateway is not ready after %.0f s; still trying", READY_TIMEOUT)

    async def _login(self, message_content: bool) -> MlqClient:
        assert self.settings.discord_token is not None
        client = MlqClient(self, wanted_intents(message_content))
        client.tree.add_command(
            build_group(self.core.specs, self._command, {Kind.TOPIC: self._topics, Kind.TOPICS: self._topics}),
            guilds=[discord.Object(g) for g in self.settings.guild_ids()] or discord.utils.MISSING,
        )
        self.client = client
        try:
            await client.login(self.settings.discord_token.get_secret_value())
        except BaseException:
            await client.close()
            raise
        return client

    async def _run(self) -> None:
        """Keep the gateway session up until close(); fatal errors (a bad token) end it."""
        delay = 1.0
        while True:
            client = self._client()
            try:
                await client.connect(reconnect=True)
                return
            except discord.PrivilegedIntentsRequired:
                log.warning(MESSAGE_CONTENT_WARNING)
                await client.close()
                await self._login(message_content=False)
            except (discord.LoginFailure, discord.GatewayNotFound):
                raise
            except Exception:  # an event discord.py could not parse must not end the session for good
                if client.is_closed() and self._closing:
                    return
                log.exception("discord: the gateway session failed; reconnecting in %.0f s", delay)
                if client.ws is not None:
                    with contextlib.suppress(Exception):
                        await client.ws.close(code=4000)  # not 1000: keep the session resumable
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    def _gateway_ended(self, runner: asyncio.Task[None]) -> None:
        if not runner.cancelled() and runner.exception() is not None and not self._closing:
            log.error("discord: the gateway session ended for good", exc_info=runner.exception())

    async def close(self) -> None:
        """Disconnect from the gateway and close the HTTP session."""
        self._closing = True
        if self.client is not None:
            await self.client.close()
        if self._runner is not None:
            try:
                await asyncio.wait_for(self._runner, CLOSE_TIMEOUT)
            except TimeoutError:
                log.warning("discord: the gateway did not close in %.0f s", CLOSE_TIMEOUT)
            except Exception:
                log.exception("discord: the gateway stopped with an error")
        log.info("discord: disconnected")

    # Inbound: interactions

    async def _command(self, interaction: discord.Interaction, spec: CommandSpec, options: Options) -> None:
        actor, place = (
            actor_of(interaction),
            place_of(interaction.guild_id, interaction.channel, interaction.channel_id),
        )
        # Answer first: the time to the question is what members feel; its round is stored right after.
        work = self.core.invoke(spec.name, options, actor, place, answer_first=True)
        await respond(interaction, work, f"/mlquestion {spec.name}")

    async def _topics(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        last = typed.rpartition(",")[2].strip()
        return topic_choices(((t.slug, t.name) for t in self.core.complete_topics(last)), typed)

    async def press(self, interaction: discord.Interaction, custom_id: str) -> None:
        """Hand a button click to the core."""
        actor, place = (
            actor_of(interaction),
            place_of(interaction.guild_id, interaction.channel, interaction.channel_id),
        )
        await respond(interaction, self.core.press(custom_id, actor, place), f"button {custom_id}")

    async def submit(self, interaction: discord.Interaction, target: str, values: dict[str, str]) -> None:
        """Hand a submitted form to the core."""
        actor, place = (
            actor_of(interaction),
            place_of(interaction.guild_id, interaction.channel, interaction.channel_id),
        )
        await respond(interaction, self.core.submit(target, values, actor, place), f"form {target}")

    # Inbound: gateway events

    async def message(self, message: discord.Message) -> None:
        """Count a member's reply in a discussion thread as their answer (needs the message content intent)."""
        if message.author.bot or message.guild is None:
            return
        channel: object = message.channel
        if isinstance(channel, discord.PartialMessageable):  # not cached (rare): ask Discord what it is
            with contextlib.suppress(discord.HTTPException):
                channel = await self._client().fetch_channel(message.channel.id)
        if not isinstance(channel, discord.Thread):
            return
        place = place_of(message.guild.id, channel, channel.id)
        actor = Actor(PLATFORM, str(message.guild.id), str(message.author.id), message.author.display_name)
        try:
            await self.core.message(actor, place, str(message.id), message.content)
        except Exception:
            log.exception("discord: reply %s by user %s in %s failed", message.id, message.author.id, place)

    async def reaction(self, payload: discord.RawReactionActionEvent) -> None:
        """Hand a member's reaction to the core."""
        client = self._client()
        if payload.guild_id is None or (client.user is not None and payload.user_id == client.user.id):
            return
        guild = client.get_guild(payload.guild_id)
        channel = guild.get_channel_or_thread(payload.channel_id) if guild else None
        place = place_of(payload.guild_id, channel, payload.channel_id)
        name = payload.member.display_name if payload.member else str(payload.user_id)
        actor = Actor(PLATFORM, str(payload.guild_id), str(payload.user_id), name)
        try:
            await self.core.reaction(actor, place, str(payload.message_id), str(payload.emoji))
        except Exception:
            log.exception("discord: reaction on %s by user %s in %s failed", payload.message_id, payload.user_id, place)
