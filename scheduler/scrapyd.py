"""Crawls dispatched to Scrapyd nodes (KIZUNA_SCRAPYD_URLS) instead of local child processes.

Each node runs deploy/scrapyd/scrapyd.conf: the project "kizuna" without an egg, whose jobs
are `python -m kizuna.scrapyd_runner crawl SOURCE`, i.e. `kizuna crawl SOURCE` on the node,
with its crawl lock, crawl_run row, health and alerts in the shared database. This side only
picks a node, schedules the job, waits for it, and cancels it past the time limit or at
shutdown. The exit code comes from the last line of the job's log (Scrapyd's API has none).

Node URLs may carry basic-auth credentials (http://user:pass@node:6800): they are sent as
an Authorization header and never appear in a log line or an error. Nodes are reached
directly, never through HTTP_PROXY: they live on a private network.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from kizuna.oneline import describe
from kizuna.scrapyd_runner import EXIT_MARK

log = logging.getLogger(__name__)

PROJECT = "kizuna"
# Same hard limit as a crawl in a local child process.
TIME_LIMIT = 45 * 60
EXIT_LINE = re.compile(rf"^{re.escape(EXIT_MARK)} (-?\d+)\s*$", re.MULTILINE)
# A job the node no longer lists for this many polls in a row was lost (node restarted).
LOST_AFTER_POLLS = 3
DIED = -999  # _exit_code: the job's log has no exit line


class NodeError(Exception):
    """A node that could not be reached or gave an unusable answer."""


@dataclass(frozen=True)
class Node:
    """A Scrapyd node: `url` without credentials (for requests and logs), `auth` apart."""

    url: str
    auth: tuple[str, str] | None
    secrets: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str, position: int = 1) -> Node:
        try:
            parsed = httpx.URL(raw.strip())
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            # Not echoed: the value may hold a password.
            raise ValueError(
                f"KIZUNA_SCRAPYD_URLS: entry {position}: expected http(s)://[USER:PASS@]HOST:PORT"
            )
        url = str(parsed.copy_with(userinfo=b"", query=None, fragment=None)).rstrip("/")
        if not parsed.userinfo:
            return cls(url, None, ())
        auth = (parsed.username, parsed.password)
        userinfo = parsed.userinfo.decode("ascii", "replace")
        secrets = {raw.strip(), userinfo, f"{auth[0]}:{auth[1]}"}
        secrets.update(s for s in (parsed.password, userinfo.partition(":")[2]) if len(s) >= 3)
        return cls(url, auth, tuple(sorted((s for s in secrets if s), key=len, reverse=True)))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return text


@dataclass
class _Job:
    node: Node
    job_id: str
    source: str
    cancels: int = 0  # cancel.json requests sent
    cancel_due: float | None = None  # monotonic time of the next cancel step
    holder: str | None = None  # node_name:pid once running: its crawl lock's holder


class ScrapydRunner:
    """`CrawlRunner` (scheduler/runners.py) that runs each crawl as a Scrapyd job.

    run() picks the reachable node with the fewest pending and running jobs, schedules
    `SOURCE` there and polls until the job ends. Past `time_limit`, or when stop() gives up
    waiting, the job is cancelled in steps `cancel_grace` seconds apart, through cancel.json:
    SIGTERM, as the local runner sends (Scrapy's graceful stop; the run is recorded as
    stopped), SIGTERM again (immediate stop; the crawl lock is still released), SIGKILL (the
    lock is then taken over by the next crawl on that host, or after it expires). A crawl
    still starting up, before Scrapy handles signals, dies at the first SIGTERM, as a
    local one does.
    Given the `engine`, a job that was killed or died has its crawl_run closed and its lock
    released at once, as the local runner does (this needs the node's Scrapyd `node_name`
    to be its host name, the default).
    """

    name = "scrapyd"

    def __init__(
        self,
        urls: list[str],
        *,
        project: str = PROJECT,
        time_limit: float = TIME_LIMIT,
        poll: float = 5.0,
        cancel_grace: float = 20.0,
        timeout: float = 10.0,
        engine: Engine | None = None,
    ) -> None:
        if not urls:
            raise ValueError("KIZUNA_SCRAPYD_URLS: no Scrapyd node given")
        self.nodes = [Node.parse(u, i) for i, u in enumerate(urls, 1)]
        self.project = project
        self.time_limit = time_limit
        self.poll = poll
        self.cancel_grace = cancel_grace
        self.engine = engine
        self._clients = {
            n.url: httpx.Client(auth=n.auth, timeout=timeout, trust_env=False) for n in self.nodes
        }
        self._lock = threading.Condition()
        self._jobs: dict[str, _Job] = {}
        self._active = 0  # run() calls under way (scheduling or waiting)
        self._stopping = False
        self._cancel_all = False

    # ------------------------------------------------------------ the protocol

    def run(self, source: str, trigger: str = "scheduled") -> int:
        """Crawl `source` on a node; 0 or the crawl's exit code, non-zero when it could not
        be run, was lost, or was cancelled. Never raises."""
        with self._lock:
            if self._stopping:
                self._log(logging.WARNING, "crawl of %s not started: shutting down", source)
                return 1
            self._active += 1
        try:
            return self._run(source, trigger)
        except Exception as exc:  # the scheduler's worker thread must survive anything
            self._log(logging.ERROR, "crawl of %s on Scrapyd failed: %s", source, describe(exc))
            return 1
        finally:
            with self._lock:
                self._active -= 1
                self._lock.notify_all()

    def stop(self, grace: float) -> None:
        """Start no new job; wait up to `grace` seconds for running ones, then cancel them
        and wait (at most the three cancel steps) for their run() calls to return."""
        with self._lock:
            self._stopping = True
            if self._lock.wait_for(lambda: not self._active, timeout=max(0.0, grace)):
                return
            self._cancel_all = True
            jobs = list(self._jobs.values())
        self._log(logging.WARNING, "stopping: cancelling %d Scrapyd job(s)", len(jobs))
        for job in jobs:
            self._step_cancel(job, "the service is stopping")
        with self._lock:
            self._lock.wait_for(
                lambda: not self._active, timeout=3 * self.cancel_grace + 2 * self.poll + 10
            )

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    # ------------------------------------------------------------ one crawl

    def _run(self, source: str, trigger: str) -> int:
        job = self._schedule(source, trigger)
        if job is None:
            return 1
        with self._lock:
            self._jobs[job.job_id] = job
            cancel_now = self._cancel_all
        try:
            if cancel_now:  # stop() swept the jobs before this one was registered
                self._step_cancel(job, "the service is stopping")
            return self._wait(job)
        finally:
            with self._lock:
                del self._jobs[job.job_id]
                self._lock.notify_all()

    def _schedule(self, source: str, trigger: str) -> _Job | None:
        loads: list[tuple[int, int, Node]] = []
        for i, node in enumerate(self.nodes):
            try:
                status = self._call(node, "GET", "daemonstatus.json")
                loads.append((int(status["pending"]) + int(status["running"]), i, node))
            except (NodeError, KeyError, TypeError, ValueError) as exc:
                self._log(
                    logging.WARNING,
                    "Scrapyd node %s skipped for %s: %s",
                    node.url,
                    source,
                    exc if isinstance(exc, NodeError) else f"bad daemonstatus: {describe(exc)}",
                )
        if not loads:
            self._log(
                logging.ERROR,
                "crawl of %s not started: no Scrapyd node available (tried %s)",
                source,
                ", ".join(n.url for n in self.nodes),
            )
            return None
        for _load, _i, node in sorted(loads, key=lambda t: t[:2]):
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            job_id = f"{source}-{stamp}-{uuid.uuid4().hex[:8]}"
            data = {"project": self.project, "spider": source, "trigger": trigger, "jobid": job_id}
            try:
                answer = self._call(node, "POST", "schedule.json", data=data)
            except NodeError as exc:
                self._log(
                    logging.WARNING, "Scrapyd node %s could not take %s: %s", node.url, source, exc
                )
                continue
            self._log(logging.INFO, "crawl of %s is job %s on %s", source, job_id, node.url)
            return _Job(node, str(answer.get("jobid") or job_id), source)
        self._log(logging.ERROR, "crawl of %s not started: no Scrapyd node took it", source)
        return None

    def _wait(self, job: _Job) -> int:
        # The time limit counts from the start of the crawl; a job may also wait that long
        # in the node's queue (all its slots busy) before it is given up.
        deadline = time.monotonic() + self.time_limit
        started = False
        missing = 0
        unreachable = False
        while True:
            try:
                state, entry, node_name = self._state(job)
            except NodeError as exc:
                if not unreachable:
                    self._log(
                        logging.WARNING,
                        "job %s (%s): node %s unreachable, still waiting: %s",
                        job.job_id,
                        job.source,
                        job.node.url,
                        exc,
                    )
                unreachable = True
                state, entry, node_name = "unknown", {}, ""
            else:
                unreachable = False
            if state == "running" and not started:
                started, deadline = True, time.monotonic() + self.time_limit
                if entry.get("pid") and node_name:
                    job.holder = f"{node_name}:{entry['pid']}"
            if state == "finished":
                return self._finished(job, entry)
            if state is None and job.cancels and not started:
                self._log(
                    logging.ERROR,
                    "crawl of %s (job %s) was cancelled before it started",
                    job.source,
                    job.job_id,
                )
                return 1
            missing = missing + 1 if state is None else 0
            if missing >= LOST_AFTER_POLLS:
                return self._abandoned(job, "is no longer known to the node (restarted?)")
            now = time.monotonic()
            if job.cancels == 0 and now >= deadline:
                self._log(
                    logging.ERROR,
                    "crawl of %s (job %s) %s %ss; cancelling it",
                    job.source,
                    job.job_id,
                    "exceeded" if started else "waited in the node's queue for",
                    int(self.time_limit),
                )
                self._step_cancel(job, "time limit")
            elif job.cancel_due is not None and now >= job.cancel_due:
                if job.cancels >= 3:
                    return self._abandoned(job, "did not end after SIGTERM, SIGTERM and SIGKILL")
                self._step_cancel(job, "still running after cancel")
            time.sleep(self.poll)

    def _finished(self, job: _Job, entry: dict[str, Any]) -> int:
        code = self._exit_code(job, entry)
        if code == DIED:
            return self._abandoned(job, "ended without an exit code (killed or crashed)", dead=True)
        if job.cancels:
            self._log(
                logging.ERROR,
                "crawl of %s (job %s) was cancelled; it exited with %s",
                job.source,
                job.job_id,
                code,
            )
            return code or 1
        if code is None:
            self._log(
                logging.WARNING,
                "crawl of %s (job %s) finished; exit code unknown (node without logs_dir?)",
                job.source,
                job.job_id,
            )
            return 0
        if code:
            self._log(
                logging.WARNING,
                "crawl of %s (job %s on %s) exited with %s (see its crawl_run)",
                job.source,
                job.job_id,
                job.node.url,
                code,
            )
        return code

    def _abandoned(self, job: _Job, what: str, *, dead: bool = False) -> int:
        """A job that ended, or was given up, without its crawl closing its run: say so.
        When its process is known to be `dead`, close the run and release its lock (never
        otherwise: a job we lost sight of may still be crawling)."""
        self._log(
            logging.ERROR,
            "job %s (%s) on %s %s; see its log on the node",
            job.job_id,
            job.source,
            job.node.url,
            what,
        )
        if dead:
            self._close_abandoned(job, f"Scrapyd job {job.job_id} {what}")
        return 1

    def _close_abandoned(self, job: _Job, reason: str) -> None:
        if self.engine is None or job.holder is None:
            return  # the next crawl of the source, or the lock's expiry, will
        from storage.crawl_locks import close_abandoned

        try:
            close_abandoned(self.engine, holder=job.holder, reason=reason)
        except Exception as exc:
            self._log(
                logging.WARNING, "job %s: could not close its run: %s", job.job_id, describe(exc)
            )

    # ------------------------------------------------------------ Scrapyd's API

    def _state(self, job: _Job) -> tuple[str | None, dict[str, Any], str]:
        """'pending', 'running', 'finished' or None (unknown to the node), the job's entry,
        and the node's name."""
        jobs = self._call(job.node, "GET", "listjobs.json", params={"project": self.project})
        node_name = str(jobs.get("node_name") or "")
        for state in ("finished", "running", "pending"):
            for entry in jobs.get(state) or []:
                if entry.get("id") == job.job_id:
                    return state, entry, node_name
        return None, {}, node_name

    def _exit_code(self, job: _Job, entry: dict[str, Any]) -> int | None:
        """From the job's log: its exit line; DIED if the log has none (killed or crashed
        before it could write it); None if the node keeps no logs or it cannot be read."""
        log_url = entry.get("log_url")
        if not log_url:
            return None
        try:
            # All of it (a few kB): Twisted's File answers 500 to a suffix Range longer than
            # the file.
            response = self._clients[job.node.url].get(job.node.url + str(log_url))
            response.raise_for_status()
        except httpx.HTTPError as exc:
            self._log(
                logging.WARNING,
                "job %s (%s): could not read its log: %s",
                job.job_id,
                job.source,
                describe(exc),
            )
            return None
        codes = EXIT_LINE.findall(response.text)
        return int(codes[-1]) if codes else DIED

    def _step_cancel(self, job: _Job, why: str) -> None:
        """The next cancel step for `job`, once per `cancel_grace`: TERM, TERM, KILL."""
        with self._lock:
            if job.cancel_due is not None and time.monotonic() < job.cancel_due:
                return  # another thread just took this step
            step = job.cancels
            job.cancels += 1
            job.cancel_due = time.monotonic() + self.cancel_grace
        if step >= 3:
            return
        signal = "KILL" if step == 2 else "TERM"
        try:
            answer = self._call(
                job.node,
                "POST",
                "cancel.json",
                data={"project": self.project, "job": job.job_id, "signal": signal},
            )
        except NodeError as exc:
            self._log(
                logging.WARNING,
                "job %s (%s): cancel (SIG%s) failed: %s",
                job.job_id,
                job.source,
                signal,
                exc,
            )
            return
        self._log(
            logging.WARNING,
            "job %s (%s) on %s: sent SIG%s (%s; it was %s)",
            job.job_id,
            job.source,
            job.node.url,
            signal,
            why,
            answer.get("prevstate"),
        )

    def _call(
        self,
        node: Node,
        method: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One API call; its JSON answer when the status is "ok", else NodeError."""
        try:
            response = self._clients[node.url].request(
                method, f"{node.url}/{endpoint}", params=params, data=data
            )
        except httpx.HTTPError as exc:
            raise NodeError(f"unreachable ({node.redact(describe(exc))})") from None
        if response.status_code == 401:
            raise NodeError("HTTP 401: wrong or missing credentials in KIZUNA_SCRAPYD_URLS")
        try:
            answer = response.json()
        except ValueError:
            raise NodeError(f"HTTP {response.status_code}, not a Scrapyd answer") from None
        if not isinstance(answer, dict):
            raise NodeError(f"HTTP {response.status_code}, not a Scrapyd answer")
        if answer.get("status") != "ok":
            message = node.redact(str(answer.get("message") or "no message"))
            raise NodeError(f"{endpoint}: {message[:300]}")
        return answer

    def _log(self, level: int, message: str, *args: object) -> None:
        """Log with every node's credentials removed from the finished line."""
        text = message % args if args else message
        for node in self.nodes:
            text = node.redact(text)
        log.log(level, "%s", text)
