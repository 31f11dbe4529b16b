"""Split long Markdown into parts that fit Slack's limits, at paragraph or code-fence boundaries.

Nothing is ever dropped: a part that ends inside a code fence closes it, and the next part
re-opens it with the same info string, so every part renders on its own.
"""

from __future__ import annotations

FENCE = "```"
# Room kept in every part for a re-opened fence line and its closing line.
_FENCE_ROOM = 40


def split_markdown(text: str, limit: int) -> list[str]:
    """Return `text` cut into parts of at most `limit` characters, preferring paragraph boundaries."""
    if limit <= 2 * _FENCE_ROOM:
        raise ValueError(f"limit must be more than {2 * _FENCE_ROOM} characters")
    text = text.strip("\n")
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit - _FENCE_ROOM):
        candidate = current + piece
        closing = len("\n" + FENCE) if _open_fence(candidate) else 0
        if current and len(candidate) + closing > limit:
            fence = _open_fence(current)
            parts.append(_close(current, fence))
            current = (fence + "\n" if fence else "") + _unlead(piece)
        else:
            current = candidate
    if current.strip():
        parts.append(_close(current, _open_fence(current)))
    return parts


def _pieces(text: str, budget: int) -> list[str]:
    """Cut text into paragraphs (each with the separator before it), lines or words that fit `budget`."""
    pieces: list[str] = []
    for index, paragraph in enumerate(text.split("\n\n")):
        lead = "\n\n" if index else ""
        if len(lead + paragraph) <= budget:
            pieces.append(lead + paragraph)
            continue
        for line_index, line in enumerate(paragraph.split("\n")):
            pieces.extend(_words(lead if line_index == 0 else "\n", line, budget))
    return pieces


def _words(sep: str, line: str, budget: int) -> list[str]:
    """Cut one over-long line at spaces, or inside a word only when the word alone is too long."""
    out: list[str] = []
    for index, word in enumerate(line.split(" ")):
        lead = sep if index == 0 else " "
        while len(lead + word) > budget:
            room = budget - len(lead)
            out.append(lead + word[:room])
            lead, word = "", word[room:]
        out.append(lead + word)
    # Merge the words back into chunks as large as the budget allows.
    merged: list[str] = []
    for chunk in out:
        if merged and len(merged[-1] + chunk) <= budget:
            merged[-1] += chunk
        else:
            merged.append(chunk)
    return merged


def _unlead(piece: str) -> str:
    """Drop the separator a piece carries when it starts a new part (a space between words, or newlines)."""
    return piece[1:] if piece.startswith(" ") else piece.lstrip("\n")


def _open_fence(text: str) -> str | None:
    """Return the opening line of the code fence still open at the end of `text`, if any."""
    fence: str | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(FENCE):
            fence = None if fence is not None else stripped
    return fence


def _close(part: str, fence: str | None) -> str:
    part = part.strip("\n")
    return part + "\n" + FENCE if fence is not None else part
