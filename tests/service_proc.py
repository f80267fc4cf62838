"""A real `kizuna run` as a child process, its output in a file (a pipe nobody reads would
fill up and block it), and the config that compresses its schedules into seconds."""

from __future__ import annotations

import os
import shutil
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

REPO = Path(__file__).resolve().parents[1]


def fast_config(
    root: Path,
    *,
    schedules: dict[str, str],
    routes: list[dict[str, Any]] | None = None,
) -> Path:
    """A copy of config/ whose sources.yaml holds only `schedules`' sources, each on its
    schedule (`every 3s`), and whose alerts.yaml holds `routes` (none by default)."""
    config = root / "config"
    shutil.copytree(REPO / "config", config, ignore=shutil.ignore_patterns("*.py", "__*"))
    data = yaml.safe_load((config / "sources.yaml").read_text(encoding="utf-8"))
    kept = [s for s in data["sources"] if s["key"] in schedules]
    for source in kept:
        source["schedule"] = schedules[source["key"]]
        source["enabled"] = True
    data["sources"] = kept
    (config / "sources.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    (config / "alerts.yaml").write_text(yaml.safe_dump({"routes": routes or []}), "utf-8")
    return config


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
