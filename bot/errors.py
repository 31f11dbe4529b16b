"""Errors the core raises with a sentence the member can act on."""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected problem; `message` is shown privately to the member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(UserFacingError):
    """The command was written wrongly; the message says how to write it."""


class UnknownTopicError(UsageError):
    """The topic is not in the bank."""


class UnknownQuestionError(UserFacingError):
    """No question has that id here."""


class NotAllowedError(UserFacingError):
    """The member may not do this (an admin command, someone else's reveal)."""


class RoundClosedError(UserFacingError):
    """The round was already revealed, so it takes no more answers or votes."""


class NothingOpenError(UserFacingError):
    """There is no open question where the member asked."""


class NoQuestionsError(UserFacingError):
    """No question matches the filters."""


class PlatformRefusedError(Exception):
    """The platform refused a post for good (lost access, deleted channel).

    Adapters raise it from the outbound port; the core pauses the schedule.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
