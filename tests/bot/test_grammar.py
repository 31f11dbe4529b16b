"""One grammar for every adapter: text parsing, typed options, and the errors members read."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from bot.commands import COMMANDS, SPECS
from bot.commands.grammar import Kind, build, parse
from bot.content.bank import Bank
from bot.content.question import Difficulty
from bot.errors import UnknownTopicError, UsageError


def test_bare_command_is_a_random_question(bank: Bank) -> None:
    assert parse("/mlquestion", SPECS, bank).spec.name == "random"
    assert parse("", SPECS, bank).spec.name == "random"


@pytest.mark.parametrize(
    ("text", "topic", "difficulty"),
    [
        ("/mlquestion random cnn hard", "cnn", Difficulty.HARD),
        ("random hard", None, Difficulty.HARD),
        ("random vision", "cnn", None),
        ("random Statistics easy", "statistics", Difficulty.EASY),
        ("/mlquestion cnn hard", "cnn", Difficulty.HARD),
        ("nlp", "nlp", None),
    ],
)
def test_random_with_filters(bank: Bank, text: str, topic: str | None, difficulty: Difficulty | None) -> None:
    invocation = parse(text, SPECS, bank)
    assert invocation.spec.name == "random"
    assert invocation.get("topic") == topic and invocation.get("difficulty") == difficulty


def test_unknown_topic_lists_the_known_ones(bank: Bank) -> None:
    with pytest.raises(UnknownTopicError) as caught:
        parse("/mlquestion random mars", SPECS, bank)
    assert "There is no topic `mars`" in caught.value.message
    assert all(t.slug in caught.value.message for t in bank.topics)


def test_schedule_set_reads_slack_and_discord_mentions(bank: Bank) -> None:
    slack = parse("/mlquestion schedule set <#C0123ABC|study> 09:00 Europe/Berlin 8h cnn,nlp hard", SPECS, bank)
    assert slack.spec.name == "schedule set" and slack.spec.admin
    assert slack.get("channel") == "C0123ABC" and slack.get("time") == time(9, 0)
    assert str(slack.get("timezone")) == "Europe/Berlin" and slack.get("reveal_after") == timedelta(hours=8)
    assert slack.get("topics") == ("cnn", "nlp") and slack.get("difficulty") == Difficulty.HARD
    discord = parse("schedule set <#1234567890> 18:30 America/New_York", SPECS, bank)
    assert discord.get("channel") == "1234567890" and discord.get("reveal_after") is None
    console = parse("schedule set #general 07:05 UTC 10m", SPECS, bank)
    assert console.get("channel") == "general" and console.get("reveal_after") == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/mlquestion schedule", "needs one of: set | show | pause | resume | off"),
        ("/mlquestion dance", "There is no command `dance`"),
        ("/mlquestion show", "needs <id>"),
        ("/mlquestion leaderboard year", "`year` is not a period. Write week, month or all."),
        ("/mlquestion random cnn impossible", "`impossible` is not a difficulty"),
        ("/mlquestion schedule set #c 25:00 UTC", "hours go from 00 to 23"),
        ("/mlquestion schedule set #c 09:00 Mars/Olympus", "`Mars/Olympus` is not an IANA time zone"),
        ("/mlquestion schedule set #c 09:00 UTC 8x", "no topic `8x`"),
        ("/mlquestion topics extra", "`extra` does not fit `topics`"),
    ],
)
def test_bad_input_says_what_to_write(bank: Bank, text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text, SPECS, bank)
    assert message in caught.value.message


def test_typed_options_go_through_the_same_checks(bank: Bank) -> None:
    spec = COMMANDS["schedule set"].spec
    built = build(spec, {"channel": "123", "time": "09:00", "timezone": "Asia/Tokyo", "reveal_after": "10m"}, bank)
    assert built.get("channel") == "123" and built.get("reveal_after") == timedelta(minutes=10)
    with pytest.raises(UsageError, match="hours go from 00 to 23"):
        build(spec, {"channel": "123", "time": "24:00", "timezone": "UTC"}, bank)
    with pytest.raises(UsageError, match="needs <timezone>"):
        build(spec, {"channel": "123", "time": "09:00"}, bank)


def test_every_spec_fits_the_platforms_command_limits() -> None:
    names = [s.name for s in SPECS]
    assert len(names) == len(set(names))
    for spec in SPECS:
        assert all(1 <= len(word) <= 32 and word.islower() for word in spec.path)
        assert len(spec.help) <= 100, spec.name  # Discord descriptions are at most 100 characters
        assert len(spec.options) <= 25
        for option in spec.options:
            assert 1 <= len(option.name) <= 32 and option.name.islower() and len(option.help) <= 100
        assert len(spec.path) <= 2, "Discord allows one group level"
        assert spec.name in COMMANDS
    assert {o.kind for s in SPECS for o in s.options} <= set(Kind)
