"""Which routes are on, and which stories each one wants."""

from __future__ import annotations

from typing import Protocol, TypeVar

from config.registry import Route
from config.settings import Settings


def channel_status(channel: str, settings: Settings) -> tuple[bool, str]:
    """(on, why) for a channel, from its settings alone."""
    if channel == "slack":
        if settings.slack_backend == "file":
            return True, "on: payloads written to files (KIZUNA_SLACK_BACKEND=file)"
        if settings.slack_webhook_url:
            return True, "on: incoming webhook (KIZUNA_SLACK_WEBHOOK_URL)"
        return False, "off: KIZUNA_SLACK_WEBHOOK_URL is not set"
    if channel == "email":
        if not settings.digest_recipients:
            return False, "off: KIZUNA_DIGEST_TO is not set"
        if settings.email_backend == "file":
            return True, "on: .eml files under var/outbox/ (KIZUNA_EMAIL_BACKEND=file)"
        if settings.smtp_host:
            return True, f"on: SMTP {settings.smtp_host}:{settings.smtp_port}"
        return False, "off: KIZUNA_SMTP_HOST is not set"
    return False, f"off: unknown channel {channel!r}"


def active_routes(routes: list[Route], settings: Settings) -> list[Route]:
    return [r for r in routes if channel_status(r.channel, settings)[0]]


class Hit(Protocol):
    """What routing needs of a commitment hit (matching's CommitmentHit satisfies it)."""

    @property
    def key(self) -> str: ...

    @property
    def tier(self) -> str: ...


H = TypeVar("H", bound=Hit)


def hits_for(route: Route, hits: list[H]) -> list[H]:
    """The hits this route shows: its commitments (all when none listed), at or above its
    minimum tier. A story goes to the route when this is not empty."""
    return [
        h
        for h in hits
        if (not route.commitments or h.key in route.commitments)
        and (route.min_tier == "possible" or h.tier == "match")
    ]
