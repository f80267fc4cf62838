"""One crawl per source at a time, across processes and hosts: a row per source being
crawled, taken with one upsert that succeeds only when the source is free, its lock has
expired, or its holder is a dead process on this host (a crawl child killed with SIGKILL
leaves no lock that blocks the next run)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import col, delete

from storage.db import session_scope
from storage.models import CrawlLock, utcnow

# Longer than the service's hard limit on one crawl (45 min): a lock outlives its crawl
# only when the holder died, and then at most this long (less on the holder's own host).
LOCK_TTL = timedelta(minutes=50)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Busy:
    """Why a source could not be locked: who holds it, for what, since when."""

    source: str
    holder: str
    trigger: str
    since: datetime

    def line(self) -> str:
        return (
            f"not crawled: a {self.trigger} crawl ({self.holder}) has been running since "
            f"{self.since:%Y-%m-%d %H:%M:%S} UTC"
        )


def _dead_here(holder: str) -> bool:
    """The holder is a process of this host that no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(
    engine: Engine, source: str, trigger: str, holder: str, ttl: timedelta = LOCK_TTL
) -> Busy | None:
    """Lock `source` for `holder`; None when it is ours now, else who has it."""
    now = utcnow()
    with session_scope(engine) as session:
        current = session.get(CrawlLock, source)
        dead = current.holder if current is not None and _dead_here(current.holder) else None
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(CrawlLock).values(
            source=source, holder=holder, trigger=trigger, acquired_at=now, expires_at=now + ttl
        )
        takeover = col(CrawlLock.expires_at) < now
        if dead is not None:
            takeover = or_(takeover, col(CrawlLock.holder) == dead)
        upsert = stmt.on_conflict_do_update(
            index_elements=["source"],
            set_={
                "holder": stmt.excluded.holder,
                "trigger": stmt.excluded.trigger,
                "acquired_at": stmt.excluded.acquired_at,
                "expires_at": stmt.excluded.expires_at,
            },
            where=takeover,
        ).returning(col(CrawlLock.holder))
        if session.execute(upsert).first() is not None:
            return None
    with session_scope(engine) as session:
        held = session.get(CrawlLock, source)
        if held is None:  # released in between: try once more
            return acquire(engine, source, trigger, holder, ttl)
        return Busy(source, held.holder, held.trigger, held.acquired_at)


def release(engine: Engine, sources: list[str], holder: str) -> None:
    if not sources:
        return
    with session_scope(engine) as session:
        session.execute(
            delete(CrawlLock).where(
                col(CrawlLock.source).in_(sources), col(CrawlLock.holder) == holder
            )
        )
