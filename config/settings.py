"""Effective settings: `KIZUNA_*` environment variables, `.env`, then defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError
from config.registry import SOURCE_KINDS, check_zone

SECRET_FIELDS = ("slack_webhook_url", "ops_slack_webhook_url", "smtp_password")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KIZUNA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )

    database_url: str = "sqlite:///var/kizuna.db"
    config_dir: Path = Path("config")
    var_dir: Path = Path("var")
    timezone: str = "Asia/Vientiane"

    slack_webhook_url: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    email_from: str | None = None
    digest_to: str | None = Field(default=None, description="comma-separated addresses")
    email_backend: Literal["smtp", "file"] = "smtp"
    # "file" appends each Slack payload to var/outbox/slack.jsonl instead of posting it.
    slack_backend: Literal["webhook", "file"] = "webhook"
    # Operator alerts (a source changing state, a delivery that failed).
    ops_slack_webhook_url: SecretStr | None = None
    ops_email_to: str | None = Field(default=None, description="comma-separated addresses")
    smtp_timeout: float = Field(default=30.0, gt=0)

    # Delivery: a failed send is retried after retry_base * 2^(attempt-1) seconds (with
    # jitter, at most retry_cap) until max_attempts, then marked failed. A row being sent
    # is leased for lease_seconds: if the sender dies, another takes it over after that.
    alert_max_attempts: int = Field(default=8, ge=1)
    alert_retry_base: float = Field(default=30.0, gt=0)
    alert_retry_cap: float = Field(default=3600.0, gt=0)
    alert_lease_seconds: float = Field(default=300.0, gt=0)
    # Overrides every route's backfill_days (the demo, whose fixture stories are old).
    backfill_days: int | None = Field(default=None, ge=0)
    # Slack allows about one message a second per webhook.
    slack_min_interval: float = Field(default=1.1, ge=0)

    # The service (`kizuna run`). Each crawl is a child process stopped after
    # crawl_time_limit seconds or when its resident memory passes crawl_memory_mb. A
    # scheduled crawl starts up to crawl_jitter seconds after its time. At SIGTERM, running
    # crawls get shutdown_grace seconds to finish before they are stopped. A standby
    # `kizuna run` tries to become the leader every leader_poll seconds.
    crawl_time_limit: float = Field(default=45 * 60, gt=0)
    crawl_memory_mb: int = Field(default=1024, ge=16)
    crawl_jitter: float = Field(default=120, ge=0)
    shutdown_grace: float = Field(default=20, ge=0)
    leader_poll: float = Field(default=15, gt=0)
    # Scrapyd nodes to run scheduled crawls on, comma-separated
    # (http://user:password@host:6800); empty: crawls run as local child processes.
    scrapyd_urls: str | None = Field(default=None, description="comma-separated node URLs")

    user_agent_contact: str = "https://github.com/kizuna-monitor/kizuna"
    # Host mirrors: "https://kpl.gov.la=http://127.0.0.1:8001,..." (tests, demo, staging caches).
    mirrors: str | None = None
    offline: bool = False
    # Which member leads a story (gives its title): the first source kind in this order.
    lead_order: str = ",".join(SOURCE_KINDS)

    @field_validator("lead_order")
    @classmethod
    def _known_kinds(cls, value: str) -> str:
        kinds = [k.strip() for k in value.split(",") if k.strip()]
        unknown = [k for k in kinds if k not in SOURCE_KINDS]
        if unknown or not kinds:
            raise ValueError(
                f"unknown source kind {unknown[0] if unknown else '(none)'!r}; "
                f"use a comma-separated order of {', '.join(SOURCE_KINDS)}"
            )
        return ",".join(kinds)

    @property
    def lead_kinds(self) -> tuple[str, ...]:
        return tuple(self.lead_order.split(","))

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                "not a database URL (expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB)"
            ) from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r} (expected sqlite or postgresql)"
            )
        if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
            raise ValueError(
                "PostgreSQL URLs must use the psycopg 3 driver: postgresql+psycopg://..."
            )
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_recipients(self) -> list[str]:
        return _addresses(self.digest_to)

    @property
    def scrapyd_nodes(self) -> list[str]:
        return [u.strip().rstrip("/") for u in (self.scrapyd_urls or "").split(",") if u.strip()]

    @property
    def ops_recipients(self) -> list[str]:
        return _addresses(self.ops_email_to)

    @property
    def mirror_map(self) -> dict[str, str]:
        """Real origin -> mirror origin, parsed from `mirrors`."""
        pairs: dict[str, str] = {}
        for chunk in (self.mirrors or "").split(","):
            if not chunk.strip():
                continue
            real, sep, local = chunk.partition("=")
            if not sep:
                raise ConfigError(f"KIZUNA_MIRRORS: entry {chunk!r}: expected ORIGIN=MIRROR")
            pairs[real.strip().rstrip("/")] = local.strip().rstrip("/")
        return pairs

    def public_view(self) -> dict[str, object]:
        """Every setting with secrets masked, for `kizuna config`."""
        view: dict[str, object] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in SECRET_FIELDS:
                value = "****** (set)" if value else None
            elif name == "database_url":
                value = mask_url_password(value)
            elif name == "scrapyd_urls" and value:
                value = ",".join(mask_url_password(u) for u in self.scrapyd_nodes)
            elif isinstance(value, Path):
                value = str(value)
            view[f"KIZUNA_{name.upper()}"] = value
        return view


def _addresses(value: str | None) -> list[str]:
    return [a.strip() for a in (value or "").split(",") if a.strip()]


def mask_url_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one `ConfigError` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"KIZUNA_{field.upper()}: {msg}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
