"""The outbox: one row per delivery, unique by idempotency key, written in the same
transaction as the match that caused it, so a re-run can never alert twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

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
) -> bool:
    """Insert the delivery unless its key exists; True when a row was added."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Outbox)
        .values(
            channel=channel,
            route=route,
            kind=kind,
            idempotency_key=idempotency_key,
            payload=payload,
            story_id=story_id,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(col(Outbox.id))
    )
    # RETURNING, not rowcount: psycopg reports -1 rows for a skipped ON CONFLICT insert.
    return session.execute(stmt).first() is not None
