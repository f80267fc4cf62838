"""Operator alerts on the ops routes: a source changing health state, a delivery that
failed for good. One alert per event (its idempotency key says which), never per run."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from alerts.outbox import enqueue
from alerts.routing import active_routes, destination
from config.registry import Route
from config.settings import Settings

log = logging.getLogger(__name__)

# A change into or out of these states is worth waking someone; ok <-> degraded is not
# (it is in the digest's health section).
ALERT_STATES = ("blocked", "broken")


def ops_routes(routes: list[Route], settings: Settings) -> list[Route]:
    return active_routes(routes, settings, "ops")


def enqueue_ops(
    session: Session,
    routes: list[Route],
    settings: Settings,
    *,
    event: str,
    subject: str,
    text: str,
) -> int:
    """Queue one ops alert per active ops route; logged when there is none."""
    targets = ops_routes(routes, settings)
    log.warning("%s: %s", subject, text)
    added = 0
    for route in targets:
        payload = {"subject": subject, "text": text, **destination(route, settings)}
        added += enqueue(
            session,
            channel=route.channel,
            route=route.key,
            kind="ops",
            idempotency_key=f"{route.key}:ops:{event}",
            payload=payload,
        )
    return added


def health_changed(
    session: Session,
    routes: list[Route],
    settings: Settings,
    *,
    source: str,
    old: str | None,
    new: str,
    reason: str,
    when: datetime,
) -> int:
    if old == new or not ({old, new} & set(ALERT_STATES)):
        return 0
    was = f" (was {old})" if old else ""
    return enqueue_ops(
        session,
        routes,
        settings,
        event=f"health:{source}:{new}:{when.isoformat()}",
        subject=f"Kizuna: source {source} is {new}{was}",
        text=reason or "(no reason recorded)",
    )


def delivery_failed(
    session: Session,
    routes: list[Route],
    settings: Settings,
    *,
    row_id: int,
    route: str,
    kind: str,
    what: str,
    attempts: int,
    error: str,
) -> int:
    if kind == "ops":  # an ops alert about an ops alert would loop: the log has it
        log.error("ops alert %s on route %s failed for good: %s", row_id, route, error)
        return 0
    return enqueue_ops(
        session,
        routes,
        settings,
        event=f"failed:{row_id}",
        subject=f"Kizuna: delivery on route {route} failed",
        text=(
            f"{kind} alert #{row_id} ({what}) was given up after {attempts} attempt(s): "
            f"{error}. `kizuna alerts retry {row_id}` queues it again."
        ),
    )
