"""Service: resident memory of an idle `kizuna run`.

The real service starts as a child process (`python -m kizuna run`) on a fresh SQLite file
with the packaged config: every source, commitment and route, the routes on and delivering
to files. Only the sources' crawl schedules are moved to 1 January, so that no crawl starts
while it is measured; the service is also offline (a request that is not to a 127.0.0.1
mirror is refused) and every KIZUNA_* and proxy variable of the caller is dropped, so
nothing touches the network. Once it leads, has scheduled its jobs and has run its start-up
jobs (digest catch-up, outbox flush, health evaluation), its resident memory (VmRSS, with
any children's) is read from /proc. SIGTERM must then stop it with exit code 0.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Metric,
    child_env,
    descendants,
    family_kb,
    proc_status,
    progress,
    sources_config,
)

DESCRIPTION = "resident memory of an idle `kizuna run` (packaged config, no crawl due)"
IDLE_RSS_BUDGET_MB = 150.0
NEVER_SOON = "0 0 1 1 *"  # crontab: midnight on 1 January
START_TIMEOUT = 60.0  # seconds for the service to migrate the database and lead
SETTLE_SECONDS = 10.0  # after its jobs are scheduled (health evaluation runs at 5 s)
MIN_SETTLE_SECONDS = 6.0  # at small scales (tests)
SAMPLE_EVERY = 0.5
STOP_TIMEOUT = 30.0
READY_LINE = "scheduled service:health"  # printed after the leader schedules its jobs


def run(scale: float = 1.0) -> list[Metric]:
    """Start, wait idle, measure, stop. `scale` < 1 shortens the idle wait (tests)."""
    settle = max(MIN_SETTLE_SECONDS, SETTLE_SECONDS * min(scale, 1.0))
    with tempfile.TemporaryDirectory(prefix="kizuna-bench-") as tmp:
        return measure(Path(tmp), settle)


def measure(work: Path, settle: float) -> list[Metric]:
    env = service_env(work)
    log = work / "service.log"
    with log.open("wb") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kizuna", "run"],
            cwd=work,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        _wait_for(proc, log, READY_LINE)
        ready = time.monotonic() - started
        samples = _sample(proc.pid, settle)
        status = proc_status(proc.pid)
        children = descendants(proc.pid)
        code, stop_s = _terminate(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT)
    output = log.read_text(encoding="utf-8", errors="replace")
    if code != 0:
        raise RuntimeError(f"`kizuna run` exited {code} on SIGTERM:\n{output[-2000:]}")
    _check_no_crawl(work, output)
    idle = samples[-1]
    _progress(
        f"ready in {ready:.1f} s; idle RSS {idle:.1f} MB (min {min(samples):.1f}, "
        f"max {max(samples):.1f} over {settle:g} s); stopped in {stop_s:.1f} s"
    )
    return [
        Metric.compared("service.idle_rss", idle, "MB", IDLE_RSS_BUDGET_MB, limit=1.0),
        Metric("service.peak_rss", status["VmHWM"] / 1024, "MB"),
        Metric("service.threads", status["Threads"], "threads"),
        Metric("service.children", len(children), "processes"),
        Metric("service.start_s", ready, "s"),
        Metric("service.stop_s", stop_s, "s"),
    ]


def service_env(work: Path) -> dict[str, str]:
    """`child_env` with a fresh database, var/ and a quiet config dir under `work`."""

    def never_soon(source: dict[str, Any]) -> None:
        source["schedule"] = NEVER_SOON

    return child_env(
        KIZUNA_DATABASE_URL=f"sqlite:///{work / 'kizuna.db'}",
        KIZUNA_VAR_DIR=str(work / "var"),
        KIZUNA_CONFIG_DIR=str(sources_config(work / "config", never_soon)),
        KIZUNA_TIMEZONE="Asia/Vientiane",
        KIZUNA_OFFLINE="true",  # anything not to a 127.0.0.1 mirror is refused
        KIZUNA_EMAIL_BACKEND="file",
        KIZUNA_SLACK_BACKEND="file",
        KIZUNA_DIGEST_TO="analyst@example.org",
        KIZUNA_OPS_EMAIL_TO="ops@example.org",
        KIZUNA_SHUTDOWN_GRACE="2",
        NO_PROXY="127.0.0.1,localhost",
    )


def _wait_for(proc: subprocess.Popen[bytes], log: Path, text: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        output = log.read_text(encoding="utf-8", errors="replace")
        if text in output:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"`kizuna run` exited {proc.returncode}:\n{output[-2000:]}")
        time.sleep(0.1)
    raise RuntimeError(f"`kizuna run` did not print {text!r} within {START_TIMEOUT:g} s")


def _sample(pid: int, seconds: float) -> list[float]:
    """Resident MB of `pid` and its descendants, every `SAMPLE_EVERY` s for `seconds`."""
    samples = []
    deadline = time.monotonic() + seconds
    while True:
        samples.append(family_kb(pid, "VmRSS") / 1024)
        if time.monotonic() >= deadline:
            return samples
        time.sleep(SAMPLE_EVERY)


def _terminate(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=STOP_TIMEOUT)
    return code, time.monotonic() - sent


def _check_no_crawl(work: Path, output: str) -> None:
    """Raise if a crawl ran during the measurement (it would not be an idle service)."""
    import sqlite3

    with sqlite3.connect(work / "kizuna.db") as db:
        crawls = db.execute("SELECT count(*) FROM crawl_run").fetchone()[0]
    if crawls:
        raise RuntimeError(f"{crawls} crawl(s) ran while the service was measured:\n{output}")


def _progress(message: str) -> None:
    progress("service", message)
