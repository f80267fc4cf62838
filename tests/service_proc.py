"""A real `kizuna run` as a child process, its output in a file (a pipe nobody reads would
fill up and block it), the config that compresses its schedules into seconds, a slow KPL
fixture site to catch a crawl under way, and the crawl_run rows it leaves."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kizuna.fixture_server import DEMO_SITES, FixtureSite
from storage.models import CrawlRun

from conftest import REPO, config_dir


def fast_config(
    root: Path,
    *,
    schedules: dict[str, str],
    routes: list[dict[str, Any]] | None = None,
) -> Path:
    """A config dir whose sources.yaml holds only `schedules`' sources, each on its schedule
    (`every 3s`), and whose alerts.yaml holds `routes` (none by default); commitments are the
    packaged ones."""
    data = yaml.safe_load((REPO / "config" / "sources.yaml").read_text(encoding="utf-8"))
    kept = [s for s in data["sources"] if s["key"] in schedules]
    for source in kept:
        source["schedule"] = schedules[source["key"]]
        source["enabled"] = True
    data["sources"] = kept
    return config_dir(root, {"sources.yaml": data, "alerts.yaml": {"routes": routes or []}})


def slow_kpl(listing_delay: float, detail_delay: float) -> FixtureSite:
    """The KPL fixture site, answering its listing and article pages slowly."""
    site = FixtureSite.load(DEMO_SITES / "kpl")
    for key, route in list(site.routes.items()):
        if "news.aspx" in key:
            site.routes[key] = dataclasses.replace(route, delay=listing_delay)
        elif "detail.aspx" in key:
            site.routes[key] = dataclasses.replace(route, delay=detail_delay)
    return site


def runs(engine: Engine, **where: object) -> list[CrawlRun]:
    """The crawl_run rows in the order they were started; with `where` (status="ok",
    trigger="scheduled", ...) only those whose fields have these values."""
    with Session(engine) as session:
        rows = session.exec(select(CrawlRun).order_by(col(CrawlRun.id))).all()
    return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]


def clock_in(seconds: float, zone: str) -> tuple[str, datetime]:
    """A route `time` (HH:MM:SS, local to `zone`) that many seconds from now, and when."""
    at = datetime.now(ZoneInfo(zone)).replace(microsecond=0) + timedelta(seconds=seconds)
    return at.strftime("%H:%M:%S"), at


@dataclass
class Service:
    proc: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, cwd: Path, env: dict[str, str], name: str = "service") -> Service:
        log = cwd / f"{name}.log"
        handle = log.open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "kizuna", "run"],
            cwd=cwd,
            env={**os.environ, **env},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        return cls(proc, log)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_line(self, text: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if self.proc.poll() is not None:
                return text in self.output()
            time.sleep(0.1)
        return False

    def terminate(self, timeout: float = 60) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds it took to exit)."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - sent

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
