"""The app manifest declares what the adapter listens to and calls."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.slack.blocks import INPUT_LIMIT
from adapters.slack.listeners.commands import SLASH

MANIFEST = Path(__file__).resolve().parents[3] / "slack-app-manifest.yaml"


def test_manifest_matches_the_adapter() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == SLASH and command["should_escape"] is True
    assert command["url"].endswith("/slack/events")
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["message.channels", "reaction_added"]
    assert settings["interactivity"]["is_enabled"] is True
    assert isinstance(settings["socket_mode_enabled"], bool)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "channels:history", "reactions:read", "reactions:write", "users:read"}
    assert INPUT_LIMIT == 3000
