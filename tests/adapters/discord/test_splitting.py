"""Splitting long Markdown for Discord: at the limit, one over, paragraphs and code fences."""

from __future__ import annotations

import re

import pytest

from adapters.discord.splitting import split_markdown

FENCE = re.compile(r"^\s*```")


def fences_balanced(part: str) -> bool:
    return sum(1 for line in part.split("\n") if FENCE.match(line)) % 2 == 0


def words(text: str) -> list[str]:
    """Return the words outside fence markers (what a reader gets across all parts)."""
    return [w for line in text.split("\n") if not FENCE.match(line) for w in line.split()]


@pytest.mark.parametrize("limit", [2000, 4096])
def test_text_exactly_at_the_limit_is_one_part(limit: int) -> None:
    text = ("word " * limit)[: limit - 1] + "x"
    assert len(text) == limit
    assert split_markdown(text, limit) == [text]


@pytest.mark.parametrize("limit", [2000, 4096])
def test_one_character_over_the_limit_is_two_parts_with_nothing_lost(limit: int) -> None:
    half = "a" * (limit // 2)
    text = f"{half}\n\n{'b' * (limit - len(half) - 1)}"
    assert len(text) == limit + 1
    parts = split_markdown(text, limit)
    assert parts == [half, "b" * (limit - len(half) - 1)]
    assert all(len(p) <= limit for p in parts)


def test_splits_at_paragraph_boundaries() -> None:
    paragraphs = [f"Paragraph {i}. " + "lorem ipsum " * 30 for i in range(12)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_markdown(text, 1000)
    assert len(parts) > 1 and all(len(p) <= 1000 for p in parts)
    assert "\n\n".join(parts) == text, "only the blank lines between paragraphs are where parts meet"


def test_a_long_code_block_is_closed_and_reopened_in_every_part() -> None:
    code = "\n".join(f"    x_{i} = compute({i})  # step {i}" for i in range(300))
    text = f"Here is the code:\n\n```python\n{code}\n```\n\nAnd that is all."
    parts = split_markdown(text, 2000)
    assert len(parts) >= 5
    for part in parts:
        assert len(part) <= 2000
        assert fences_balanced(part), part
    inside = [p for p in parts if "x_150" in p]
    assert inside and inside[0].startswith("```python\n"), "a continued block re-opens with its language"
    assert words(text) == words("\n".join(parts))


def test_an_unclosed_fence_is_closed_in_each_part() -> None:
    text = "Intro\n\n```\n" + "\n".join(f"line {i}" for i in range(600))
    parts = split_markdown(text, 2000)
    assert all(fences_balanced(p) and len(p) <= 2000 for p in parts)
    assert words(text) == words("\n".join(parts))


def test_a_single_huge_line_is_cut_at_spaces_without_losing_words() -> None:
    text = " ".join(f"w{i}" for i in range(3000))
    parts = split_markdown(text, 2000)
    assert all(len(p) <= 2000 for p in parts)
    assert words(text) == words("\n".join(parts))


def test_blank_lines_inside_code_stay_inside_the_block() -> None:
    text = "```\na = 1\n\nb = 2\n```"
    assert split_markdown(text, 2000) == [text]
