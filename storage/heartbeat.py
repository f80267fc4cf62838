"""The service's heartbeat: each `kizuna run` writes one row and refreshes it every
HEARTBEAT_SECONDS; `kizuna health` calls the service healthy when a row is fresh."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.db import session_scope
from storage.models import ServiceHeartbeat, utcnow

HEARTBEAT_SECONDS = 30
STALE_AFTER = 3 * HEARTBEAT_SECONDS


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(engine: Engine, instance: str, role: str = "scheduler") -> None:
    with session_scope(engine) as session:
        row = session.get(ServiceHeartbeat, instance) or ServiceHeartbeat(instance=instance)
        row.role, row.beat_at = role, utcnow()
        session.add(row)


def stop(engine: Engine, instance: str) -> None:
    """A clean exit: the row goes, so `kizuna health` says "stopped", not "stale"."""
    with session_scope(engine) as session:
        row = session.get(ServiceHeartbeat, instance)
        if row is not None:
            session.delete(row)


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    line: str


def check(
    session: Session, now: datetime | None = None, stale_after: float = STALE_AFTER
) -> Verdict:
    now = now or utcnow()
    row = session.exec(
        select(ServiceHeartbeat).order_by(col(ServiceHeartbeat.beat_at).desc()).limit(1)
    ).first()
    if row is None:
        return Verdict(False, "no service heartbeat: `kizuna run` is not running")
    beat_at = row.beat_at if row.beat_at.tzinfo else row.beat_at.replace(tzinfo=UTC)
    age = (now - beat_at).total_seconds()
    if age > stale_after:
        return Verdict(
            False,
            f"service heartbeat is stale: {row.instance} last beat {age:.0f} s ago "
            f"(limit {stale_after:.0f} s)",
        )
    return Verdict(True, f"ok: {row.instance} ({row.role}) beat {max(age, 0):.0f} s ago")
