"""Send what the outbox holds, one leased row at a time.

The network call runs with no transaction open (a slow webhook must never hold SQLite's
write lock). Slack's `Retry-After` holds back every row for that webhook; quiet hours hold
back a route's instant alerts; both without counting an attempt. A row that keeps failing
is marked failed and raised on the ops routes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from alerts import ops
from alerts.channel import Channel, DeliveryError
from alerts.email import EmailChannel
from alerts.messages import STORY_KINDS, channel_payload, pending_summary
from alerts.outbox import Claimed, claim, mark_failed_attempt, mark_sent, release
from alerts.routing import quiet_until
from alerts.slack import SlackChannel
from config.registry import Route, load_routes
from config.settings import Settings
from storage.db import session_scope
from storage.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class FlushReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # quiet hours, or a destination that asked us to wait

    def line(self) -> str:
        return (
            f"sent {self.sent}, retrying later {self.retrying}, failed {self.failed}, "
            f"held back {self.deferred}"
        )


def flush(
    engine: Engine,
    settings: Settings,
    routes: list[Route] | None = None,
    *,
    file_dir: Path | None = None,
    max_rows: int | None = None,
    kinds: tuple[str, ...] | None = None,
    stopping: Callable[[], bool] | None = None,
) -> FlushReport:
    """Send every due row (of `kinds`, at most `max_rows`); each is tried at most once.
    When `stopping()` turns true (the service is shutting down), no further row is claimed."""
    routes = routes if routes is not None else load_routes(settings.config_dir)
    by_key = {r.key: r for r in routes}
    file_dir = file_dir or settings.var_dir / "outbox"
    channels: dict[str, Channel] = {
        "slack": SlackChannel(settings, file_dir),
        "email": EmailChannel(settings, file_dir),
    }
    report = FlushReport()
    wait_until: dict[str, datetime] = {}  # destination -> not before
    tried: set[int] = set()
    try:
        while max_rows is None or len(tried) < max_rows:
            if stopping is not None and stopping():
                break
            batch = claim(engine, lease_seconds=settings.alert_lease_seconds, kinds=kinds)
            if not batch:
                break
            row = batch[0]
            if row.id in tried:  # due again at once (Retry-After: 0): next flush
                release(engine, row, utcnow())
                break
            tried.add(row.id)
            _send_one(engine, settings, routes, by_key, channels, wait_until, row, report)
    finally:
        for channel in channels.values():
            channel.close()
    return report


def _send_one(
    engine: Engine,
    settings: Settings,
    routes: list[Route],
    by_key: dict[str, Route],
    channels: dict[str, Channel],
    wait_until: dict[str, datetime],
    row: Claimed,
    report: FlushReport,
) -> None:
    now = utcnow()
    route = by_key.get(row.route)
    if route is not None and row.kind in STORY_KINDS:
        until = quiet_until(route, settings, now)
        if until is not None:
            release(engine, row, until, f"quiet hours until {until:%H:%M}")
            report.deferred += 1
            return
    channel = channels.get(row.channel)
    # The stored payload names the destination (rendering keeps it): a row held back by a
    # Retry-After is not rendered for nothing.
    destination = channel.destination(row.payload) if channel is not None else ""
    if wait_until.get(destination, now) > now:
        release(engine, row, wait_until[destination], "waiting: rate limited")
        report.deferred += 1
        return
    try:
        if channel is None:
            raise DeliveryError(f"unknown channel {row.channel!r}", permanent=True)
        with Session(engine) as session:
            payload = channel_payload(session, row, settings)
        note = channel.send(payload)
    except DeliveryError as exc:
        if exc.retry_after is not None and channel is not None:
            wait_until[destination] = utcnow() + timedelta(seconds=exc.retry_after)
        _failed(engine, settings, routes, row, str(exc), exc, report)
        return
    except Exception as exc:  # a bug in rendering must not stop the other rows
        log.exception("alert %s could not be sent", row.id)
        _failed(engine, settings, routes, row, f"{type(exc).__name__}: {exc}", None, report)
        return
    if mark_sent(engine, row, note):
        report.sent += 1
    else:
        log.warning("alert %s was sent after its lease expired", row.id)


def _failed(
    engine: Engine,
    settings: Settings,
    routes: list[Route],
    row: Claimed,
    error: str,
    exc: DeliveryError | None,
    report: FlushReport,
) -> None:
    status = mark_failed_attempt(
        engine,
        row,
        error,
        max_attempts=settings.alert_max_attempts,
        retry_base=settings.alert_retry_base,
        retry_cap=settings.alert_retry_cap,
        retry_after=exc.retry_after if exc else None,
        permanent=exc.permanent if exc else False,
    )
    if status == "pending":
        report.retrying += 1
        log.info("alert %s on %s: %s; will retry", row.id, row.route, error)
    elif status == "failed":
        report.failed += 1
        with session_scope(engine) as session:
            ops.delivery_failed(
                session,
                routes,
                settings,
                row_id=row.id,
                route=row.route,
                kind=row.kind,
                what=pending_summary(row.payload),
                attempts=row.attempts + 1,
                error=error,
            )
