"""The core's own small vocabulary: who acts, where, and what the bot says."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Actor:
    """A person pressing, typing or reacting on one platform."""

    platform: str
    workspace: str
    user: str
    display_name: str
    is_admin: bool = False

    def mention(self) -> str:
        """Return how the core names this person in a post."""
        return self.display_name or self.user


@dataclass(frozen=True)
class Place:
    """A channel, or a thread inside one, on one platform."""

    platform: str
    workspace: str
    channel: str
    thread: str | None = None

    def in_thread(self, thread: str | None) -> Place:
        """Return this channel's place with another thread."""
        return Place(self.platform, self.workspace, self.channel, thread)


@dataclass(frozen=True)
class MessageRef:
    """A message the bot or a member sent, as the platform identifies it."""

    place: Place
    message_id: str


class ActionKind(enum.StrEnum):
    """What a button does; the value travels inside the button id."""

    ANSWER = "answer"
    REVEAL = "reveal"
    UPVOTE = "upvote"
    NAILED = "nailed"
    PARTLY = "partly"
    MISSED = "missed"
    SHOW_ANSWER = "show"


ACTION_PREFIX = "mlq"


@dataclass(frozen=True)
class Action:
    """A button on a post; `custom_id` survives restarts because it carries its target."""

    kind: ActionKind
    target: str
    label: str
    style: str = "secondary"  # primary | secondary | success | danger

    @property
    def custom_id(self) -> str:
        """Return the id a platform stores on the button (`mlq:<action>:<id>`)."""
        return f"{ACTION_PREFIX}:{self.kind.value}:{self.target}"


@dataclass(frozen=True)
class Field:
    """A short labelled value shown with a post."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True)
class Post:
    """A render-neutral message: each adapter turns it into an embed, blocks or text."""

    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    actions: tuple[Action, ...] = ()
    footer: str = ""
    author: str = ""
    kind: str = "info"  # question | answer | reveal | info | error


@dataclass(frozen=True)
class FormField:
    """One text input of a form."""

    field_id: str
    label: str
    placeholder: str = ""
    max_length: int = 3000
    min_length: int = 1
    multiline: bool = True
    required: bool = True


@dataclass(frozen=True)
class Form:
    """A form (a modal) the member fills in, such as their answer; `form_id` routes the submission."""

    form_id: str
    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class Reply:
    """A post sent back to whoever acted: in the place, or privately to them."""

    post: Post
    private: bool = False


@dataclass(frozen=True)
class OpenForm:
    """Ask the adapter to open a form for the member who acted."""

    form: Form


Response = Reply | OpenForm


class Pending(Protocol):
    """What an outcome shows but the database does not hold yet (see `Outcome.settle`)."""

    async def keep(self) -> Outcome:
        """Store it; return what to tell the member when that failed (an empty outcome when it did not)."""
        ...


@dataclass(frozen=True)
class Outcome:
    """What the core answers to one member's input.

    `pending` is set only when the adapter asked the core to answer first (Discord's slash commands): the
    responses show a question whose round is stored once they are out. The adapter then calls `settle`
    after delivering them, whether delivering worked or not (a platform error may come after the message
    was shown), and delivers what `settle` returns.
    """

    responses: tuple[Response, ...] = field(default_factory=tuple)
    pending: Pending | None = field(default=None, compare=False)

    @classmethod
    def of(cls, *responses: Response) -> Outcome:
        """Build an outcome from responses."""
        return cls(tuple(responses))

    async def settle(self) -> Outcome:
        """Store what the responses showed, if anything is pending; return what else the member must hear."""
        return Outcome() if self.pending is None else await self.pending.keep()
