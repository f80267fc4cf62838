"""Which routes are on, where each delivers, which stories it wants, and when."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from dotenv import dotenv_values

from config.registry import Route
from config.settings import Settings

DEFAULT_WEBHOOK_ENV = "KIZUNA_SLACK_WEBHOOK_URL"
OPS_WEBHOOK_ENV = "KIZUNA_OPS_SLACK_WEBHOOK_URL"


def webhook_env(route: Route) -> str:
    """The environment variable that holds this Slack route's webhook URL."""
    if route.webhook_env:
        return route.webhook_env
    return OPS_WEBHOOK_ENV if route.kind == "ops" else DEFAULT_WEBHOOK_ENV


@lru_cache(maxsize=8)
def _dotenv(path: Path) -> dict[str, str | None]:
    return dotenv_values(path) if path.exists() else {}


def secret_from_env(name: str, settings: Settings) -> str | None:
    """A secret named by a route: the environment first, then `.env` (as settings do)."""
    known = {
        DEFAULT_WEBHOOK_ENV: settings.slack_webhook_url,
        OPS_WEBHOOK_ENV: settings.ops_slack_webhook_url,
    }
    if name in known:
        value = known[name]
        return value.get_secret_value() if value else None
    return os.environ.get(name) or _dotenv(Path(".env")).get(name) or None


def recipients(route: Route, settings: Settings) -> list[str]:
    if route.to:
        return list(route.to)
    return settings.ops_recipients if route.kind == "ops" else settings.digest_recipients


def route_status(route: Route, settings: Settings) -> tuple[bool, str]:
    """(on, why) for a route, from its settings alone."""
    if not route.enabled:
        return False, "off: enabled: false"
    if route.channel == "slack":
        if settings.slack_backend == "file":
            return True, "on: payloads written to files (KIZUNA_SLACK_BACKEND=file)"
        name = webhook_env(route)
        if secret_from_env(name, settings):
            return True, f"on: incoming webhook ({name})"
        return False, f"off: {name} is not set"
    to = recipients(route, settings)
    if not to:
        env = "KIZUNA_OPS_EMAIL_TO" if route.kind == "ops" else "KIZUNA_DIGEST_TO"
        return False, f"off: no recipients (`to:` or {env})"
    if settings.email_backend == "file":
        return True, f"on: .eml files under var/outbox/ for {len(to)} recipient(s)"
    if settings.smtp_host:
        return True, f"on: SMTP {settings.smtp_host}:{settings.smtp_port}, {len(to)} recipient(s)"
    return False, "off: KIZUNA_SMTP_HOST is not set"


def active_routes(routes: list[Route], settings: Settings, kind: str | None = None) -> list[Route]:
    """The routes that are on (of `kind`, when given)."""
    return [r for r in routes if (kind is None or r.kind == kind) and route_status(r, settings)[0]]


def destination(route: Route, settings: Settings) -> dict[str, Any]:
    """Where a route's messages go, as stored in each outbox payload: the variable holding a
    Slack webhook (never the URL itself), or the email recipients."""
    if route.channel == "slack":
        return {"webhook_env": webhook_env(route)}
    return {"to": recipients(route, settings)}


def route_zone(route: Route, settings: Settings) -> ZoneInfo:
    return ZoneInfo(route.timezone) if route.timezone else settings.tz


class Hit(Protocol):
    """What routing needs of a commitment hit (matching's CommitmentHit satisfies it)."""

    @property
    def key(self) -> str: ...

    @property
    def tier(self) -> str: ...


H = TypeVar("H", bound=Hit)


def hits_for(route: Route, hits: list[H], areas: dict[str, str] | None = None) -> list[H]:
    """The hits this route shows: its commitments and areas (all when none listed), at or
    above its minimum tier. `areas` maps commitment key -> area."""
    areas = areas or {}
    return [
        h
        for h in hits
        if (not route.commitments or h.key in route.commitments)
        and (not route.areas or areas.get(h.key) in route.areas)
        and (route.min_tier == "possible" or h.tier == "match")
    ]


def takes_source(route: Route, source: str) -> bool:
    return not route.sources or source in route.sources


def is_backfill(
    route: Route, published_at: datetime | None, now: datetime, override: int | None = None
) -> bool:
    """Published longer ago than the route's backfill window (or `override` days, from
    KIZUNA_BACKFILL_DAYS): digest only, never instant. An undated story counts as new."""
    days = route.backfill_days if override is None else override
    return published_at is not None and now - published_at > timedelta(days=days)


def quiet_until(route: Route, settings: Settings, now: datetime) -> datetime | None:
    """When the route's quiet hours end, if `now` falls inside them; else None."""
    if not route.quiet_hours:
        return None
    tz = route_zone(route, settings)
    start_s, end_s = route.quiet_hours.split("-")
    start, end = time.fromisoformat(start_s), time.fromisoformat(end_s)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start <= end else (clock >= start or clock < end)
    if not inside or start == end:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)
