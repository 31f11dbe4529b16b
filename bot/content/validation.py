"""Parse and check question files; every error names the file, the field and the rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.content.question import Difficulty, Question

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SEED_PATTERN = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
LATEX = re.compile(r"\$[^$\n]+\$|\\(?:frac|sum|sqrt|alpha|beta|theta|mathbb|cdot|times|left|right)\b")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
MAX_ID = 60
MAX_ANSWER = 3000
REQUIRED = ("id", "question", "topic", "difficulty", "key_points", "follow_ups", "sources")
# libyaml's safe loader when PyYAML was built with it (the wheels are): several times faster at start-up.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str) -> Any:
    """Parse YAML safely (plain data only), with the fastest safe loader available."""
    return yaml.load(text, Loader=SAFE_LOADER)


@dataclass(frozen=True)
class ContentError:
    """One problem with one content file."""

    path: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class TopicSpec:
    """A topic as `topics.yaml` declares it."""

    slug: str
    name: str
    aliases: tuple[str, ...]


def load_topics(path: Path) -> tuple[list[TopicSpec], list[ContentError]]:
    """Read `topics.yaml`; return the topics and any problems."""
    errors: list[ContentError] = []
    try:
        raw = _load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [], [ContentError(str(path), "file", f"cannot be read as YAML ({exc})")]
    if not isinstance(raw, list):
        return [], [ContentError(str(path), "file", "must be a list of topics")]
    topics: list[TopicSpec] = []
    for index, item in enumerate(raw):
        where = f"topics[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("slug"), str):
            errors.append(ContentError(str(path), where, "needs a `slug` and a `name`"))
            continue
        slug = item["slug"]
        if not ID_PATTERN.match(slug):
            errors.append(ContentError(str(path), where, f"slug {slug!r} must be lowercase-words"))
        aliases = item.get("aliases") or []
        topics.append(TopicSpec(slug, str(item.get("name") or slug), tuple(map(str, aliases))))
    return topics, errors


def _text_list(meta: dict[str, Any], name: str, low: int, high: int) -> tuple[str, ...] | str:
    value = meta.get(name)
    if not isinstance(value, list):
        return "must be a list of texts (lines starting with `- `)"
    for number, item in enumerate(value, 1):
        if isinstance(item, dict):
            return f"item {number} was read as a mapping: quote it, since it contains `: `"
        if not isinstance(item, str) or not item.strip():
            return f"item {number} must be a non-empty text"
    if not low <= len(value) <= high:
        return f"must have {low} to {high} items, has {len(value)}"
    return tuple(v.strip() for v in value)


def parse_question(
    text: str, origin: str, topics: set[str], expected_id: str | None = None
) -> tuple[Question | None, list[ContentError]]:
    """Parse one question file's text; return the question or the reasons it is broken."""
    match = FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        return None, [ContentError(origin, "file", "must start with `---` front matter and end it with `---`")]
    try:
        meta = _load_yaml(match.group(1))
    except yaml.YAMLError as exc:
        return None, [ContentError(origin, "front matter", f"is not valid YAML ({exc})")]
    if not isinstance(meta, dict):
        return None, [ContentError(origin, "front matter", "must be a mapping of fields")]
    errors = [ContentError(origin, name, "is missing") for name in REQUIRED if name not in meta]
    if errors:
        return None, errors

    def bad(name: str, reason: str) -> None:
        errors.append(ContentError(origin, name, reason))

    qid = str(meta["id"])
    topic = str(meta["topic"])
    if not ID_PATTERN.match(qid) or len(qid) > MAX_ID:
        bad("id", f"{qid!r} must be lowercase words joined by '-', at most {MAX_ID} characters")
    if expected_id is not None and qid != expected_id:
        bad("id", f"{qid!r} must equal the file name {expected_id!r}")
    if topic not in topics:
        bad("topic", f"{topic!r} is not a topic of topics.yaml ({', '.join(sorted(topics))})")
    elif not qid.startswith(topic + "-"):
        bad("id", f"{qid!r} must start with its topic, '{topic}-'")
    try:
        difficulty = Difficulty(str(meta["difficulty"]))
    except ValueError:
        bad("difficulty", f"{meta['difficulty']!r} must be easy, medium or hard")
        difficulty = Difficulty.MEDIUM
    question = meta["question"]
    if not isinstance(question, str) or not 10 <= len(question.strip()) <= 300:
        bad("question", "must be one question of 10 to 300 characters")
    key_points = _text_list(meta, "key_points", 3, 6)
    follow_ups = _text_list(meta, "follow_ups", 1, 3)
    sources = _text_list(meta, "sources", 1, 3)
    for name, value in (
        ("key_points", key_points),
        ("follow_ups", follow_ups),
        ("sources", sources),
    ):
        if isinstance(value, str):
            bad(name, value)
    if isinstance(sources, tuple):
        for source in sources:
            if source != "original" and not SEED_PATTERN.match(source):
                bad("sources", f"{source!r} must be a seed article's file name or 'original'")
    answer = match.group(2).strip()
    if not answer:
        bad("answer", "the Markdown body after the front matter is empty")
    elif len(answer) > MAX_ANSWER:
        bad("answer", f"has {len(answer)} characters; the limit is {MAX_ANSWER}")
    if LATEX.search(answer):
        bad("answer", "uses LaTeX; write formulas in plain Unicode or `inline code`")
    if answer.count("```") % 2:
        bad("answer", "has an unclosed ``` code block")
    if errors:
        return None, errors
    assert isinstance(key_points, tuple) and isinstance(follow_ups, tuple)
    assert isinstance(sources, tuple) and isinstance(question, str)
    return (
        Question(qid, question.strip(), topic, difficulty, answer, key_points, follow_ups, sources),
        [],
    )


def validate_tree(root: Path) -> tuple[list[Question], list[TopicSpec], list[ContentError]]:
    """Load every question under `root` (a content folder); return them and all problems."""
    topics, errors = load_topics(root / "topics.yaml")
    slugs = {t.slug for t in topics}
    questions: list[Question] = []
    seen: dict[str, str] = {}
    files = sorted((root / "questions").rglob("*.md")) if (root / "questions").is_dir() else []
    if not files:
        errors.append(ContentError(str(root), "questions", "no question files found"))
    for path in files:
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(ContentError(origin, "file", f"cannot be read as UTF-8 text ({exc})"))
            continue
        question, problems = parse_question(text, origin, slugs, expected_id=path.stem)
        errors.extend(problems)
        if question is None:
            continue
        if question.topic != path.parent.name:
            errors.append(ContentError(origin, "topic", f"the file must be in questions/{question.topic}/"))
            continue
        if question.id in seen:
            errors.append(ContentError(origin, "id", f"{question.id!r} is also used by {seen[question.id]}"))
            continue
        seen[question.id] = origin
        questions.append(question)
    return questions, topics, errors
