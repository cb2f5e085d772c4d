"""Settings: the only place that reads the environment.

Every field here is a contract with operators: it appears in `.env.example`
with a comment, and `tests/test_config.py` keeps the two in agreement.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.schedule_spec import parse_every

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/supportbot.db"
FEED_FORMATS = ("auto", "statuspage", "rss", "atom", "recovery")
_PLACEHOLDERS = {"change-me", "changeme", "replace-me", "secret", "your-key-here", "xxx"}

IdList = Annotated[list[int], NoDecode]
DomainList = Annotated[list[str], NoDecode]


def _split_ids(value: object) -> object:
    """Accept `123,456`, `123 456`, an empty string, or an already-parsed list."""
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
        for p in parts:
            if not p.isdigit():
                raise ValueError(f"{p!r} is not a numeric Discord ID")
        return [int(p) for p in parts]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
    )

    discord_token: SecretStr | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_global_rate_limit: int = Field(default=50, ge=0, le=10_000)
    guild_id: int | None = None
    support_channel_ids: IdList = Field(default_factory=list)
    status_channel_id: int | None = None
    staff_channel_id: int | None = None
    staff_role_ids: IdList = Field(default_factory=list)

    database_url: str = DEFAULT_DATABASE_URL
    device_id_key: SecretStr | None = None
    device_serial_pattern: str | None = None

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    answer_max_chars: int = Field(default=1800, ge=200, le=3800)
    answer_max_messages: int = Field(default=2, ge=1, le=2)
    company_domains: DomainList = Field(default_factory=list)

    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    llm_daily_token_budget: int = Field(default=2_000_000, ge=0)
    questions_per_minute: int = Field(default=6, ge=1, le=600)
    handover_fallback: str = "our support line (611 from your phone) or the help page on our website"
    company_name: str = "Larkspur"

    status_feed_url: str | None = None
    status_feed_format: Literal["auto", "statuspage", "rss", "atom", "recovery"] = "auto"
    status_poll_seconds: float = Field(default=60.0, ge=1.0, le=86400.0)
    sandbox_step_seconds: float = Field(default=60.0, ge=1.0, le=86400.0)

    status_summary_every: str = "6h"
    feed_alert_after_failures: int = Field(default=3, ge=1, le=1000)
    next_update_reminder_minutes: int = Field(default=15, ge=0, le=1440)
    dm_per_second: float = Field(default=0.5, gt=0, le=20)
    ticket_sla_minutes: int = Field(default=30, ge=0, le=10080)
    surge_mode: Literal["auto", "off", "always"] = "auto"
    surge_queued_requests: int = Field(default=25, ge=1, le=100_000)
    surge_thread_wait_seconds: float = Field(default=3.0, gt=0, le=3600, allow_inf_nan=False)
    surge_calm_seconds: float = Field(default=60.0, ge=1, le=86_400, allow_inf_nan=False)

    knowledge_dir: Path = Path("prompts")
    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    # several processes (see docs/deploy.md): health and metrics, and sharding for large deployments
    health_port: int | None = Field(default=None, ge=0, le=65535)  # 0: any free port (logged)
    health_host: str = "127.0.0.1"
    shard_count: int | None = Field(default=None, ge=1, le=100_000)
    shard_ids: IdList = Field(default_factory=list)

    @field_validator("health_port", "shard_count", mode="before")
    @classmethod
    def _blank_number_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: object) -> object:
        return _split_ids(value)

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT")
        if self.shard_count is not None and any(i >= self.shard_count for i in self.shard_ids):
            raise ValueError(f"SHARD_IDS must be below SHARD_COUNT ({self.shard_count})")
        return self

    @field_validator("support_channel_ids", "staff_role_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator(
        "guild_id", "status_channel_id", "staff_channel_id", "discord_token", "openai_api_key",
        "openai_base_url", "status_feed_url", "device_serial_pattern", "device_id_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `FOO=` in a .env file means "not set", not "set to the empty string".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("company_domains", mode="before")
    @classmethod
    def _domains(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            value = [p for p in re.split(r"[,\s]+", value.strip()) if p]
        if isinstance(value, list):
            out = []
            for item in value:
                domain = str(item).strip().lower().removeprefix("https://").removeprefix("http://")
                domain = domain.removeprefix("www.").rstrip("/")
                if not re.fullmatch(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}", domain):
                    raise ValueError(f"{item!r} is not a domain name")
                out.append(domain)
            return out
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("status_feed_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("discord_api_base", "discord_gateway_url", "openai_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(https?|wss?)://[^\s/]+", value):
            raise ValueError("must be a URL starting with http://, https://, ws:// or wss://")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("device_id_key")
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        if raw.strip().lower() in _PLACEHOLDERS:
            raise ValueError("is still a placeholder")
        if len(raw) < 16:
            raise ValueError("is too short")
        return value

    @field_validator("status_summary_every")
    @classmethod
    def _every(cls, value: str) -> str:
        parse_every(value)  # raises ValueError with a plain reason
        return value.strip()

    @field_validator("device_serial_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression ({exc})") from exc
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sandbox_database_url(self) -> str:
        """Where `python -m bot sandbox` keeps its data (and `--sandbox` makes the other commands look)."""
        return f"sqlite+aiosqlite:///{self.data_dir}/sandbox.db"


# What to tell an operator about each setting when its value is wrong.
HINTS: dict[str, str] = {
    "discord_token": "put the bot token from the Discord developer portal",
    "discord_api_base": "put the REST base URL, e.g. https://discord.com/api/v10",
    "discord_gateway_url": "put the gateway URL, e.g. wss://gateway.discord.gg/",
    "discord_global_rate_limit": (
        "put the requests per second the bot may make (Discord allows 50), or 0 not to pace at all"
    ),
    "guild_id": "put the numeric ID of your Discord server (right-click the server, Copy Server ID)",
    "support_channel_ids": "put comma-separated numeric channel IDs, e.g. 1234567890,1234567891",
    "status_channel_id": "put the numeric ID of the channel where status updates are posted",
    "staff_channel_id": "put the numeric ID of the staff-only channel",
    "staff_role_ids": "put comma-separated numeric role IDs of your support staff",
    "database_url": "put sqlite+aiosqlite:///./data/supportbot.db or postgresql+asyncpg://user@host/db",
    "device_id_key": (
        "put a long random secret (at least 16 characters), e.g. the output of "
        "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`"
    ),
    "device_serial_pattern": "put a Python regular expression matching your vendor's serial numbers, or leave it empty",
    "openai_api_key": "put your API key, or leave it empty to use the offline answerer",
    "openai_base_url": "put the base URL of an OpenAI-compatible server, e.g. http://localhost:8000/v1",
    "openai_model": "put a model name your endpoint serves",
    "answer_max_chars": "put the longest answer in characters, between 200 and 3800, e.g. 1800",
    "answer_max_messages": "put 1 or 2: the most messages one answer may take",
    "company_domains": "put comma-separated domain names of your company, e.g. example.com,help.example.com",
    "llm_timeout_seconds": "put the seconds to wait for the LLM before answering offline, e.g. 20",
    "llm_daily_token_budget": "put the number of LLM tokens allowed per day (0 means offline answers only)",
    "questions_per_minute": "put how many questions one customer may ask per minute, e.g. 6",
    "handover_fallback": "put how customers can reach staff when a hand-over fails, e.g. a phone number",
    "company_name": "put your company's name as customers know it",
    "status_feed_url": "put an http(s) URL or a local file path of the status feed",
    "status_feed_format": "put one of: " + ", ".join(FEED_FORMATS),
    "status_poll_seconds": "put a number of seconds between 1 and 86400",
    "sandbox_step_seconds": "put a number of seconds between 1 and 86400",
    "status_summary_every": (
        "put an interval like 6h or 90m, a five-field cron expression like '0 */6 * * *', or off"
    ),
    "feed_alert_after_failures": "put how many failed polls in a row alert staff, e.g. 3",
    "next_update_reminder_minutes": "put how many minutes before a promised update staff are reminded (0: off)",
    "dm_per_second": (
        "put the most direct messages per second the bot may send (at most 20; each DM uses one or two of "
        "Discord's 50 requests per second), e.g. 0.5"
    ),
    "ticket_sla_minutes": (
        "put how many minutes a hand-over may wait for staff's first reply before staff are reminded (0: off)"
    ),
    "data_dir": "put the folder for the sandbox's database and key, logs and large exports, e.g. data/",
    "surge_mode": "put auto (switch when requests queue for Discord's limits), off, or always",
    "surge_queued_requests": (
        "put how many requests waiting for Discord's global limit start a surge (SURGE_MODE=auto), a whole "
        "number of at least 1, e.g. 25 (half a second of Discord's 50 per second)"
    ),
    "surge_thread_wait_seconds": (
        "put how many seconds the next thread in a support channel may have to wait for Discord before a "
        "surge starts (SURGE_MODE=auto), more than 0 and at most 3600, e.g. 3"
    ),
    "surge_calm_seconds": (
        "put how many seconds without waiting end a surge, between 1 and 86400, e.g. 60"
    ),
    "knowledge_dir": "put the folder holding faq.md and safety.md, e.g. prompts/",
    "log_level": "put one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    "health_port": "put a free TCP port for /healthz and /metrics, e.g. 9100, or leave it empty for none",
    "health_host": "put the address to listen on for /healthz and /metrics, e.g. 127.0.0.1",
    "shard_count": "put the total number of shards across all processes, e.g. 4, or leave it empty",
    "shard_ids": "put the comma-separated shards this process runs, each below SHARD_COUNT, e.g. 0,1",
}


class ConfigError(Exception):
    """A configuration mistake, described in one sentence an operator can act on."""


def describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "?"
        reason = str(err.get("msg", "is not valid")).removeprefix("Value error, ")
        hint = HINTS.get(field, "check its value")
        lines.append(f"Setting {field.upper()} is not valid ({reason}): {hint}.")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment and `.env`, raising ConfigError on a mistake."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        # e.g. a list setting given as something pydantic-settings cannot read, or an unreadable .env
        raise ConfigError(f"The settings could not be read: {exc}.") from None
