"""Render core posts as terminal text (pure functions)."""

from __future__ import annotations

import re
import textwrap

from bot.vocabulary import Post

_BOLD = re.compile(r"\*\*(.+?)\*\*")
RULE = "─"


def wrap(text: str, width: int) -> str:
    """Wrap prose lines to `width`, leaving code blocks and indentation alone."""
    out: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code or len(line) <= width:
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" •-*"))
        out.extend(textwrap.wrap(line, width, subsequent_indent=" " * indent, break_long_words=False))
    return "\n".join(out)


def render(post: Post, *, private: bool = False, color: bool = False, width: int = 72) -> str:
    """Return a post as lines of text with its buttons as `[ Label ]`."""

    def bold(text: str) -> str:
        return f"\033[1m{text}\033[0m" if color else text

    head = f"── {post.title} "
    if private:
        head = f"── (only you) {post.title} "
    lines = [bold(head + RULE * max(3, width - len(head)))]
    if post.author and post.kind != "answer":
        lines.append(f"by {post.author}")
    if post.body:
        lines.append(wrap(_BOLD.sub(lambda m: bold(m.group(1)), post.body), width))
    inline = [f"{f.name}: {f.value}" for f in post.fields if f.inline]
    if inline:
        lines.append(" · ".join(inline))
    lines += [f"{f.name}: {f.value}" for f in post.fields if not f.inline]
    if post.footer:
        lines.append(post.footer)
    if post.actions:
        lines.append("  ".join(f"[ {a.label} ]" for a in post.actions))
    return "\n".join(lines)
