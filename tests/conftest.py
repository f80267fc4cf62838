"""Shared fixtures: a clean database per test (SQLite, or PostgreSQL when
KIZUNA_TEST_DATABASE_URL is set), the KPL fixture site on 127.0.0.1, a webhook receiver and
an SMTP server, and a CLI runner that starts `python -m kizuna` as a real child process;
helpers to read what such a child answered and to give it a config dir of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from config.settings import Settings

    from alerting import Receiver, SmtpServer

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

    def setenv(self, monkeypatch: pytest.MonkeyPatch, **values: str) -> Settings:
        """The same settings for `kizuna` children (`vars`) and in-process code (the
        environment, read again by get_settings()); those settings."""
        from config.settings import get_settings

        self.vars.update(values)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return get_settings()


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
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1, plain and without login (tests/alerting.py)."""
    from alerting import smtp_server

    with smtp_server() as server:
        yield server


@pytest.fixture
def kpl_site() -> Iterator[object]:
    """The bundled KPL fixture site, served on 127.0.0.1 for the duration of a test."""
    from kizuna.fixture_server import DEMO_SITES, FixtureServer, FixtureSite

    with FixtureServer(FixtureSite.load(DEMO_SITES / "kpl")) as server:
        yield server


def mirrors_for(server: object) -> str:
    site = server.site  # type: ignore[attr-defined]
    return f"{site.origin}={server.base_url}"  # type: ignore[attr-defined]


def config_dir(root: Path, files: dict[str, str | dict[str, Any]]) -> Path:
    """A KIZUNA_CONFIG_DIR (root/config) holding only `files`: name -> YAML text, or data
    to write as YAML. Every registry not given is the packaged one (config/registry.py
    config_path). Called again, it rewrites the files it is given."""
    config = root / "config"
    config.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
        (config / name).write_text(text, encoding="utf-8")
    return config


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """A `kizuna` child that succeeded, without a traceback."""
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """A `kizuna` child that failed (exit 1) with one `error: ` line on stderr; that line."""
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{done.stderr}"
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def pytest_report_header() -> str:
    from config.settings import mask_url_password

    return f"kizuna test database: {mask_url_password(PG_URL) if PG_URL else 'SQLite per test'}"
