"""The content schema: every error names the file, the field and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.bank import ContentInvalidError, load_bank
from bot.content.validation import validate_tree

GOOD = """---
id: statistics-sample-question
topic: statistics
difficulty: easy
question: What does the central limit theorem say?
key_points:
  - Sample means are approximately normal for large n.
  - It needs finite variance.
  - Independence matters.
follow_ups:
  - What if the variance is infinite?
sources:
  - original
---
The central limit theorem says that the mean of many independent draws is close to normally distributed.
"""


def write_bank(root: Path, files: dict[str, str]) -> Path:
    (root / "questions").mkdir(parents=True)
    (root / "topics.yaml").write_text("- slug: statistics\n  name: Statistics\n  aliases: [stats]\n")
    for name, text in files.items():
        path = root / "questions" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_good_file_loads(tmp_path: Path) -> None:
    root = write_bank(tmp_path, {"statistics/statistics-sample-question.md": GOOD})
    bank = load_bank(root)
    question = bank.get("statistics-sample-question")
    assert question is not None and question.key_points[2] == "Independence matters."
    assert bank.topic("stats").slug == "statistics"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (("difficulty: easy", "difficulty: trivial"), "difficulty", "must be easy, medium or hard"),
        (("topic: statistics", "topic: astrology"), "topic", "is not a topic of topics.yaml"),
        (("  - original", "  - wikipedia"), "sources", "must be a seed article's file name or 'original'"),
        (("  - Independence matters.", "  - Watch out: independence"), "key_points", "read as a mapping"),
        (("follow_ups:\n  - What if the variance is infinite?\n", ""), "follow_ups", "is missing"),
        (
            ("key_points:\n  - Sample means are approximately normal for large n.\n", "key_points:\n"),
            "key_points",
            "3 to 6",
        ),
        (("draws is close", "draws is $\\frac{1}{n}$ close"), "answer", "uses LaTeX"),
        (("normally distributed.", "normally distributed.\n```python\nx = 1"), "answer", "unclosed ``` code block"),
        (("normally distributed.", "x" * 3001), "answer", "the limit is 3000"),
        (("id: statistics-sample-question", "id: Statistics Sample"), "id", "lowercase words"),
    ],
)
def test_each_broken_rule_is_reported(tmp_path: Path, change: tuple[str, str], field: str, reason: str) -> None:
    root = write_bank(tmp_path, {"statistics/statistics-sample-question.md": GOOD.replace(*change)})
    _, _, errors = validate_tree(root)
    assert errors, change
    assert any(e.field == field and reason in e.reason for e in errors), errors
    assert all(e.path.endswith("statistics-sample-question.md") for e in errors)


def test_file_level_problems(tmp_path: Path) -> None:
    root = write_bank(
        tmp_path,
        {
            "statistics/statistics-no-front-matter.md": "just text",
            "statistics/statistics-bad-yaml.md": "---\nid: [unclosed\n---\nbody\n",
            "statistics/statistics-wrong-name.md": GOOD,
            "evaluation/statistics-sample-question.md": GOOD,
        },
    )
    _, _, errors = validate_tree(root)
    text = "\n".join(map(str, errors))
    assert "statistics-no-front-matter.md: file: must start with `---` front matter" in text
    assert "statistics-bad-yaml.md: front matter: is not valid YAML" in text
    assert "statistics-wrong-name.md: id: 'statistics-sample-question' must equal the file name" in text
    assert "evaluation/statistics-sample-question.md: topic: the file must be in questions/statistics/" in text
    with pytest.raises(ContentInvalidError, match="4 problem"):
        load_bank(root)
