"""One scheduler at a time. On PostgreSQL the leader holds a session advisory lock on a
connection of its own (NullPool: closing it, or the process dying, frees the lock at once;
a pooled connection would keep it, ENGINEERING.md §4). On SQLite an flock on a file beside
the database does the same for the processes of one host."""

from __future__ import annotations

import fcntl
import logging
import os
from typing import IO, Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from storage.locks import sqlite_lock_path

log = logging.getLogger(__name__)

# "KIZUNA" in ASCII: the advisory lock key that only the leading `kizuna run` holds.
LEADER_KEY = 0x4B495A554E41


class Leadership(Protocol):
    where: str  # what the lock is, for messages

    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLeadership:
    def __init__(self, engine: Engine) -> None:
        self._engine = create_engine(engine.url, poolclass=NullPool)
        self._conn: Connection | None = None
        self.where = f"PostgreSQL advisory lock {LEADER_KEY} on {engine.url.host}"

    def try_acquire(self) -> bool:
        if self._conn is None:
            try:
                self._conn = self._engine.connect()
            except Exception as exc:
                log.warning("could not ask for leadership: %s", exc)
                return False
        return self._ask("SELECT pg_try_advisory_lock(:key)", "could not ask for leadership")

    def still_held(self) -> bool:
        """The lock is ours as long as its connection lives (the server frees it when the
        connection goes)."""
        return self._conn is not None and self._ask(
            "SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid() AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = :key",
            "lost the leader's database connection",
            level=logging.ERROR,
        )

    def release(self) -> None:
        if self._conn is not None:
            # If this fails the connection is going anyway, and with it the lock.
            self._ask("SELECT pg_advisory_unlock(:key)", "advisory unlock failed", logging.DEBUG)
        self._drop()
        self._engine.dispose()

    def _ask(self, sql: str, failing: str, level: int = logging.WARNING) -> bool:
        """One query about the leader key on our connection, its transaction ended (the
        session-level lock stays); False, with the connection dropped, if it fails."""
        assert self._conn is not None
        try:
            answer = self._conn.execute(text(sql), {"key": LEADER_KEY}).scalar_one()
            self._conn.commit()
        except Exception as exc:
            log.log(level, "%s: %s", failing, exc)
            self._drop()
            return False
        return bool(answer)

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception as exc:
                log.debug("closing the leader connection: %s", exc)
            self._conn = None


class FileLeadership:
    def __init__(self, path: str) -> None:
        self.where = f"lock file {path}"
        self._path = path
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        handle = open(self._path, "a+")  # noqa: SIM115 (held open while leading)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return True

    def still_held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class SoleLeadership:
    """An in-memory database: nobody else can share it, so no lock is needed."""

    where = "an in-memory database"

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        return None


def leadership_for(engine: Engine) -> Leadership:
    if engine.dialect.name == "postgresql":
        return AdvisoryLeadership(engine)
    path = sqlite_lock_path(engine, "leader")
    return FileLeadership(path) if path else SoleLeadership()
