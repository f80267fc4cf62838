"""Where a scheduled crawl runs: a local child process (scheduler/local.py) or a Scrapyd
node (scheduler/scrapyd.py). Either way the crawl itself is `kizuna crawl KEY`, which takes
the source's crawl lock and records its `crawl_run` in the shared database."""

from __future__ import annotations

from typing import Protocol


class CrawlRunner(Protocol):
    """Runs one crawl at a time per call; called from the scheduler's worker threads."""

    name: str

    def run(self, source: str, trigger: str = "scheduled") -> int:
        """Crawl `source` and block until it ends: 0 when the crawl ran (its outcome is in
        crawl_run), non-zero when it could not be run or was stopped."""
        ...

    def stop(self, grace: float) -> None:
        """At shutdown, from another thread: let running crawls finish for up to `grace`
        seconds, then stop them; `run` calls return soon after."""
        ...

    def close(self) -> None:
        """Release what the runner holds between crawls (HTTP clients), after stop()."""
        ...
