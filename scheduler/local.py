"""Crawls as local child processes (`kizuna crawl KEY --trigger scheduled`): a fresh
reactor each time (ENGINEERING.md §1), and a crawl that hangs, leaks or crashes is killed
without touching the service. The service watches each child's clock and resident memory."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from storage.crawl_locks import close_abandoned, host_holder, record_killed
from storage.models import utcnow

log = logging.getLogger(__name__)

WATCH_SECONDS = 0.5
# After SIGTERM, Scrapy closes the spider (finishing requests in flight); then SIGKILL.
TERM_SECONDS = 5.0


def resident_mb(pid: int) -> float | None:
    """Resident memory of a process, from /proc (Linux); None when unknown."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class _Child:
    source: str
    proc: subprocess.Popen[bytes]
    started_at: datetime
    started: float = field(default_factory=time.monotonic)
    why_stopped: str | None = None


class LocalRunner:
    name = "local"

    def __init__(
        self,
        engine: Engine,
        *,
        time_limit: float,
        memory_mb: int,
        env: dict[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self.time_limit = time_limit
        self.memory_mb = memory_mb
        self.env = env
        self._children: dict[int, _Child] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def run(self, source: str, trigger: str = "scheduled") -> int:
        cmd = [sys.executable, "-m", "kizuna", "crawl", source, "--trigger", trigger]
        with self._lock:
            if self._stopping.is_set():
                log.info("not starting a crawl of %s: the service is stopping", source)
                return -1
            proc = subprocess.Popen(cmd, env=self.env)
            child = _Child(source, proc, utcnow())
            self._children[proc.pid] = child
        log.info("crawl of %s started (pid %s)", source, proc.pid)
        try:
            code = self._watch(child)
        finally:
            with self._lock:
                self._children.pop(proc.pid, None)
        if child.why_stopped is not None or code < 0:
            # Its run and lock would otherwise wait for the next crawl to notice.
            reason = child.why_stopped or f"the crawl process died (signal {-code})"
            holder = host_holder(proc.pid)
            if not close_abandoned(self.engine, holder=holder, reason=reason) and code < 0:
                record_killed(self.engine, source, trigger, holder, child.started_at, reason)
            log.error("crawl of %s: %s", source, reason)
        elif code:
            log.warning("crawl of %s exited with %s (see its crawl_run)", source, code)
        return code

    def _watch(self, child: _Child) -> int:
        proc = child.proc
        while True:
            try:
                return proc.wait(timeout=WATCH_SECONDS)
            except subprocess.TimeoutExpired:
                pass
            if child.why_stopped is not None:
                continue
            elapsed = time.monotonic() - child.started
            if elapsed > self.time_limit:
                self._end(child, f"killed: exceeded the time limit of {self.time_limit:.0f} s")
                continue
            rss = resident_mb(proc.pid)
            if rss is not None and rss > self.memory_mb:
                self._end(
                    child,
                    f"killed: resident memory {rss:.0f} MB exceeded the cap of {self.memory_mb} MB",
                )

    def _end(self, child: _Child, why: str, *, term_first: bool = False) -> None:
        """Stop a child (SIGTERM, then SIGKILL after TERM_SECONDS) without waiting."""
        child.why_stopped = why
        proc = child.proc

        def kill_later() -> None:
            try:
                proc.wait(timeout=TERM_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()

        if term_first:
            proc.send_signal(signal.SIGTERM)
            threading.Thread(target=kill_later, daemon=True).start()
        else:
            proc.kill()

    def stop(self, grace: float) -> None:
        """No new crawls; running ones get `grace` seconds, then SIGTERM (Scrapy closes the
        spider and the run is recorded as stopped), then SIGKILL."""
        self._stopping.set()
        if self._idle_within(grace):
            return
        with self._lock:
            children = list(self._children.values())
        for child in children:
            if child.proc.poll() is None:
                log.warning(
                    "stopping the crawl of %s: still running after %.0f s of grace",
                    child.source,
                    grace,
                )
                # Scrapy's graceful stop records the run itself; if it has to be killed,
                # run() closes the run with this reason.
                self._end(child, f"stopped at shutdown after {grace:.0f} s", term_first=True)
        self._idle_within(TERM_SECONDS + 2)

    def _idle_within(self, seconds: float) -> bool:
        """Wait up to `seconds` for every child to be gone; whether they are."""
        deadline = time.monotonic() + seconds
        while True:
            with self._lock:
                if not self._children:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def close(self) -> None:
        """Nothing held between crawls."""
