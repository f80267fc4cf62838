"""Shared fixtures: a clean database per test (SQLite, or PostgreSQL when
KIZUNA_TEST_DATABASE_URL is set), the KPL fixture site on 127.0.0.1, and a CLI runner that
starts `python -m kizuna` as a real child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alerting import Receiver

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("KIZUNA_TEST_DATABASE_URL")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return empty_database(tmp_path)


def empty_database(tmp_path: Path, name: str = "kizuna.db") -> str:
    """An empty database: a new SQLite file `name`, or on PostgreSQL (one shared test
    database) the same one emptied."""
    if PG_URL:
        from storage.db import make_engine

        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return PG_URL
    return f"sqlite:///{tmp_path / name}"


@dataclass
class Env:
    """Environment of one test: where the database, config and var/ live."""

    cwd: Path
    vars: dict[str, str]

    def run(
        self,
        *args: str,
        input: str | None = None,
        timeout: float = 180,
        extra: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.vars, **(extra or {})}
        return subprocess.run(
            [sys.executable, "-m", "kizuna", *args],
            cwd=self.cwd,
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run_together(self, *args: str, copies: int = 2) -> list[tuple[int, str, str]]:
        """Start `copies` identical `kizuna` processes at once; (exit code, stdout, stderr)
        of each, in order."""
        env = {**os.environ, **self.vars}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "kizuna", *args],
                cwd=self.cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(copies)
        ]
        outputs = [p.communicate(timeout=180) for p in procs]
        return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]


@pytest.fixture
def kenv(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    """Settings for both child processes and in-process code of this test."""
    work = tmp_path / "work"
    work.mkdir()
    values = {
        "KIZUNA_DATABASE_URL": database_url,
        "KIZUNA_VAR_DIR": str(work / "var"),
        "KIZUNA_CONFIG_DIR": str(REPO / "config"),
        "KIZUNA_TIMEZONE": "Asia/Vientiane",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    for name in list(os.environ):
        if name.startswith("KIZUNA_"):
            monkeypatch.delenv(name)
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(work)
    from config.settings import get_settings

    get_settings.cache_clear()
    yield Env(work, values)
    get_settings.cache_clear()


@pytest.fixture
def engine(kenv: Env) -> Iterator[Engine]:
    """The test's database, migrated, for in-process code (kenv's settings)."""
    from config.settings import get_settings
    from storage.db import make_engine
    from storage.migrate import upgrade

    eng = make_engine(get_settings().database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A Slack-style webhook receiver on 127.0.0.1 (tests/alerting.py)."""
    from alerting import webhook_receiver

    with webhook_receiver() as state:
        yield state


@pytest.fixture
def kpl_site() -> Iterator[object]:
    """The bundled KPL fixture site, served on 127.0.0.1 for the duration of a test."""
    from kizuna.fixture_server import DEMO_SITES, FixtureServer, FixtureSite

    with FixtureServer(FixtureSite.load(DEMO_SITES / "kpl")) as server:
        yield server


def mirrors_for(server: object) -> str:
    site = server.site  # type: ignore[attr-defined]
    return f"{site.origin}={server.base_url}"  # type: ignore[attr-defined]


def pytest_report_header() -> str:
    from config.settings import mask_url_password

    return f"kizuna test database: {mask_url_password(PG_URL) if PG_URL else 'SQLite per test'}"
