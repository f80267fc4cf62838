"""Crawl and re-crawl: pages per second and peak memory of a real crawl, and what a second
crawl of the unchanged site costs the site.

A synthetic 2,000-post copy of the Laotian Times (benchmarks/_site.py: the source's own
feed, paginated tag archive and post markup; synthetic text) is served on 127.0.0.1 by
kizuna's fixture server, counting requests and bytes. `kizuna crawl laotian-times` runs as
a child process on a fresh SQLite database and var dir, the source pointed at the server
through KIZUNA_MIRRORS (which is what turns politeness delays off, for that host only).

- crawl.pages_per_s: posts stored / the run's own duration (crawl_run started → finished,
  so interpreter start-up is left out; the figure with it is reported too), against
  extraction alone: the same post pages read from disk and put through the function the
  spider calls (`spiders.flow.article_item`) in one process. Floor 0.6.
- crawl.peak_rss: the crawl process's VmHWM (its children's too), polled until it exits,
  as a share of a 400 MB budget.
- recrawl.requests / recrawl.bytes: what the server saw during a second crawl with the same
  database and HTTP cache, against the first crawl. Bytes must stay at or below 5%.

KIZUNA_BENCH_CRAWL_PROFILE=FILE runs the first crawl under `py-spy record --format raw`
(folded stacks of every thread, in FILE): its timings and peak memory then include py-spy's.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Metric, child_env, family_kb, in_child, progress, sources_config

DESCRIPTION = "crawl of a 2,000-post fixture site on 127.0.0.1, extraction-only, re-crawl"
SOURCE = "laotian-times"
PAGES = 2_000
RATE_FLOOR = 0.6  # crawl pages/s over extraction-only pages/s
MEMORY_BUDGET_MB = 400.0
RECRAWL_BYTES_LIMIT = 0.05
CRAWL_TIMEOUT = 600.0  # seconds; a crawl slower than this is broken, not slow
POLL_SECONDS = 0.05
PROFILE_VARIABLE = "KIZUNA_BENCH_CRAWL_PROFILE"


@dataclass(frozen=True)
class CrawlResult:
    """One `kizuna crawl` as the benchmark saw it."""

    seconds: float  # the run's own duration (crawl_run.started_at → finished_at)
    process_seconds: float  # the child process, start-up included
    peak_rss_mb: float
    stored: int  # articles of the source in the database afterwards
    requests: int  # as the server counted them
    bytes: int
    statuses: dict[int, int]
    new: int


def run(scale: float = 1.0) -> list[Metric]:
    """The benchmark at `scale` (0.02: a 40-post site)."""
    from benchmarks._site import build_site

    pages = max(10, round(PAGES * scale))
    with tempfile.TemporaryDirectory(prefix="kizuna-bench-crawl-") as tmp:
        root = Path(tmp)
        site = build_site(root / "site", pages)
        _progress(f"{pages:,} posts, {site.listing_pages} archive pages in {site.directory}")
        config_dir = write_config(root / "config", site.listing_pages)
        posts = [(p.url, str(site.directory / p.file), p.title) for p in site.posts]
        extraction = in_child(extraction_rate, posts, str(config_dir))
        _progress(f"extraction only: {extraction:,.1f} pages/s")
        first, second = _crawl_twice(root, site.directory, config_dir)
    if first.stored != pages:
        raise RuntimeError(f"the crawl stored {first.stored} of {pages} posts")
    if second.new or second.stored != pages:
        raise RuntimeError(f"the re-crawl stored {second.new} new posts, {second.stored} in all")
    rate = first.stored / first.seconds
    return [
        Metric.compared("crawl.pages_per_s", rate, "pages/s", extraction, floor=RATE_FLOOR),
        Metric("crawl.pages_per_s_with_startup", first.stored / first.process_seconds, "pages/s"),
        Metric.compared("crawl.peak_rss", first.peak_rss_mb, "MB", MEMORY_BUDGET_MB, limit=1.0),
        Metric("crawl.items_stored", first.stored, "items"),
        Metric.compared("recrawl.requests", second.requests, "requests", first.requests),
        Metric.compared(
            "recrawl.bytes", second.bytes, "bytes", first.bytes, limit=RECRAWL_BYTES_LIMIT
        ),
    ]


def write_config(config_dir: Path, listing_pages: int) -> Path:
    """A config dir whose sources.yaml is the repository's with only SOURCE enabled and its
    `max_pages` raised to reach every archive page (the other files are the packaged ones)."""

    def only_ours(source: dict[str, Any]) -> None:
        if source["key"] == SOURCE:
            source["max_pages"] = listing_pages
        else:
            source["enabled"] = False

    return sources_config(config_dir, only_ours)


# ------------------------------------------------------------------ extraction only


def extraction_rate(posts: list[tuple[str, str, str]], config_dir: str) -> float:
    """Pages per second of the spider's own article extraction over `posts` (url, file,
    listing title), bodies read from disk beforehand. Runs in a child (`in_child`)."""
    from config.registry import load_sources
    from spiders.flow import article_item
    from spiders.pages import page_set
    from spiders.pages.base import Link

    source = next(s for s in load_sources(Path(config_dir)) if s.key == SOURCE)
    page_set(source.pages)  # imports the page objects, as `kizuna crawl` does before its run
    pages = [(url, Path(file).read_bytes(), Link(url, title=title)) for url, file, title in posts]
    ctype = "text/html; charset=utf-8"
    started = time.perf_counter()
    for url, body, hint in pages:
        article_item(url, body, ctype, source, hint)
    return len(pages) / (time.perf_counter() - started)


# ------------------------------------------------------------------ the crawls


def _crawl_twice(root: Path, site_dir: Path, config_dir: Path) -> tuple[CrawlResult, CrawlResult]:
    from benchmarks._site import ORIGIN, CountingServer
    from kizuna.fixture_server import FixtureSite

    database = root / "kizuna.db"
    with CountingServer(FixtureSite.load(site_dir)) as server:
        env = child_env(
            KIZUNA_DATABASE_URL=f"sqlite:///{database}",
            KIZUNA_CONFIG_DIR=str(config_dir),
            KIZUNA_VAR_DIR=str(root / "var"),
            KIZUNA_MIRRORS=f"{ORIGIN}={server.base_url}",
            KIZUNA_OFFLINE="1",
            KIZUNA_SLACK_BACKEND="file",
            KIZUNA_EMAIL_BACKEND="file",
        )
        results = []
        profile = os.environ.get(PROFILE_VARIABLE)
        for label in ("crawl", "re-crawl"):
            server.traffic.reset()
            result = crawl_once(env, root, database, server.traffic, profile)
            profile = None
            _progress(
                f"{label}: {result.stored:,} stored ({result.new:,} new) in "
                f"{result.seconds:.1f} s ({result.process_seconds:.1f} s with start-up), "
                f"peak {result.peak_rss_mb:.0f} MB; server: {result.requests:,} requests, "
                f"{result.bytes:,} bytes, statuses {dict(sorted(result.statuses.items()))}"
            )
            results.append(result)
    return results[0], results[1]


def crawl_once(
    env: dict[str, str], cwd: Path, database: Path, traffic: Any, profile: str | None = None
) -> CrawlResult:
    """Run `kizuna crawl SOURCE` in a child process (cwd: a scratch dir, so no .env is
    read), watching its peak memory; raise if it fails. `profile`: a py-spy output file."""
    command = [sys.executable, "-m", "kizuna", "crawl", SOURCE]
    if profile:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        command = [py_spy, "record", "-r", "100", "--format", "raw", "-o", profile, "--", *command]
        _progress(f"profiling the crawl with py-spy into {profile}")
    cpu_before = _children_cpu()
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watcher = PeakWatcher(child.pid)
    watcher.start()
    try:
        _, stderr = child.communicate(timeout=CRAWL_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise RuntimeError(f"kizuna crawl {SOURCE} ran over {CRAWL_TIMEOUT:.0f} s") from None
    finally:
        watcher.stop()
    process_seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    _progress(f"crawl process: {cpu:.1f} s CPU in {process_seconds:.1f} s")
    if child.returncode != 0:
        raise RuntimeError(f"kizuna crawl exited {child.returncode}: {stderr.strip()[-2000:]}")
    if stderr.strip():
        _progress(f"crawl stderr: {stderr.strip()[-500:]}")
    seconds, new = _last_run(database)
    seen = traffic.snapshot()
    return CrawlResult(
        seconds=seconds,
        process_seconds=process_seconds,
        peak_rss_mb=watcher.peak_mb,
        stored=_stored(database),
        requests=seen.requests,
        bytes=seen.bytes,
        statuses=dict(seen.statuses),
        new=new,
    )


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _last_run(database: Path) -> tuple[float, int]:
    """(duration in seconds, new articles) of the latest crawl_run of SOURCE."""
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT started_at, finished_at, status, new FROM crawl_run WHERE source = ? "
            "ORDER BY id DESC LIMIT 1",
            (SOURCE,),
        ).fetchone()
    if row is None or row[1] is None or row[2] != "ok":
        raise RuntimeError(f"no finished crawl_run of {SOURCE}: {row}")
    seconds = (datetime.fromisoformat(row[1]) - datetime.fromisoformat(row[0])).total_seconds()
    return seconds, int(row[3] or 0)


def _stored(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        query = "SELECT count(*) FROM article WHERE source = ?"
        (count,) = conn.execute(query, (SOURCE,)).fetchone()
    return int(count)


class PeakWatcher:
    """Polls the peak resident memory (VmHWM) of a process and its descendants until
    stopped; `peak_mb` is the largest sum seen. ru_maxrss is not used: exec keeps the
    parent's peak (see benchmarks.common.peak_rss_mb)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, family_kb(self.pid, "VmHWM") / 1024)
            self._stop.wait(POLL_SECONDS)


def _progress(message: str) -> None:
    progress("crawl", message)
