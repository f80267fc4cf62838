"""`kizuna run` starts the scheduler with one job per enabled source, proves it is alive
to `kizuna health` (the container's HEALTHCHECK), and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy.engine import Engine

from storage.db import session_scope
from storage.heartbeat import beat
from storage.models import ServiceHeartbeat, utcnow

from alerting import wait_for
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
        assert wait_for(lambda: kenv.run("health").returncode == 0, timeout=30)
        assert kenv.run("health").stdout.startswith("ok: ")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopping" in out
    after = kenv.run("health")
    assert after.returncode == 1 and "not running" in after.stderr


def test_health_fails_without_a_service_and_on_a_stale_heartbeat(kenv: Env, engine: Engine) -> None:
    never = kenv.run("health")
    assert never.returncode == 1
    assert "no service heartbeat" in never.stderr

    beat(engine, "host-a:123")
    assert kenv.run("health").returncode == 0
    with session_scope(engine) as session:
        row = session.get(ServiceHeartbeat, "host-a:123")
        assert row is not None
        row.beat_at = utcnow() - timedelta(minutes=10)  # the service hung ten minutes ago
    stale = kenv.run("health")
    assert stale.returncode == 1
    assert "stale" in stale.stderr and "host-a:123" in stale.stderr
