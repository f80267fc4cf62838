"""Source health as data: status, failures, last success, last item (rss-fetcher style)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import SourceHealth, utcnow

BROKEN_AFTER = 3  # consecutive failed crawls before a source is called broken


def record_crawl(
    session: Session,
    source: str,
    *,
    ok: bool,
    error: str | None,
    new_items: int,
    cadence_hours: int,
    last_item_at: datetime | None = None,
) -> SourceHealth:
    health = session.get(SourceHealth, source) or SourceHealth(
        source=source, expected_cadence_hours=cadence_hours
    )
    now = utcnow()
    health.expected_cadence_hours = cadence_hours
    if ok:
        health.status = "ok"
        health.consecutive_failures = 0
        health.failure_score = round(health.failure_score * 0.5, 3)
        health.last_success_at = now
        health.last_error = None
    else:
        health.consecutive_failures += 1
        health.failure_score = round(health.failure_score * 0.5 + 1.0, 3)
        health.status = "broken" if health.consecutive_failures >= BROKEN_AFTER else "degraded"
        health.last_error = (error or "unknown error")[:2000]
    if new_items and last_item_at:
        health.last_item_at = last_item_at
    health.updated_at = now
    session.add(health)
    return health
