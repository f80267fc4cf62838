"""The service's heartbeat: each `kizuna run` writes one row and refreshes it every
HEARTBEAT_SECONDS; `kizuna health` calls the service healthy when a row is fresh."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from storage.db import session_scope
from storage.models import ServiceHeartbeat, utcnow

HEARTBEAT_SECONDS = 30
STALE_AFTER = 3 * HEARTBEAT_SECONDS


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(engine: Engine, instance: str, role: str = "leader") -> None:
    """`role`: leader (schedules) or standby (waits to take over)."""
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


def prune(engine: Engine, older_than: float = 10 * STALE_AFTER) -> None:
    """Forget instances that died without a clean exit long ago."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    with session_scope(engine) as session:
        session.execute(delete(ServiceHeartbeat).where(col(ServiceHeartbeat.beat_at) < cutoff))


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    line: str


def check(
    session: Session, now: datetime | None = None, stale_after: float = STALE_AFTER
) -> Verdict:
    """Healthy when a leader (the instance that schedules) beat recently."""
    now = now or utcnow()
    rows = session.exec(
        select(ServiceHeartbeat).order_by(col(ServiceHeartbeat.beat_at).desc())
    ).all()
    if not rows:
        return Verdict(False, "no service heartbeat: `kizuna run` is not running")
    leaders = [r for r in rows if r.role != "standby"]
    if not leaders:
        standby = rows[0]
        return Verdict(
            False,
            f"no leader: only standby {standby.instance} is running (it takes over when the "
            "leader's lock is free)",
        )
    row = leaders[0]
    beat_at = row.beat_at if row.beat_at.tzinfo else row.beat_at.replace(tzinfo=UTC)
    age = (now - beat_at).total_seconds()
    if age > stale_after:
        return Verdict(
            False,
            f"service heartbeat is stale: {row.instance} last beat {age:.0f} s ago "
            f"(limit {stale_after:.0f} s)",
        )
    return Verdict(True, f"ok: {row.instance} ({row.role}) beat {max(age, 0):.0f} s ago")
