"""A bare discord.py bot, the baseline of the Discord side-by-side benchmark (`benchmarks/discord_side.py`).

`python -m benchmarks.bare_discord` connects with DISCORD_TOKEN and serves one command, `/mlquestion random`
(the same name, subcommand and options as ours), which answers a fixed message and does nothing else: no
database, no question bank. The fixed message has the shape of our bot's answer, so that the two differ in
what the bot does, not in what discord.py sends: one embed (a title, a question, three fields) and a row
with an Answer and a Reveal button, built with discord.py's objects for each answer as a bot does.

REST and the gateway are pointed at MLQ_DISCORD_API_BASE / MLQ_DISCORD_GATEWAY_URL the way
`adapters.discord.adapter.point_at` points ours; the command is registered in MLQ_DISCORD_GUILD_IDS (else
globally). It asks for the same gateway intents as our adapter and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Literal

import discord
import yarl
from discord import app_commands

FIXED_TITLE = "Practice question"
FIXED_QUESTION = (
    "Why does max pooling make a convolutional network tolerant to small shifts of its input, and what does it cost?"
)
FIXED_FIELDS = (("Topic", "Convolutional networks"), ("Difficulty", "🟡 medium"), ("Id", "`cnn-max-pooling`"))


def point_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send REST and the gateway elsewhere, as `adapters.discord.adapter.point_at` does."""
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents() -> discord.Intents:
    """Return the intents our adapter asks for, so both bots receive the same gateway traffic."""
    wanted = discord.Intents.none()
    wanted.guilds = wanted.guild_messages = wanted.guild_reactions = wanted.message_content = True
    return wanted


def fixed_embed() -> discord.Embed:
    """Return the fixed question as an embed."""
    embed = discord.Embed(title=FIXED_TITLE, description=FIXED_QUESTION, color=0x5865F2)
    for name, value in FIXED_FIELDS:
        embed.add_field(name=name, value=value)
    return embed


def fixed_view() -> discord.ui.View:
    """Return the Answer and Reveal buttons (no callbacks: the benchmark never presses them)."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Answer", style=discord.ButtonStyle.primary, custom_id="bare:answer"))
    view.add_item(discord.ui.Button(label="Reveal", style=discord.ButtonStyle.secondary, custom_id="bare:reveal"))
    return view


class BareBot(discord.Client):
    """A client with one command tree holding `/mlquestion random`."""

    def __init__(self, guild_ids: list[int]) -> None:
        super().__init__(intents=intents(), chunk_guilds_at_startup=False)
        self.guild_ids = guild_ids
        self.tree = app_commands.CommandTree(self)
        group = app_commands.Group(name="mlquestion", description="Daily machine-learning interview practice.")

        @group.command(name="random", description="Get a fresh question in this channel.")
        @app_commands.describe(topic="a topic, such as cnn or statistics", difficulty="easy, medium or hard")
        async def random_question(
            interaction: discord.Interaction,
            topic: str | None = None,
            difficulty: Literal["easy", "medium", "hard"] | None = None,
        ) -> None:
            await interaction.response.send_message(embed=fixed_embed(), view=fixed_view())

        guilds = [discord.Object(g) for g in guild_ids]
        self.tree.add_command(group, guilds=guilds or discord.utils.MISSING)

    async def setup_hook(self) -> None:
        """Register the command where it is served, as a typical bot does at start."""
        guilds: list[discord.Object | None] = [discord.Object(g) for g in self.guild_ids]
        for guild in guilds or [None]:
            await self.tree.sync(guild=guild)


async def main() -> None:
    """Run until SIGTERM or SIGINT."""
    point_at(os.environ.get("MLQ_DISCORD_API_BASE"), os.environ.get("MLQ_DISCORD_GATEWAY_URL"))
    guild_ids = [int(g) for g in os.environ.get("MLQ_DISCORD_GUILD_IDS", "").replace(" ", "").split(",") if g]
    client = BareBot(guild_ids)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with client:
        runner = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({runner, stopping}, return_when=asyncio.FIRST_COMPLETED)
        await client.close()
        if runner.done():
            runner.result()
        else:
            await runner
        stopping.cancel()


if __name__ == "__main__":
    asyncio.run(main())
