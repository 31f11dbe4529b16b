"""Gateway dispatches for the e2e tests, built from the recorded payloads (see payloads/SOURCES.md)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import discord

from tests.fakes.discord_fake import BOT_ID, CHANNEL_ID, GUILD_ID, load

Json = dict[str, Any]
ADMIN = ("134127815531560960", "quantic", "8589934591")  # recorded member with every permission
ADA = ("275616469906358273", "Shadorc", "1071631556161")  # recorded user, @everyone's permissions: no Manage Server
GRACE = ("123456789012345678", "a", "1071631556161")  # the recorded reactor
_ids = itertools.count(1)


def snowflake() -> str:
    """Return a fresh id that, like Discord's, carries the current time (the adapter reads an interaction's age)."""
    return str(discord.utils.time_snowflake(discord.utils.utcnow()) + next(_ids) % (1 << 22))


def _overlay(d: Json, who: tuple[str, str, str]) -> Json:
    """Apply the discord.py ≥ 2.6 overlay and this test's guild, member and permissions."""
    user_id, name, permissions = who
    d.update(
        id=snowflake(),
        token=f"token-{snowflake()}",
        application_id=BOT_ID,
        version=1,
        attachment_size_limit=10485760,
        guild_id=GUILD_ID,
    )
    member = d.setdefault("member", copy.deepcopy(load("interaction_create_subcommand_group_recorded")["d"]["member"]))
    member.setdefault("flags", 0)
    member["permissions"] = permissions
    member["user"] = {**member["user"], "id": user_id, "username": name}
    return d


def _place(d: Json, thread: str | None) -> None:
    if thread is None:
        d["channel_id"] = CHANNEL_ID
        d["channel"] = {"id": CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "test2", "permissions": "0"}
    else:
        d["channel_id"] = thread
        d["channel"] = {
            "id": thread,
            "type": 11,
            "guild_id": GUILD_ID,
            "parent_id": CHANNEL_ID,
            "name": "discussion",
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "locked": False},
        }


def _options(values: dict[str, Any]) -> list[Json]:
    out = []
    for name, value in values.items():
        kind = 7 if name == "channel" else 3
        out.append({"name": name, "type": kind, "value": value})
    return out


def command(path: str, who: tuple[str, str, str] = ADMIN, thread: str | None = None, **options: Any) -> Json:
    """Return an INTERACTION_CREATE `d` for `/mlquestion <path> option:value…` (shape of the recorded group frame)."""
    d = copy.deepcopy(load("interaction_create_subcommand_group_recorded")["d"])
    _overlay(d, who)
    _place(d, thread)
    words = path.split()
    leaf: Json = {"type": 1, "name": words[-1], "options": _options(options)}
    tree = [{"type": 2, "name": words[0], "options": [leaf]}] if len(words) == 2 else [leaf]
    d["data"] = {"id": snowflake(), "name": "mlquestion", "type": 1, "options": tree, "guild_id": GUILD_ID}
    if "channel" in options:
        channel = {"id": options["channel"], "type": 0, "name": "test2", "permissions": "0"}
        d["data"]["resolved"] = {"channels": {options["channel"]: channel}}
    return d


def autocomplete(path: str, option: str, typed: str, who: tuple[str, str, str] = ADA) -> Json:
    """Return an autocomplete (type 4) interaction with `option` focused."""
    d = copy.deepcopy(load("interaction_autocomplete_discord_interactions_js"))
    _overlay(d, who)
    _place(d, None)
    leaf = {"type": 1, "name": path, "options": [{"type": 3, "name": option, "value": typed, "focused": True}]}
    d["data"] = {"id": snowflake(), "name": "mlquestion", "type": 1, "options": [leaf], "guild_id": GUILD_ID}
    return d


def click(custom_id: str, message: Json, who: tuple[str, str, str] = ADA, thread: str | None = None) -> Json:
    """Return a button click (type 3) on a message the bot sent."""
    d = copy.deepcopy(load("interaction_message_component_button_docs2021_gdl"))
    _overlay(d, who)
    _place(d, thread)
    d["message"] = message
    d["data"] = {"custom_id": custom_id, "component_type": 2}
    return d


def modal_submit(custom_id: str, values: dict[str, str], who: tuple[str, str, str] = ADA) -> Json:
    """Return a modal submission (type 5) with text inputs in action rows."""
    d = copy.deepcopy(load("interaction_modal_submit_docs"))
    _overlay(d, who)
    _place(d, None)
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]
    d["data"] = {"custom_id": custom_id, "components": rows}
    return d


def thread_message(thread: str, content: str, who: tuple[str, str, str] = ADA) -> Json:
    """Return a MESSAGE_CREATE of a member's plain reply (type 0) in a thread."""
    d = copy.deepcopy(load("gateway_message_create_reply_recorded")["d"])
    for key in ("referenced_message", "message_reference", "nonce"):
        d.pop(key, None)
    d.update(type=0, id=snowflake(), channel_id=thread, guild_id=GUILD_ID, content=content)
    d["author"] = {**d["author"], "id": who[0], "username": who[1]}
    return d


def reaction(message_id: str, channel: str, emoji: str = "👍", who: tuple[str, str, str] = GRACE) -> Json:
    """Return a MESSAGE_REACTION_ADD by a member."""
    d = copy.deepcopy(load("gateway_message_reaction_add_recorded")["d"])
    d.update(
        user_id=who[0], message_id=message_id, channel_id=channel, guild_id=GUILD_ID, emoji={"name": emoji, "id": None}
    )
    d.setdefault("type", 0)  # normal (not burst) reaction: today's Discord always sends it; discord.py 2.4+ reads it
    d.setdefault("burst", False)
    d["member"]["user"] = {**d["member"]["user"], "id": who[0], "username": who[1]}
    d["member"].setdefault("flags", 0)
    return d
