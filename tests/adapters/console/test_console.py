"""The console channel end to end: the real process, piped input, a whole daily round."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.console.render import render
from bot.vocabulary import Action, ActionKind, Field, Post
from tests.test_cli import mlquestion


def test_piped_commands_print_a_question_and_the_topics_then_exit(tmp_path: Path) -> None:
    result = mlquestion("console", cwd=tmp_path, stdin="/mlquestion random\n/mlquestion topics\n")
    assert result.returncode == 0, result.stderr
    assert "── Practice question" in result.stdout and "[ Answer ]  [ Reveal ]" in result.stdout
    assert "── Topics" in result.stdout and "`cnn`: CNNs and computer vision" in result.stdout
    assert (tmp_path / "mlquestion.db").exists(), "the first run creates the SQLite database by itself"


ROUND = """\
/mlquestion schedule set #general 09:00 UTC 2h cnn
/wait 1d
/as ada
Answer
Pooling and weight sharing make the features tolerant to small shifts of the input.
/as grace
/thread
Convolutions share weights across positions, so a shifted input gives a shifted feature map.
/as alan
upvote ada
upvote grace
/as grace
upvote ada
upvote ada
/as ada
upvote ada
/wait 3h
Nailed it
/as grace
Missed
/mlquestion leaderboard all
/mlquestion stats
/mlquestion random mars
/mlquestion schedule set #general 25:00 UTC
"""


def test_a_daily_round_played_in_the_console(tmp_path: Path) -> None:
    result = mlquestion("console", cwd=tmp_path, stdin=ROUND)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in out + result.stderr
    assert "── Daily question scheduled" in out
    assert re.search(r"── Question of the day #1 ─+\n(.+\n)+?Topic: CNNs and computer vision", out)
    assert "🧵 thread opened: #1 " in out
    assert "── Answer from Ada" in out and "[#general › thread] ✅" in out
    assert out.count("You upvoted Ada's answer.") == 2
    assert "You already upvoted this answer." in out and "You cannot upvote your own answer." in out
    assert "── Model answer: question of the day #1" in out
    assert "Round: 2 members answered. Most upvoted: Ada (2 upvotes)." in out
    assert "You'll review this question in 4 days" in out and "You'll review this question tomorrow" in out
    assert "🥇 Ada: 14 pts (1 answered, 🔥 1)" in out and "🥈 Grace: 12 pts (1 answered, 🔥 1)" in out
    assert "Stats for Grace" in out and "Weakest" not in out.split("Stats for Grace")[1]
    assert "There is no topic `mars`. Topics: statistics," in out
    assert "`25:00` is not a time: hours go from 00 to 23." in out


def test_render_shows_fields_and_buttons() -> None:
    post = Post(
        "Question of the day #3",
        "Why **pool**?",
        (Field("Topic", "CNNs"), Field("Round", "summary", inline=False)),
        (Action(ActionKind.ANSWER, "1", "Answer"), Action(ActionKind.REVEAL, "1", "Reveal")),
    )
    text = render(post, private=True)
    assert text.splitlines()[0].startswith("── (only you) Question of the day #3 ──")
    assert "Why pool?" in text and "Topic: CNNs" in text and "Round: summary" in text
    assert text.endswith("[ Answer ]  [ Reveal ]")


def test_long_lines_wrap_but_code_blocks_stay_intact() -> None:
    code = "x = " + "1 + " * 30 + "1"
    post = Post("Answer", "word " * 40 + "\n```\n" + code + "\n```\n• " + "item " * 30)
    lines = render(post, width=40).splitlines()
    assert code in lines
    assert all(len(line) <= 40 for line in lines if line != code and not line.startswith("──"))
    assert any(line.startswith("  item") for line in lines), "bullets keep their indent"
