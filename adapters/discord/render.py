"""Render core posts as Discord message payloads (pure functions: dicts in the REST API's shape)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapters.discord.splitting import split_markdown
from bot.vocabulary import Action, Field, Post

# Discord limits (discord-api-docs: resources/message.mdx, components/reference.mdx, resources/channel.mdx).
CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
MESSAGE_EMBED_TOTAL = 6000
TITLE_LIMIT = 256
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
MAX_FIELDS = 25
BUTTONS_PER_ROW = 5
MAX_ROWS = 5
LABEL_LIMIT = 80
THREAD_NAME_LIMIT = 100
ARCHIVE_MINUTES = (60, 1440, 4320, 10080)
# Leave this much of an embed's 6000 characters to the body, or fold the fields into it.
MIN_BODY_ROOM = 1500

COLORS = {"question": 0x5865F2, "answer": 0x57F287, "reveal": 0xFEE75C, "error": 0xED4245, "info": 0x99AAB5}
BUTTON_STYLES = {"primary": 1, "secondary": 2, "success": 3, "danger": 4}
EPHEMERAL = 64

Json = dict[str, Any]


@dataclass(frozen=True)
class Message:
    """One Discord message: its embeds and its rows of buttons."""

    embeds: tuple[Json, ...]
    components: tuple[Json, ...] = field(default_factory=tuple)

    def payload(self) -> Json:
        """Return the body of `POST /channels/{id}/messages` (mentions inside posts never ping)."""
        return {"embeds": list(self.embeds), "components": list(self.components), "allowed_mentions": {"parse": []}}

    def size(self) -> int:
        """Return the characters that count toward the 6000 per message."""
        return sum(embed_size(e) for e in self.embeds)


def embed_size(embed: Json) -> int:
    """Return an embed's characters as Discord counts them (title, description, fields, footer, author)."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    return total


def render(post: Post) -> list[Message]:
    """Return a post as one message, or several when its body is over Discord's limits (never truncated)."""
    title, body, fields = post.title, post.body, list(post.fields)
    if len(title) > TITLE_LIMIT:
        body = f"**{title}**\n\n{body}"
        title = title[: TITLE_LIMIT - 1] + "…"
    fitting = [f for f in fields if len(f.name) <= FIELD_NAME_LIMIT and len(f.value) <= FIELD_VALUE_LIMIT]
    if len(fitting) != len(fields) or len(fields) > MAX_FIELDS:
        body, fields = _fold(body, fields), []
    author = post.author[:AUTHOR_LIMIT]
    footer = post.footer
    if len(footer) > FOOTER_LIMIT:
        body, footer = f"{body}\n\n{footer}", ""
    head = len(title) + len(author)
    tail = sum(len(f.name) + len(f.value) for f in fields) + len(footer)
    if MESSAGE_EMBED_TOTAL - head - tail < MIN_BODY_ROOM:
        body, fields, tail = _fold(body, fields), [], len(footer)
    room = min(DESCRIPTION_LIMIT, MESSAGE_EMBED_TOTAL - head - tail)
    parts = split_markdown(body, room) if body.strip() else []
    color = COLORS.get(post.kind, COLORS["info"])
    count = max(1, len(parts))
    messages: list[Message] = []
    for index in range(count):
        embed: Json = {"color": color}
        if index == 0:
            embed["title"] = title
            if author and post.kind != "answer":
                embed["author"] = {"name": author}
        if index < len(parts):
            embed["description"] = parts[index]
        last = index == count - 1
        if last and fields:
            embed["fields"] = [{"name": f.name, "value": f.value, "inline": f.inline} for f in fields]
        if last and footer:
            embed["footer"] = {"text": footer}
        messages.append(Message((embed,), components(post.actions) if last else ()))
    return messages


def _fold(body: str, fields: list[Field]) -> str:
    extra = "\n".join(f"**{f.name}:** {f.value}" for f in fields)
    return f"{body}\n\n{extra}" if body else extra


def components(actions: tuple[Action, ...]) -> tuple[Json, ...]:
    """Return buttons in action rows (5 per row); each button's custom_id is the core's `mlq:` id."""
    buttons = [
        {
            "type": 2,
            "style": BUTTON_STYLES.get(a.style, BUTTON_STYLES["secondary"]),
            "label": a.label[:LABEL_LIMIT],
            "custom_id": a.custom_id,
        }
        for a in actions
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return tuple({"type": 1, "components": row} for row in rows[:MAX_ROWS])


def archive_minutes(after: timedelta) -> int:
    """Round a thread's archive time up to one Discord allows (60, 1440, 4320 or 10080 minutes)."""
    minutes = after.total_seconds() / 60
    return next((choice for choice in ARCHIVE_MINUTES if choice >= minutes), ARCHIVE_MINUTES[-1])


def thread_name(name: str) -> str:
    """Return a thread name Discord accepts (1-100 characters)."""
    name = " ".join(name.split()) or "Discussion"
    return name if len(name) <= THREAD_NAME_LIMIT else name[: THREAD_NAME_LIMIT - 1].rstrip() + "…"


def plain(text: str) -> list[str]:
    """Split plain message content to Discord's 2000 characters."""
    return split_markdown(text, CONTENT_LIMIT)
