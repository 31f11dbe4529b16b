"""Render core posts and forms as Block Kit (pure functions), and read submitted modals back."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.splitting import split_markdown
from bot.vocabulary import Action, Form, Post

# Slack's limits (docs.slack.dev/block-kit, chat.postMessage; slack_sdk models/blocks).
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
HEADER_LIMIT = 150
BLOCKS_PER_MESSAGE = 50
TEXT_LIMIT = 4000
BUTTONS_PER_ACTIONS = 25
MODAL_TITLE_LIMIT = 24
INPUT_LIMIT = 3000
FORM_CALLBACK = "mlq-form"
STYLES = {"primary": "primary", "success": "primary", "danger": "danger"}

Block = dict[str, Any]

_FENCE = re.compile(r"(```.*?```)", re.DOTALL)
_CODE = re.compile(r"(`[^`\n]+`)")
_SLACK_TOKEN = re.compile(r"<(?:[@#!][^<>\s]+|https?://[^<>\s]+)>")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


@dataclass
class SlackMessage:
    """One chat.postMessage worth of content: blocks and the notification text that carries them all."""

    blocks: list[Block] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Return the top-level `text` (shown in notifications and by clients without blocks)."""
        return "\n".join(self.texts)

    def payload(self) -> dict[str, Any]:
        """Return the arguments for chat.postMessage / chat.update / respond()."""
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Escape &, < and > as Slack requires, keeping mentions (<@U1>, <#C1|x>) and links."""
    out: list[str] = []
    last = 0
    for match in _SLACK_TOKEN.finditer(text):
        out.append(_escape_plain(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_plain(text[last:]))
    return "".join(out)


def unescape(text: str) -> str:
    """Undo Slack's escaping of &, < and > in what members typed (mentions arrive unescaped)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _escape_plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Turn the core's Markdown into Slack mrkdwn (bold, links, headings), leaving code untouched."""
    pieces = []
    for index, chunk in enumerate(_FENCE.split(markdown)):
        if index % 2:  # a fenced code block
            pieces.append(_escape_plain(chunk))
            continue
        inline = []
        for j, part in enumerate(_CODE.split(chunk)):
            if j % 2:
                inline.append(_escape_plain(part))
                continue
            part = escape(part)
            part = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", part)
            part = _BOLD.sub(r"*\1*", part)
            part = _HEADING.sub(r"*\1*", part)
            inline.append(part)
        pieces.append("".join(inline))
    return "".join(pieces)


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    """Return a plain_text object (labels, titles: the only place text is shortened, never content)."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    """Return an mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def button(action: Action) -> dict[str, Any]:
    """Return a button whose action_id and value carry the core's custom_id (restart-safe)."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(action.label, 75),
        "action_id": action.custom_id,
        "value": action.custom_id,
    }
    if action.style in STYLES:
        element["style"] = STYLES[action.style]
    return element


def _sections(markdown: str) -> list[tuple[Block, str]]:
    return [
        ({"type": "section", "text": mrkdwn(part)}, part) for part in split_markdown(to_mrkdwn(markdown), SECTION_LIMIT)
    ]


def post_blocks(post: Post) -> list[tuple[Block, str]]:
    """Return a post's blocks in order, each with the text it shows (for the fallback `text`)."""
    out: list[tuple[Block, str]] = []
    if len(post.title) <= HEADER_LIMIT:
        out.append(({"type": "header", "text": plain(post.title)}, post.title))
    else:
        out += _sections(f"**{post.title}**")
    if post.body:
        out += _sections(post.body)
    inline = [f for f in post.fields if f.inline]
    for start in range(0, len(inline), FIELDS_PER_SECTION):
        group = inline[start : start + FIELDS_PER_SECTION]
        texts = [f"*{escape(f.name)}*\n{to_mrkdwn(f.value)}" for f in group]
        if all(len(t) <= FIELD_LIMIT for t in texts):
            out.append(({"type": "section", "fields": [mrkdwn(t) for t in texts]}, "\n".join(texts)))
        else:
            out += _sections("\n\n".join(f"**{f.name}**\n{f.value}" for f in group))
    for f in post.fields:
        if not f.inline:
            out += _sections(f"**{f.name}**\n{f.value}")
    if post.footer:
        for block, text in _sections(post.footer):
            out.append(({"type": "context", "elements": [block["text"]]}, text))
    for start in range(0, len(post.actions), BUTTONS_PER_ACTIONS):
        buttons = [button(a) for a in post.actions[start : start + BUTTONS_PER_ACTIONS]]
        out.append(({"type": "actions", "elements": buttons}, ""))
    return out


def render(post: Post) -> list[SlackMessage]:
    """Return a post as one or more messages: ≤50 blocks each, and a `text` ≤4000 that holds all of it."""
    messages: list[SlackMessage] = []
    current = SlackMessage()
    size = 0
    for block, text in post_blocks(post):
        added = len(text) + (1 if current.texts else 0)
        if current.blocks and (len(current.blocks) >= BLOCKS_PER_MESSAGE or size + added > TEXT_LIMIT):
            messages.append(current)
            current, size, added = SlackMessage(), 0, len(text)
        current.blocks.append(block)
        if text:
            current.texts.append(text)
            size += added
    if current.blocks:
        messages.append(current)
    return messages


def form_view(form: Form, channel: str, thread: str | None) -> dict[str, Any]:
    """Return a modal for a core form; the place travels in private_metadata."""
    metadata = json.dumps({"form": form.form_id, "channel": channel, "thread": thread})
    blocks = []
    for item in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": item.field_id,
            "multiline": item.multiline,
            "max_length": min(item.max_length, INPUT_LIMIT),
        }
        if item.min_length:
            element["min_length"] = min(item.min_length, INPUT_LIMIT)
        if item.placeholder:
            element["placeholder"] = plain(item.placeholder, 150)
        blocks.append(
            {
                "type": "input",
                "block_id": item.field_id,
                "label": plain(item.label, 2000),
                "optional": not item.required,
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "private_metadata": metadata,
        "title": plain(form.title, MODAL_TITLE_LIMIT),
        "submit": plain("Submit"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


@dataclass(frozen=True)
class Submission:
    """A submitted modal, read back: which form, its values, and where it was opened."""

    form_id: str
    values: dict[str, str]
    channel: str
    thread: str | None


def read_submission(view: dict[str, Any]) -> Submission:
    """Read a view_submission's view: the form id and place from private_metadata, values from state."""
    meta = json.loads(view.get("private_metadata") or "{}")
    values: dict[str, str] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for action in actions.values():
            values[block_id] = action.get("value") or ""
    return Submission(str(meta.get("form", "")), values, str(meta.get("channel", "")), meta.get("thread"))
