"""Settings from the environment and an optional `.env`, checked once at start."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import UsageError
from bot.timing import parse_duration


class SettingsError(Exception):
    """A setting is wrong; the message names the variable and what is wrong."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Everything an operator can set. Built once, passed down; nothing reads env elsewhere."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=False)

    database_url: str = Field("sqlite:///mlquestion.db", validation_alias=_env("DATABASE_URL"))
    discord_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_TOKEN"))
    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    port: int = Field(3000, ge=1, le=65535, validation_alias=_env("PORT"))
    content_dir: Path | None = Field(None, validation_alias=_env("MLQ_CONTENT_DIR"))
    clock_speed: float = Field(1.0, ge=1.0, le=100000.0, validation_alias=_env("MLQ_CLOCK_SPEED"))
    tick_seconds: float = Field(30.0, gt=0, le=3600, validation_alias=_env("MLQ_TICK_SECONDS"))
    default_reveal_after: str = Field("8h", validation_alias=_env("MLQ_DEFAULT_REVEAL_AFTER"))
    log_level: str = Field("INFO", validation_alias=_env("MLQ_LOG_LEVEL"))
    discord_guild_ids: str = Field("", validation_alias=_env("MLQ_DISCORD_GUILD_IDS"))
    discord_api_base: str | None = Field(None, validation_alias=_env("MLQ_DISCORD_API_BASE"))
    discord_gateway_url: str | None = Field(None, validation_alias=_env("MLQ_DISCORD_GATEWAY_URL"))
    slack_api_base: str | None = Field(None, validation_alias=_env("MLQ_SLACK_API_BASE"))
    slack_admins: str = Field("", validation_alias=_env("MLQ_SLACK_ADMINS"))
    # Outbound pacing (PLATFORM-LIMITS §5.3). Discord allows 50 requests/s per bot (interaction answers are
    # exempt and not paced); 48 keeps a small margin for jitter and still lets a fan-out finish within 1.1x of
    # the 50/s floor (that needs 45.5+). 40 (80%) leaves room for other users of the token and for a busy
    # machine's jitter, at 1.25x the floor; 50 or more invites global 429s.
    discord_requests_per_second: float = Field(
        48.0, gt=0, le=10000, validation_alias=_env("MLQ_DISCORD_REQUESTS_PER_SECOND")
    )
    # chat.postMessage per workspace. Slack publishes no figure ("several hundred messages per minute"), so
    # 600 is a guess: lower it if the log shows Slack's 429s (they are waited out, and slow the fan-out).
    slack_posts_per_minute: float = Field(600.0, gt=0, le=100000, validation_alias=_env("MLQ_SLACK_POSTS_PER_MINUTE"))

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        async_database_url(value)
        return value

    @field_validator("default_reveal_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        try:
            parse_duration(value)
        except UsageError as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator("content_dir")
    @classmethod
    def _content(cls, value: Path | None) -> Path | None:
        if value is not None and not (value / "topics.yaml").is_file():
            raise ValueError(f"{value} is not a content folder (it has no topics.yaml)")
        return value

    @property
    def async_database_url(self) -> str:
        """Return the database URL with the async driver SQLAlchemy needs."""
        return async_database_url(self.database_url)

    def guild_ids(self) -> list[int]:
        """Return the Discord servers to sync commands to instantly."""
        return [int(part) for part in self.discord_guild_ids.replace(" ", "").split(",") if part]

    def slack_admin_ids(self) -> set[str]:
        """Return Slack user ids that are admins of the bot whatever their role."""
        return {part for part in self.slack_admins.replace(" ", "").split(",") if part}


def async_database_url(url: str) -> str:
    """Turn the URLs platforms hand out (`postgres://`, `sqlite:///`) into async-driver URLs."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"postgres", "postgresql", "postgresql+asyncpg"}:
        query = dict(parse_qsl(parts.query))
        if "sslmode" in query:  # libpq spelling, as Heroku hands it out; asyncpg says `ssl`
            query["ssl"] = query.pop("sslmode")
        return urlunsplit(("postgresql+asyncpg", parts.netloc, parts.path, urlencode(query), ""))
    if scheme in {"sqlite", "sqlite+aiosqlite"}:
        return "sqlite+aiosqlite" + url[len(parts.scheme) :]
    raise ValueError("must start with sqlite:///, postgres:// or postgresql://")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise `SettingsError` naming the first wrong variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = str(first["loc"][0]) if first["loc"] else "settings"
        field = Settings.model_fields.get(field_name)
        alias = field.validation_alias if field else None
        variable = alias.choices[0] if isinstance(alias, AliasChoices) else field_name.upper()
        message = str(first["msg"]).removeprefix("Value error, ")
        got = first.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
        raise SettingsError(f"{variable} {message}{shown}.") from None
