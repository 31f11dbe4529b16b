"""Buttons and forms as discord.py UI objects; buttons are persistent, so a click after a restart works."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol, cast

import discord

from adapters.discord.render import Json
from bot.vocabulary import ACTION_PREFIX, Form

MODAL_PREFIX = "mlqform:"
MODAL_TITLE_LIMIT = 45
INPUT_LABEL_LIMIT = 45
PLACEHOLDER_LIMIT = 100
INPUT_LIMIT = 4000


class ButtonHandler(Protocol):
    """The client that handles `mlq:` button clicks."""

    on_button: Callable[[discord.Interaction, str], Awaitable[None]]


class ActionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(ACTION_PREFIX) + r":(?P<kind>[a-z]+):(?P<target>\S+)"),
):
    """Any button whose custom_id is a core action (`mlq:<kind>:<target>`), in any process, after any restart."""

    def __init__(self, custom_id: str, label: str | None = None, style: int = 2) -> None:
        super().__init__(
            discord.ui.Button(custom_id=custom_id, label=label, style=discord.ButtonStyle(style)),
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        """Rebuild the button from a click on any message."""
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the client."""
        client = cast(ButtonHandler, interaction.client)
        await client.on_button(interaction, self.item.custom_id or "")


def view_for(rows: Iterable[Json]) -> discord.ui.View:
    """Return a view of rendered button rows (fully dynamic, so discord.py keeps no per-message state)."""
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(rows):
        for button in row["components"]:
            item = ActionButton(button["custom_id"], button["label"], button["style"])
            item.row = index
            view.add_item(item)
    return view


def modal_for(form: Form) -> discord.ui.Modal:
    """Return the form as a modal; its custom_id carries the core's form id."""
    modal = discord.ui.Modal(title=form.title[:MODAL_TITLE_LIMIT], custom_id=MODAL_PREFIX + form.form_id, timeout=None)
    for spec in form.fields[:5]:
        modal.add_item(
            discord.ui.TextInput(
                label=spec.label[:INPUT_LABEL_LIMIT],
                custom_id=spec.field_id,
                style=discord.TextStyle.paragraph if spec.multiline else discord.TextStyle.short,
                placeholder=spec.placeholder[:PLACEHOLDER_LIMIT] or None,
                required=spec.required,
                min_length=min(spec.min_length, INPUT_LIMIT),
                max_length=min(spec.max_length, INPUT_LIMIT),
            )
        )
    return modal


def form_id(custom_id: str) -> str | None:
    """Return the core's form id of a submitted modal, or None if the modal is not ours."""
    return custom_id[len(MODAL_PREFIX) :] if custom_id.startswith(MODAL_PREFIX) else None


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Return a modal submission's text inputs by custom_id (action rows, or the newer Label wrapper)."""
    values: dict[str, str] = {}

    def walk(components: Iterable[Mapping[str, Any]]) -> None:
        for component in components:
            if component.get("type") == 4 and "custom_id" in component:
                values[str(component["custom_id"])] = str(component.get("value") or "")
            if "components" in component:
                walk(component["components"])
            if "component" in component:
                walk([component["component"]])

    walk(data.get("components", []))
    return values
