"""`kizuna run` starts the scheduler with one job per enabled source, and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import Env


def test_service_schedules_sources_and_stops_on_sigterm(kenv: Env) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kizuna", "run"],
        cwd=kenv.cwd,
        env={**os.environ, **kenv.vars},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if {"alerts:flush:", "crawl:kpl-en:"} <= {x.split()[1] for x in lines if " " in x}:
                break
        assert any(line.startswith("scheduled crawl:kpl-en: cron") for line in lines), lines
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopping" in out
