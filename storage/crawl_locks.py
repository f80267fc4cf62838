"""One crawl per source at a time, across processes and hosts: a row per source being
crawled, taken with one upsert that succeeds only when the source is free, its lock has
expired, or its holder is a dead process on this host (a crawl child killed with SIGKILL
leaves no lock that blocks the next run)."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import col, delete, select

from storage.db import session_scope
from storage.models import CrawlLock, CrawlRun, utcnow

# Longer than the default hard limit on one crawl (KIZUNA_CRAWL_TIME_LIMIT, 45 min): a lock
# outlives its crawl only when the holder died, and then at most this long (less on the
# holder's own host). `kizuna crawl` passes the limit in force + 5 min.
LOCK_TTL = timedelta(minutes=50)
log = logging.getLogger(__name__)


def holder_name() -> str:
    return host_holder(os.getpid())


def host_holder(pid: int) -> str:
    """How a process of this host is named as a holder (and in crawl_run.holder)."""
    return f"{socket.gethostname()}:{pid}"


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


def close_abandoned(engine: Engine, *, holder: str | None = None, reason: str = "") -> int:
    """Close crawl runs left 'running' by a process that no longer holds its source's lock
    (killed, crashed, out of memory), or, given `holder`, every running run of that process
    (the service killed it) after releasing its locks. Returns how many were closed."""
    now = utcnow()
    running = select(CrawlRun).where(col(CrawlRun.status) == "running")
    with session_scope(engine) as session:
        if holder is not None:
            session.execute(delete(CrawlLock).where(col(CrawlLock.holder) == holder))
            running = running.where(col(CrawlRun.holder) == holder)
        held = {(lock.source, lock.holder) for lock in session.exec(select(CrawlLock)).all()}
        locked = {source for source, _ in held}
        closed = 0
        for run in session.exec(running).all():
            if run.holder is None:  # before crawl_run.holder: only when nothing holds it
                started = run.started_at.replace(tzinfo=now.tzinfo)
                if run.source in locked or now - started < LOCK_TTL:
                    continue
            elif (run.source, run.holder) in held:
                continue
            run.status, run.finished_at = "killed", now
            run.error = reason or (
                f"the crawl process ({run.holder or 'unknown'}) ended without finishing this "
                "run: killed or crashed"
            )
            session.add(run)
            closed += 1
    if closed and holder is None:
        log.warning("closed %d crawl run(s) whose process had died", closed)
    return closed


def record_killed(
    engine: Engine, source: str, trigger: str, holder: str, started_at: datetime, reason: str
) -> None:
    """A crawl killed before it could open its own run still leaves one, saying why."""
    with session_scope(engine) as session:
        session.add(
            CrawlRun(
                source=source,
                trigger=trigger,
                holder=holder,
                started_at=started_at,
                finished_at=utcnow(),
                status="killed",
                error=reason,
            )
        )
