"""Run Scrapy crawls of some sources through the ingest path, recording each run.

In-process (`CrawlerProcess`): right for a one-shot CLI command. The scheduler runs each
crawl in a child process instead (ENGINEERING.md §1), because a reactor cannot restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from alerts.ops import health_changed
from config.registry import Route, Source
from config.settings import Settings
from kizuna.ingest import Ingestor
from kizuna.oneline import describe, first_line
from spiders.settings import scrapy_settings, source_settings
from spiders.source import SourceSpider
from storage.crawl_locks import Busy, acquire, close_abandoned, holder_name, release
from storage.db import session_scope
from storage.health import record_run, report_from_stats
from storage.models import Article, CrawlRun, utcnow

log = logging.getLogger(__name__)


@dataclass
class CrawlOutcome:
    source: str
    run_id: int
    status: str = "running"
    health: str = ""  # the source's state after this run (storage/health.py)
    reason: str = ""
    pages: int = 0
    items: int = 0
    new: int = 0
    duplicates: int = 0
    updated: int = 0
    rejected: int = 0
    matches: int = 0
    alerts: int = 0
    errors: int = 0
    error: str | None = None
    interrupted: bool = False  # by a signal, before Scrapy could stop the crawl itself
    stats: dict[str, Any] = field(default_factory=dict)


ProgressFn = Callable[[str, CrawlOutcome], None]


class _Watcher:
    """Counts pages and items of one crawl as they happen (signal receivers are weakly
    referenced by Scrapy, so they live on this object, which the runner keeps)."""

    def __init__(self, outcome: CrawlOutcome, progress: ProgressFn | None) -> None:
        self.outcome = outcome
        self.progress = progress

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        self.outcome.pages += 1
        if self.progress:
            self.progress("page", self.outcome)

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        self.outcome.items += 1
        if self.progress:
            self.progress("item", self.outcome)


def crawl(
    sources: list[Source],
    settings: Settings,
    engine: Engine,
    *,
    trigger: str = "manual",
    since: date | None = None,
    progress: ProgressFn | None = None,
    log_level: str = "ERROR",
    record: Path | None = None,
    replay: Path | None = None,
) -> list[CrawlOutcome]:
    """Crawl `sources` in one Scrapy process. A source another crawl holds (a scheduled one
    while you run `kizuna crawl`, or the reverse) is not crawled: its outcome is 'busy'."""
    holder = holder_name()
    # The lock outlives the service's hard limit on a crawl: it expires only when its
    # holder died without releasing it (and on the holder's own host, sooner).
    ttl = timedelta(seconds=settings.crawl_time_limit) + timedelta(minutes=5)
    busy: dict[str, Busy] = {}
    for source in sources:
        held = acquire(engine, source.key, trigger, holder, ttl)
        if held is not None:
            busy[source.key] = held
    free = [s for s in sources if s.key not in busy]
    close_abandoned(engine)  # runs whose crawl died before it could close them
    try:
        done = (
            _crawl(
                free,
                settings,
                engine,
                holder=holder,
                trigger=trigger,
                since=since,
                progress=progress,
                log_level=log_level,
                record=record,
                replay=replay,
            )
            if free
            else []
        )
    finally:
        release(engine, [s.key for s in free], holder)
    by_key = {o.source: o for o in done + _record_busy(engine, busy, trigger)}
    return [by_key[s.key] for s in sources]


def _record_busy(engine: Engine, busy: dict[str, Busy], trigger: str) -> list[CrawlOutcome]:
    """A crawl_run row for each source left alone, so its history says why."""
    outcomes = []
    with session_scope(engine) as session:
        for key, held in busy.items():
            now = utcnow()
            run = CrawlRun(
                source=key,
                trigger=trigger,
                started_at=now,
                finished_at=now,
                status="busy",
                error=held.line(),
            )
            session.add(run)
            session.flush()
            assert run.id is not None
            outcomes.append(
                CrawlOutcome(source=key, run_id=run.id, status="busy", error=held.line())
            )
    return outcomes


def _crawl(
    sources: list[Source],
    settings: Settings,
    engine: Engine,
    *,
    holder: str,
    trigger: str,
    since: date | None,
    progress: ProgressFn | None,
    log_level: str,
    record: Path | None,
    replay: Path | None,
) -> list[CrawlOutcome]:
    ingestor = Ingestor(engine, settings)
    outcomes: list[CrawlOutcome] = []
    with session_scope(engine) as session:
        for source in sources:
            run = CrawlRun(source=source.key, trigger=trigger, holder=holder)
            session.add(run)
            session.flush()
            assert run.id is not None
            outcomes.append(CrawlOutcome(source=source.key, run_id=run.id))

    _install_log_handler(log_level)
    scrapy_conf = scrapy_settings(settings, log_level=log_level, record=record, replay=replay)
    scrapy_conf["LOG_ENABLED"] = False  # our handler below, not Scrapy's, writes the log
    scrapy_conf["LOG_INSTALL_ROOT_HANDLER"] = False
    process = CrawlerProcess(scrapy_conf)
    known = _stored_since(engine)
    crawlers: list[tuple[Source, CrawlOutcome, Crawler, _Watcher]] = []
    for source, outcome in zip(sources, outcomes, strict=True):
        # One crawler per source: its politeness overrides apply to its hosts only.
        spider_cls = type(
            f"SourceSpider_{source.key.replace('-', '_')}",
            (SourceSpider,),
            {"custom_settings": source_settings(source, local=bool(settings.mirror_map))},
        )
        crawler = process.create_crawler(spider_cls)
        crawler.kizuna_ingestor = ingestor  # type: ignore[attr-defined]
        watcher = _Watcher(outcome, progress)
        crawler.signals.connect(watcher.response_received, signal=signals.response_received)
        crawler.signals.connect(watcher.item_scraped, signal=signals.item_scraped)
        deferred = process.crawl(crawler, source=source, since=since, known=known)
        deferred.addErrback(_failed, outcome)
        crawlers.append((source, outcome, crawler, watcher))
    process.start()

    routes = ingestor.all_routes
    for source, outcome, crawler, _watcher in crawlers:
        _finish(engine, settings, routes, source, outcome, crawler)
    return outcomes


class _OneLine(logging.Formatter):
    """Log records as single lines: the cause, not the traceback (that is for --debug)."""

    def format(self, record: logging.LogRecord) -> str:
        message = first_line(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            message += f" ({describe(record.exc_info[1])})"
        return f"{record.levelname.lower()}: {message}"


def _install_log_handler(level: str) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_kizuna", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler._kizuna = True  # type: ignore[attr-defined]
    if level != "DEBUG":
        handler.setFormatter(_OneLine())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    handler.setLevel(level)  # Scrapy may reset the root logger's level to NOTSET
    root.addHandler(handler)
    root.setLevel(level)


def _stored_since(engine: Engine) -> Callable[[list[str]], dict[str, Any]]:
    """The spider's view of the database: when each of these canonical URLs was first
    stored (spiders never import storage; this is handed to them)."""

    def known(urls: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        with session_scope(engine) as session:
            for chunk in range(0, len(urls), 500):
                rows = session.exec(
                    select(Article.canonical_url, Article.first_seen_at).where(
                        col(Article.canonical_url).in_(urls[chunk : chunk + 500])
                    )
                ).all()
                found.update(dict(rows))
        return found

    return known


def _failed(failure: Any, outcome: CrawlOutcome) -> None:
    if failure.check(KeyboardInterrupt):  # SIGINT before Scrapy's own handlers were in place
        outcome.interrupted = True
        outcome.error = "stopped by a signal before it finished"
        return
    outcome.error = f"{failure.type.__name__}: {failure.getErrorMessage()}"
    log.error("crawl of %s failed: %s", outcome.source, outcome.error)


def _finish(
    engine: Engine,
    settings: Settings,
    routes: list[Route],
    source: Source,
    outcome: CrawlOutcome,
    crawler: Crawler,
) -> None:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    outcome.stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in stats.items()}
    outcome.new = stats.get("kizuna/new", 0)
    outcome.duplicates = stats.get("kizuna/duplicate", 0)
    outcome.updated = stats.get("kizuna/updated", 0)
    outcome.rejected = stats.get("kizuna/rejected", 0)
    outcome.matches = stats.get("kizuna/matches", 0)
    outcome.alerts = stats.get("kizuna/alerts", 0)
    outcome.errors = stats.get("log_count/ERROR", 0)
    reason = stats.get("finish_reason")
    if reason == "shutdown" or outcome.interrupted:  # SIGTERM/SIGINT: not the source's fault
        _stopped(engine, outcome)
        return
    if outcome.error is None and reason != "finished":
        outcome.error = f"crawl ended early: {reason or 'did not start'}"
    blocked = stats.get("kizuna/blocked", 0)
    if outcome.error is None and outcome.pages == 0 and not blocked:
        causes = (
            ", ".join(
                f"{k.rsplit('/', 1)[-1].rsplit('.', 1)[-1]} ×{v}"
                for k, v in stats.items()
                if k.startswith("downloader/exception_type_count/")
            )
            or "every request was refused or filtered"
        )
        outcome.error = f"no page could be fetched ({causes})"
    outcome.status = "ok" if outcome.error is None else "failed"
    with session_scope(engine) as session:
        _close_run(session, outcome)
        report = report_from_stats(
            source.key,
            source.cadence_hours,
            stats,
            run_id=outcome.run_id,
            failed=outcome.error,
        )
        health = record_run(session, report)
        outcome.health, outcome.reason = health.status, health.reason or ""
        if health.status_changed_at is not None and health.status_changed_at == health.last_run_at:
            # In the same transaction as the new state: told once per change, never per run.
            health_changed(
                session,
                routes,
                settings,
                source=source.key,
                old=health.previous_status,
                new=health.status,
                reason=outcome.reason,
                when=health.status_changed_at,
            )


def _stopped(engine: Engine, outcome: CrawlOutcome) -> None:
    """A crawl stopped by a signal: its run says so; the source's health is not judged."""
    outcome.status = "stopped"
    outcome.error = outcome.error or "stopped by a signal before it finished"
    with session_scope(engine) as session:
        _close_run(session, outcome)


def _close_run(session: Session, outcome: CrawlOutcome) -> None:
    run = session.get(CrawlRun, outcome.run_id)
    assert run is not None
    run.finished_at = utcnow()
    run.status = outcome.status
    run.pages, run.items, run.new = outcome.pages, outcome.items, outcome.new
    run.duplicates, run.updated = outcome.duplicates, outcome.updated
    run.rejected, run.error, run.stats = outcome.rejected, outcome.error, outcome.stats
    session.add(run)
