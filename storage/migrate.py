"""Schema migrations (Alembic), run by `kizuna db upgrade` and before demo/crawl/ingest/run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from storage.locks import file_lock, sqlite_lock_path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x4B5A4D47  # "KZMG": one migrator at a time across processes and hosts


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A transaction no other migrator runs beside (two `kizuna` processes starting on an
    empty database would otherwise both create the tables)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield conn
        return
    path = sqlite_lock_path(engine, "migrate")
    if path is None:
        with engine.begin() as conn:
            yield conn
        return
    with file_lock(path), engine.begin() as conn:
        yield conn


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the schema to the newest revision; returns (before, after)."""
    head = head_revision(engine)
    if current_revision(engine) == head:
        return head, head
    with _exclusive(engine) as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        if before != head:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return before, head
