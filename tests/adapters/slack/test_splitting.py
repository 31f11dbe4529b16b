"""Splitting long Markdown for Slack: at the limit, one part; one more character, two; nothing lost."""

from __future__ import annotations

import re

import pytest

from adapters.slack.splitting import split_markdown

LIMIT = 3000


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_text_at_the_limit_is_one_part() -> None:
    text = ("word " * 600)[:LIMIT]
    assert len(text) == LIMIT
    assert split_markdown(text, LIMIT) == [text.strip("\n")]


def test_one_character_over_the_limit_is_two_parts_and_nothing_is_lost() -> None:
    text = ("word " * 601)[: LIMIT + 1]
    parts = split_markdown(text, LIMIT)
    assert len(parts) == 2 and all(len(p) <= LIMIT for p in parts)
    assert squeeze("".join(parts)) == squeeze(text)


def test_paragraph_boundaries_are_preferred() -> None:
    first, second = "a" * 2000, "b" * 1500
    parts = split_markdown(f"{first}\n\n{second}", LIMIT)
    assert parts == [first, second]


def test_a_code_fence_is_closed_and_reopened_in_each_part() -> None:
    code = "\n".join(f"x_{i} = {i} * 2  # a line of code" for i in range(200))
    text = f"Intro.\n\n```python\n{code}\n```\n\nOutro."
    parts = split_markdown(text, LIMIT)
    assert len(parts) >= 3 and all(len(p) <= LIMIT for p in parts)
    for part in parts:
        assert part.count("```") % 2 == 0, "every part renders on its own"
    assert all(p.startswith("```python") for p in parts[1:-1])
    body = "".join(p.replace("```python\n", "").replace("\n```", "") for p in parts)
    assert squeeze(body) == squeeze(text.replace("```python\n", "").replace("\n```", ""))


def test_a_word_longer_than_a_part_is_cut_not_dropped() -> None:
    text = "z" * (2 * LIMIT + 5)
    parts = split_markdown(text, LIMIT)
    assert "".join(parts) == text and all(len(p) <= LIMIT for p in parts)


def test_empty_text_has_no_parts_and_tiny_limits_are_refused() -> None:
    assert split_markdown("", LIMIT) == []
    with pytest.raises(ValueError):
        split_markdown("text", 50)
