"""Settings: platform URLs accepted, and a wrong value stops start-up naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, async_database_url, load_settings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+asyncpg://u:p@db.example:5432/app"),
        ("postgresql://u@h/app?sslmode=require", "postgresql+asyncpg://u@h/app?ssl=require"),
        ("sqlite:///mlquestion.db", "sqlite+aiosqlite:///mlquestion.db"),
        ("sqlite:////var/data/mlq.db", "sqlite+aiosqlite:////var/data/mlq.db"),
    ],
)
def test_database_urls_as_platforms_hand_them_out(given: str, expected: str) -> None:
    assert async_database_url(given) == expected


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite:///mlquestion.db" and settings.discord_token is None
    assert settings.clock_speed == 1 and settings.default_reveal_after == "8h"


def test_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DISCORD_TOKEN=abc\nMLQ_SLACK_ADMINS=U1, U2\n")
    settings = load_settings()
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == "abc"
    assert settings.slack_admin_ids() == {"U1", "U2"}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must start with sqlite:///, postgres:// or postgresql://"),
        ("PORT", "eighty", "PORT"),
        ("PORT", "70000", "PORT Input should be less than or equal to 65535"),
        ("MLQ_CLOCK_SPEED", "0.5", "MLQ_CLOCK_SPEED Input should be greater than or equal to 1"),
        ("MLQ_DEFAULT_REVEAL_AFTER", "soon", "MLQ_DEFAULT_REVEAL_AFTER `soon` is not a duration"),
        ("MLQ_LOG_LEVEL", "LOUD", "MLQ_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR"),
        ("MLQ_CONTENT_DIR", "/nonexistent", "MLQ_CONTENT_DIR /nonexistent is not a content folder"),
    ],
)
def test_a_wrong_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(variable) and message in str(caught.value)
