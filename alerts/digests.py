"""Digest catch-up: one digest per route for every day since the last one queued, so a day
missed while the service was down is sent late, not lost, and never twice (the outbox key
is route + day). Only what the database holds counts, never scheduler memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from alerts.digest import DEFAULT_TIME, Digest, compose, latest_closed_day
from alerts.email import message_id
from alerts.outbox import enqueue
from alerts.routing import active_routes, recipients, route_zone
from config.registry import Route
from config.settings import Settings
from storage.db import session_scope
from storage.models import Outbox, utcnow

# After a long outage, at most this many past days are sent (oldest first); a new route
# starts with the latest day only.
MAX_CATCH_UP_DAYS = 31


@dataclass
class QueuedDigest:
    route: str
    day: date
    outcome: str  # queued | already queued | empty, not sent
    subject: str = ""


def digest_routes(routes: list[Route], settings: Settings) -> list[Route]:
    return active_routes(routes, settings, "digest")


def route_time(route: Route) -> time:
    return time.fromisoformat(route.time)


def last_day(session: Session, route: Route) -> date | None:
    return session.exec(
        select(func.max(Outbox.digest_day)).where(
            Outbox.route == route.key, Outbox.kind == "digest"
        )
    ).one()


def due_days(last: date | None, latest: date) -> list[date]:
    if last is None:
        return [latest]
    first = max(last + timedelta(days=1), latest - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [first + timedelta(days=i) for i in range((latest - first).days + 1)]


def clock(route: Route | None, settings: Settings) -> tuple[time, ZoneInfo]:
    """When and in which zone a route's digest goes out (07:30, KIZUNA_TIMEZONE without one)."""
    if route is None:
        return DEFAULT_TIME, settings.tz
    return route_time(route), route_zone(route, settings)


def upcoming_day(route: Route | None, settings: Settings, now: datetime | None = None) -> date:
    """The digest that will hold what arrives now: the day after the latest closed one."""
    return latest_closed_day(now or utcnow(), *clock(route, settings)) + timedelta(days=1)


def compose_for(session: Session, route: Route | None, day: date, settings: Settings) -> Digest:
    at, tz = clock(route, settings)
    return compose(session, day, tz, route=route, at=at)


def queue_digests(
    engine: Engine,
    settings: Settings,
    routes: list[Route],
    *,
    now: datetime | None = None,
    day: date | None = None,
) -> list[QueuedDigest]:
    """Queue the digests that are due (or the one of `day`) for every digest route."""
    now = now or utcnow()
    done: list[QueuedDigest] = []
    for route in digest_routes(routes, settings):
        latest = latest_closed_day(now, *clock(route, settings))
        with session_scope(engine) as session:
            days = [day] if day else due_days(last_day(session, route), latest)
        for d in days:
            if d > latest:
                done.append(QueuedDigest(route.key, d, "not closed yet"))
                continue
            done.append(_queue_one(engine, settings, route, d))
    return done


def digest_message(digest: Digest, to: list[str], key: str, settings: Settings) -> dict[str, Any]:
    """The email of a digest, as the outbox stores it (alerts/email.py build_email)."""
    return {
        "subject": digest.subject,
        "text": digest.render_text(),
        "html": digest.render_html(),
        "to": to,
        "message_id": message_id(key, settings),
    }


def _queue_one(engine: Engine, settings: Settings, route: Route, day: date) -> QueuedDigest:
    key = f"{route.key}:digest:{day.isoformat()}"
    with session_scope(engine) as session:
        if session.exec(select(col(Outbox.id)).where(Outbox.idempotency_key == key)).first():
            return QueuedDigest(route.key, day, "already queued")
        digest = compose_for(session, route, day, settings)
        to = recipients(route, settings)
        payload = {"to": to, "message": digest_message(digest, to, key, settings)}
        skip = digest.is_empty and route.empty_digest == "skip"
        added = enqueue(
            session,
            channel=route.channel,
            route=route.key,
            kind="digest",
            idempotency_key=key,
            payload=payload if not skip else {"skipped": "nothing new"},
            digest_day=day,
            status="skipped" if skip else "pending",  # skipped: handled, never sent
        )
    if not added:
        return QueuedDigest(route.key, day, "already queued")
    return QueuedDigest(route.key, day, "empty, not sent" if skip else "queued", digest.subject)
