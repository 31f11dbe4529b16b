"""The `mlquestion` command line, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.content.test_validation import GOOD, write_bank


def mlquestion(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD", "SLACK", "DATABASE", "MLQ_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_content_validate_lists_every_problem_and_fails(tmp_path: Path) -> None:
    root = write_bank(
        tmp_path / "bank",
        {
            "statistics/statistics-sample-question.md": GOOD.replace("difficulty: easy", "difficulty: trivial"),
            "statistics/statistics-other.md": "no front matter",
        },
    )
    result = mlquestion("content", "validate", str(root), cwd=tmp_path)
    assert result.returncode == 1
    assert "statistics-sample-question.md: difficulty: 'trivial' must be easy, medium or hard" in result.stdout
    assert "statistics-other.md: file: must start with `---` front matter" in result.stdout
    assert "2 problem(s)" in result.stderr


def test_content_validate_passes_on_the_shipped_bank(tmp_path: Path) -> None:
    result = mlquestion("content", "validate", cwd=tmp_path)
    assert result.returncode == 0 and "all valid" in result.stdout


def test_content_export_prints_the_bank_as_json(tmp_path: Path) -> None:
    result = mlquestion("content", "export", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0
    bank = json.loads(result.stdout)
    assert len(bank) >= 250
    for key in ("id", "question", "topic", "difficulty", "answer", "key_points", "follow_ups", "sources"):
        assert key in bank[0]
    assert isinstance(bank[0]["key_points"], list)


def test_topics_lists_counts(tmp_path: Path) -> None:
    result = mlquestion("topics", cwd=tmp_path)
    assert result.returncode == 0
    assert "cnn" in result.stdout and "CNNs and computer vision" in result.stdout and "total" in result.stdout


def test_run_without_credentials_says_what_to_set(tmp_path: Path) -> None:
    result = mlquestion("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and "SLACK_BOT_TOKEN" in result.stderr and "console" in result.stderr


def test_a_wrong_setting_stops_start_up_with_one_sentence(tmp_path: Path) -> None:
    result = mlquestion("run", cwd=tmp_path, env={"MLQ_CLOCK_SPEED": "fast"})
    assert result.returncode == 2
    assert result.stderr.startswith("mlquestion: MLQ_CLOCK_SPEED") and "Traceback" not in result.stderr


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = mlquestion("db", "upgrade", cwd=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 0 and "up to date" in result.stdout
    assert (tmp_path / "fresh.db").exists()


@pytest.mark.parametrize("args", [["content"], ["db"], ["bogus"]])
def test_usage_errors_do_not_crash(tmp_path: Path, args: list[str]) -> None:
    result = mlquestion(*args, cwd=tmp_path)
    assert result.returncode == 2 and "usage: mlquestion" in result.stderr and "Traceback" not in result.stderr
