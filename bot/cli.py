"""The `mlquestion` command: run the bot, the console, migrations and content tools."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.content.bank import ContentInvalidError, bundled_content_dir, load_bank
from bot.content.validation import validate_tree
from bot.settings import Settings, SettingsError, load_settings

# The composition root lives with the adapters; the core names it instead of importing it,
# so that `bot/` never depends on a platform library.
RUNTIME = "adapters.runtime"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlquestion",
        description="Daily machine-learning interview practice for Discord, Slack and your terminal.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord and/or Slack (whichever credentials are set)")
    console = sub.add_parser("console", help="play locally in the terminal (SQLite, no accounts)")
    console.add_argument("--speed", type=float, help="run the clock this many times faster (default 60)")
    console.add_argument("--user", default="you", help="who you are at start (default: you, an admin)")
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply every migration")
    content = sub.add_parser("content", help="the question bank").add_subparsers(dest="action", required=True)
    validate = content.add_parser("validate", help="check question files; list every problem")
    validate.add_argument("path", nargs="?", type=Path, help="a content folder (default: the bundled bank)")
    export = content.add_parser("export", help="print the bank")
    export.add_argument("--format", choices=["json"], default="json")
    export.add_argument("path", nargs="?", type=Path, help="a content folder (default: the bundled bank)")
    sub.add_parser("topics", help="list the topics with their question counts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "content":
        return _content(args)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"mlquestion: {exc}", file=sys.stderr)
        return 2
    # The console is a chat on stdout: only warnings go to stderr there, unless MLQ_LOG_LEVEL says otherwise.
    quiet = args.command == "console" or args.command is None
    level = "WARNING" if quiet and "log_level" not in settings.model_fields_set else settings.log_level
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "apscheduler"):  # they log every migration step and every tick at INFO
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    if args.command == "topics":
        try:
            return _topics(settings)
        except ContentInvalidError as exc:
            print(f"mlquestion: {exc}", file=sys.stderr)
            return 1
    if args.command == "db":
        from bot.storage.database import upgrade

        upgrade(settings.database_url)
        print("database schema is up to date")
        return 0
    runtime = importlib.import_module(RUNTIME)
    if args.command == "console" or (args.command is None and not runtime.has_platform_credentials(settings)):
        return int(runtime.console(settings, speed=args.speed if args.command else None, user=_user(args)))
    return int(runtime.run(settings))


def _user(args: argparse.Namespace) -> str:
    return str(getattr(args, "user", "you"))


def _content_root(path: Path | None) -> Path:
    return path if path is not None else bundled_content_dir()


def _content(args: argparse.Namespace) -> int:
    root = _content_root(args.path)
    questions, topics, errors = validate_tree(root)
    if args.action == "validate":
        for error in errors:
            print(error)
        if errors:
            print(f"{len(errors)} problem(s) in {root}", file=sys.stderr)
            return 1
        print(f"{len(questions)} questions in {len(topics)} topics: all valid")
        return 0
    if errors:
        print(f"the bank at {root} has {len(errors)} problem(s); run `mlquestion content validate`", file=sys.stderr)
        return 1
    json.dump([q.as_dict() for q in questions], sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def _topics(settings: Settings) -> int:
    bank = load_bank(settings.content_dir)
    counts = bank.counts()
    width = max(len(t.slug) for t in bank.topics)
    for topic in bank.topics:
        print(f"{topic.slug:<{width}}  {counts.get(topic.slug, 0):>4}  {topic.name}")
    print(f"{'total':<{width}}  {sum(counts.values()):>4}")
    return 0
