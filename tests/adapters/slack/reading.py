"""Read what the bot sent to the fake: headers, buttons and text of Block Kit messages."""

from __future__ import annotations

from typing import Any

from tests.fakes.slack_fake import Call


def blocks(call: Call) -> list[dict[str, Any]]:
    """Return the blocks of a chat.postMessage / chat.update / webhook call."""
    return list(call.args.get("blocks") or [])


def header(call: Call) -> str:
    """Return the header text of a message, or ''."""
    return next((b["text"]["text"] for b in blocks(call) if b["type"] == "header"), "")


def buttons(call: Call) -> dict[str, str]:
    """Return a message's buttons as {label: action_id}."""
    return {
        element["text"]["text"]: element["action_id"]
        for block in blocks(call)
        if block["type"] == "actions"
        for element in block["elements"]
    }


def titled(prefix: str, channel: str | None = None, thread: str | None = None) -> Any:
    """Return a predicate for chat.postMessage calls whose header starts with `prefix`."""

    def match(call: Call) -> bool:
        if channel is not None and call.args.get("channel") != channel:
            return False
        if thread is not None and call.args.get("thread_ts") != thread:
            return False
        return header(call).startswith(prefix)

    return match


def saying(words: str) -> Any:
    """Return a predicate for calls whose fallback text contains `words`."""
    return lambda call: words in str(call.args.get("text", ""))
