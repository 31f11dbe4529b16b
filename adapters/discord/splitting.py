"""Split long Markdown into parts that fit Discord's limits, at paragraph and code-fence boundaries (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^\s*(```+|~~~+)(.*)$")


@dataclass(frozen=True)
class _Block:
    """A paragraph, or a whole fenced code block (`opener` is its first line, such as ```python)."""

    lines: tuple[str, ...]
    opener: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def split_markdown(text: str, limit: int) -> list[str]:
    """Return parts of at most `limit` characters; nothing is dropped and every part's fences are balanced."""
    if limit < 40:
        raise ValueError("limit is too small to re-open code fences")
    text = text.strip("\n")
    if len(text) <= limit and _balanced(text):
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in _pieces(_blocks(text), limit):
        joined = f"{current}\n\n{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        current = piece
    if current:
        parts.append(current)
    return parts


def _balanced(text: str) -> bool:
    return sum(1 for line in text.split("\n") if _FENCE.match(line)) % 2 == 0


def _blocks(text: str) -> list[_Block]:
    """Cut text into paragraphs (blank-line separated) and fenced blocks (kept whole, blank lines and all)."""
    blocks: list[_Block] = []
    paragraph: list[str] = []
    code: list[str] | None = None
    marker = ""

    def flush() -> None:
        if paragraph:
            blocks.append(_Block(tuple(paragraph)))
            paragraph.clear()

    for line in text.split("\n"):
        fence = _FENCE.match(line)
        if code is not None:
            code.append(line)
            if (
                fence
                and fence.group(1).startswith(marker[0])
                and len(fence.group(1)) >= len(marker)
                and not fence.group(2).strip()
            ):
                blocks.append(_Block(tuple(code), code[0]))
                code = None
            continue
        if fence:
            flush()
            code, marker = [line], fence.group(1)
        elif line.strip():
            paragraph.append(line)
        else:
            flush()
    flush()
    if code is not None:  # an unclosed fence: close it, so the parts render as the author meant
        blocks.append(_Block((*code, marker), code[0]))
    return blocks


def _pieces(blocks: list[_Block], limit: int) -> list[str]:
    """Return each block as one piece, or as several when it is over the limit."""
    pieces: list[str] = []
    for block in blocks:
        if len(block.text) <= limit:
            pieces.append(block.text)
        elif block.opener is None:
            pieces.extend(_pack_lines(list(block.lines), limit, "\n"))
        else:
            opener, closer = block.lines[0], block.lines[-1]
            room = limit - len(opener) - len(closer) - 2
            for body in _pack_lines(list(block.lines[1:-1]), room, "\n"):
                pieces.append(f"{opener}\n{body}\n{closer}")
    return pieces


def _pack_lines(lines: list[str], limit: int, sep: str) -> list[str]:
    """Pack lines into chunks of at most `limit`; a line longer than that is cut at spaces, or hard."""
    chunks: list[str] = []
    current: str | None = None
    for line in lines:
        for segment in _cut(line, limit):
            if current is None:
                current = segment
            elif len(current) + len(sep) + len(segment) <= limit:
                current = current + sep + segment
            else:
                chunks.append(current)
                current = segment
    if current is not None:
        chunks.append(current)
    return chunks


def _cut(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    out: list[str] = []
    rest = line
    while len(rest) > limit:
        at = rest.rfind(" ", limit // 2, limit + 1)
        if at <= 0:
            out.append(rest[:limit])
            rest = rest[limit:]
        else:
            out.append(rest[:at])
            rest = rest[at + 1 :]
    out.append(rest)
    return out
