"""The /mlquestion command generated from the core's specs, and syncing only when it changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import build_group, definition, digest, state_path, sync_commands, topic_choices
from bot.commands import SPECS
from bot.commands.grammar import Kind


async def _run(interaction: discord.Interaction, spec: Any, options: Any) -> None:
    return None


async def _complete(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
    return []


def _payload() -> dict[str, Any]:
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    tree.add_command(build_group(SPECS, _run, {Kind.TOPIC: _complete, Kind.TOPICS: _complete}))
    [root] = definition(tree, None)
    return root


def _options(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in node.get("options", [])}


async def test_every_spec_is_a_subcommand_with_typed_options() -> None:
    root = _payload()
    assert root["name"] == "mlquestion"
    subcommands = _options(root)
    assert set(subcommands) == {s.path[0] for s in SPECS}
    schedule = subcommands["schedule"]
    assert schedule["type"] == 2, "schedule is a subcommand group"
    assert set(_options(schedule)) == {s.path[1] for s in SPECS if len(s.path) == 2}
    random = _options(subcommands["random"])
    assert random["topic"]["type"] == 3 and random["topic"]["autocomplete"] is True
    assert [c["value"] for c in random["difficulty"]["choices"]] == ["easy", "medium", "hard"]
    assert [c["value"] for c in _options(subcommands["leaderboard"])["period"]["choices"]] == ["week", "month", "all"]
    schedule_set = _options(_options(schedule)["set"])
    assert schedule_set["channel"]["type"] == 7 and schedule_set["channel"]["required"] is True
    assert schedule_set["time"]["type"] == 3 and schedule_set["topics"]["autocomplete"] is True
    assert _options(subcommands["show"])["id"]["type"] == 3
    assert _options(subcommands["stats"])["user"]["type"] == 6


async def test_the_definition_hash_is_stable_and_changes_with_the_specs() -> None:
    first, second = _payload(), _payload()
    assert digest([first]) == digest([second])
    second["options"][0]["description"] = "changed"
    assert digest([first]) != digest([second])


class _Tree:
    """Stands in for a CommandTree: records syncs."""

    def __init__(self, description: str = "d") -> None:
        self.description = description
        self.synced: list[int | None] = []

    def get_commands(self, guild: discord.abc.Snowflake | None = None) -> list[Any]:
        tree = self

        class _Command:
            def to_dict(self, _: Any) -> dict[str, Any]:
                return {"name": "mlquestion", "description": tree.description}

        return [_Command()]

    async def sync(self, guild: discord.abc.Snowflake | None = None) -> list[Any]:
        self.synced.append(guild.id if guild else None)
        return []


async def test_sync_happens_only_when_the_definition_changed(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    tree = _Tree()
    assert await sync_commands(tree, [11, 22], state) == ["11", "22"]  # type: ignore[arg-type]
    assert await sync_commands(tree, [11, 22], state) == []  # type: ignore[arg-type]
    assert tree.synced == [11, 22]
    changed = _Tree("new help")
    assert await sync_commands(changed, [11], state) == ["11"]  # type: ignore[arg-type]
    global_tree = _Tree()
    assert await sync_commands(global_tree, [], state) == ["global"]  # type: ignore[arg-type]
    assert global_tree.synced == [None]


def test_the_hash_lives_next_to_a_sqlite_database() -> None:
    assert state_path("sqlite:////data/mlq.db") == Path("/data/mlq.db.discord-commands.json")
    assert state_path("postgresql://u@h/db") == Path(".mlquestion-discord-commands.json")


def test_topic_choices_complete_the_last_of_several_topics() -> None:
    topics = [(f"t{i}", f"Topic {i}") for i in range(40)]
    assert len(topic_choices(topics, "")) == 25
    [choice] = topic_choices([("cnn", "CNNs and vision")], "nlp,cn")
    assert choice.value == "nlp,cnn"
