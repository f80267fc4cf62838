"""The outbox: one row per delivery, unique by idempotency key, written in the same
transaction as the match that caused it, so a re-run can never alert twice.

A sender claims due rows atomically and leases them: PostgreSQL picks them with
`FOR UPDATE SKIP LOCKED`; SQLite, which ignores that clause, runs the claim as one
`UPDATE ... RETURNING` under its single-writer lock (ENGINEERING.md §5). A row whose
sender died is taken over when its lease has expired; an outcome is recorded only while
the sender still holds the lease, so a slow sender cannot overwrite a newer one.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from storage.db import session_scope
from storage.models import Outbox, utcnow


def enqueue(
    session: Session,
    *,
    channel: str,
    route: str,
    kind: str,
    idempotency_key: str,
    payload: dict[str, Any],
    story_id: int | None = None,
    digest_day: date | None = None,
    status: str = "pending",
) -> bool:
    """Insert the delivery unless its key exists; True when a row was added."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    stmt = (
        insert(Outbox)
        .values(
            channel=channel,
            route=route,
            kind=kind,
            idempotency_key=idempotency_key,
            payload=payload,
            story_id=story_id,
            digest_day=digest_day,
            status=status,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(col(Outbox.id))
    )
    # RETURNING, not rowcount: psycopg reports -1 rows for a skipped ON CONFLICT insert.
    return session.execute(stmt).first() is not None


@dataclass(frozen=True)
class Claimed:
    """A leased row, detached from any session: what a sender needs to send it."""

    id: int
    token: str
    channel: str
    route: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    story_id: int | None
    idempotency_key: str


def claim(
    engine: Engine,
    *,
    lease_seconds: float,
    limit: int = 1,
    kinds: tuple[str, ...] | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due rows (pending and due, or sending with an expired lease)."""
    now = utcnow()
    token = uuid.uuid4().hex
    due = or_(
        and_(col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= now),
        and_(
            col(Outbox.status) == "sending",
            col(Outbox.claimed_at) <= now - timedelta(seconds=lease_seconds),
        ),
    )
    if kinds is not None:
        due = and_(due, col(Outbox.kind).in_(kinds))
    pick = (
        select(col(Outbox.id))
        .where(due)
        .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    returning = (
        col(Outbox.id),
        col(Outbox.channel),
        col(Outbox.route),
        col(Outbox.kind),
        col(Outbox.payload),
        col(Outbox.attempts),
        col(Outbox.story_id),
        col(Outbox.idempotency_key),
    )
    lease = {"status": "sending", "claimed_at": now, "claim_token": token}
    where: ColumnElement[bool]
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            # Lock the rows first, then lease exactly those: PostgreSQL may run a LIMIT
            # subquery inside `IN (...)` more than once and lease every due row.
            ids = list(session.execute(pick).scalars().all())
            if not ids:
                return []
            where = col(Outbox.id).in_(ids)
        else:
            # One statement under SQLite's single-writer lock (FOR UPDATE is ignored there).
            where = and_(col(Outbox.id).in_(pick.scalar_subquery()), due)
        stmt = (
            update(Outbox)
            .where(where)
            .values(**lease)
            .returning(*returning)
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(stmt).all()
    claimed = [
        Claimed(
            r.id,
            token,
            r.channel,
            r.route,
            r.kind,
            r.payload,
            r.attempts,
            r.story_id,
            r.idempotency_key,
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda c: c.id)


def _mine(session: Session, row: Claimed) -> Outbox | None:
    """The row, if this sender still holds its lease."""
    current = session.get(Outbox, row.id)
    if current is None or current.status != "sending" or current.claim_token != row.token:
        return None
    return current


def mark_sent(engine: Engine, row: Claimed, note: str | None = None) -> bool:
    with session_scope(engine) as session:
        current = _mine(session, row)
        if current is None:
            return False
        current.status, current.sent_at = "sent", utcnow()
        current.attempts += 1
        current.claim_token = None
        current.last_error = note
        session.add(current)
    return True


def backoff(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with equal jitter: between half and all of base·2^(n-1)."""
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def mark_failed_attempt(
    engine: Engine,
    row: Claimed,
    error: str,
    *,
    max_attempts: int,
    retry_base: float,
    retry_cap: float,
    retry_after: float | None = None,
    permanent: bool = False,
) -> str | None:
    """Record a failed send: 'pending' again after a backoff (or Retry-After), or 'failed'
    when attempts are used up or the error cannot get better. None if the lease was lost."""
    with session_scope(engine) as session:
        current = _mine(session, row)
        if current is None:
            return None
        current.attempts += 1
        current.last_error = error[:2000]
        current.claim_token = None
        if permanent or current.attempts >= max_attempts:
            current.status = "failed"
        else:
            delay = (
                retry_after
                if retry_after is not None
                else backoff(current.attempts, retry_base, retry_cap)
            )
            current.status = "pending"
            current.next_attempt_at = utcnow() + timedelta(seconds=delay)
        session.add(current)
        return current.status


def release(engine: Engine, row: Claimed, not_before: datetime, why: str | None = None) -> None:
    """Give a claimed row back unsent, due again at `not_before` (no attempt counted):
    quiet hours, or a destination that asked us to wait."""
    with session_scope(engine) as session:
        current = _mine(session, row)
        if current is None:
            return
        current.status, current.claim_token = "pending", None
        current.next_attempt_at = not_before
        if why:
            current.last_error = why
        session.add(current)


def requeue(engine: Engine, ids: list[int] | None = None) -> int:
    """Put failed rows (all, or these ids) back in the queue with fresh attempts."""
    stmt = update(Outbox).where(col(Outbox.status) == "failed")
    if ids is not None:
        stmt = stmt.where(col(Outbox.id).in_(ids))
    stmt = stmt.values(status="pending", attempts=0, next_attempt_at=utcnow(), claim_token=None)
    with session_scope(engine) as session:
        result = session.execute(stmt.execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
