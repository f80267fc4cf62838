"""Cross-process locks: a PostgreSQL advisory transaction lock, or a file lock beside the
SQLite file (both released when the transaction ends, even if the process dies)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session_scope


@contextmanager
def file_lock(path: str) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sqlite_lock_path(engine: Engine, name: str) -> str | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return f"{database}.{name}.lock"


@contextmanager
def exclusive_session(engine: Engine, *, key: int, name: str) -> Iterator[Session]:
    """A unit of work that no other process holding the same lock runs beside."""
    path = sqlite_lock_path(engine, name)
    if path is not None:
        with file_lock(path), session_scope(engine) as session:
            yield session
        return
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        yield session
