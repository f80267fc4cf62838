"""`kizuna run`: the APScheduler service.

Only the leader schedules (scheduler/leader.py); another `kizuna run` waits as a standby
and takes over when the leader goes. Jobs come from config at start-up: one crawl per
enabled source (a child process or a Scrapyd job, scheduler/runners.py), one digest per
route at its local time, the outbox sender every minute and a health evaluation. SIGTERM or
SIGINT: stop scheduling, give running crawls a grace period, stop them, exit 0."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from rich.console import Console
from sqlalchemy.engine import Engine

from alerts.digests import digest_routes, queue_digests, route_time
from alerts.routing import route_zone
from alerts.sender import flush
from config.registry import Route, Source, every_interval, load_routes, load_sources
from config.settings import Settings
from scheduler.leader import Leadership, leadership_for
from scheduler.runners import CrawlRunner
from storage import heartbeat
from storage.crawl_locks import close_abandoned
from storage.db import session_scope
from storage.models import SourceHealth

log = logging.getLogger(__name__)

LOST_LEADERSHIP = 3  # exit code: the supervisor restarts us, and we rejoin as a standby


def make_runner(settings: Settings, engine: Engine) -> CrawlRunner:
    if settings.scrapyd_nodes:
        from scheduler.scrapyd import ScrapydRunner

        # One line per poll of each job is noise; failures are logged by the runner.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        return ScrapydRunner(
            urls=settings.scrapyd_nodes,
            time_limit=settings.crawl_time_limit,
            poll=2.0,
            cancel_grace=5.0,
            engine=engine,
        )
    from scheduler.local import LocalRunner

    return LocalRunner(
        engine, time_limit=settings.crawl_time_limit, memory_mb=settings.crawl_memory_mb
    )


def crawl_trigger(source: Source, settings: Settings) -> tuple[BaseTrigger, int]:
    """The source's schedule (crontab, or `every N`) and how late a run may still start."""
    jitter = int(settings.crawl_jitter) or None
    if source.schedule.startswith("every"):
        every = every_interval(source.schedule)
        grace = max(1, min(int(every.total_seconds() / 2), 600))
        return IntervalTrigger(seconds=every.total_seconds(), jitter=jitter), grace
    cron = CronTrigger.from_crontab(source.schedule, timezone=settings.tz)
    cron.jitter = jitter
    return cron, 600


def digest_trigger(route: Route, settings: Settings) -> CronTrigger:
    at = route_time(route)
    return CronTrigger(
        hour=at.hour, minute=at.minute, second=at.second, timezone=route_zone(route, settings)
    )


class Service:
    def __init__(self, settings: Settings, engine: Engine, runner: CrawlRunner) -> None:
        self.settings = settings
        self.engine = engine
        self.runner = runner
        self.routes = load_routes(settings.config_dir)
        self.sources = [s for s in load_sources(settings.config_dir) if s.enabled]
        self.stopping = threading.Event()
        self.scheduler: BackgroundScheduler | None = None

    # ------------------------------------------------------------------ jobs
    def crawl(self, source: str) -> None:
        self.runner.run(source, "scheduled")
        if not self.stopping.is_set():
            self.flush()  # the crawl's instant alerts go out now, not at the next minute
            self.record_next_fetch([source])

    def digest(self, route: Route) -> None:
        """Queue the day that has just closed (and any missed before it), then send."""
        queue_digests(self.engine, self.settings, [route])
        self.flush()

    def catch_up(self) -> None:
        queue_digests(self.engine, self.settings, self.routes)
        self.flush()

    def flush(self) -> None:
        flush(self.engine, self.settings, self.routes, stopping=self.stopping.is_set)

    def evaluate_health(self) -> None:
        """Close runs whose crawl died, and record when each source is fetched next."""
        close_abandoned(self.engine)
        self.record_next_fetch([s.key for s in self.sources])

    def record_next_fetch(self, sources: list[str]) -> None:
        """source_health.next_fetch_at from the schedule (shown by `kizuna sources`)."""
        if self.scheduler is None:
            return
        with session_scope(self.engine) as session:
            for key in sources:
                job: Job | None = self.scheduler.get_job(f"crawl:{key}")
                health = session.get(SourceHealth, key)
                if job is None or health is None:
                    continue
                health.next_fetch_at = job.next_run_time
                session.add(health)

    def build(self) -> BackgroundScheduler:
        tz = self.settings.tz
        scheduler = BackgroundScheduler(
            timezone=tz,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        now = datetime.now(tz)
        for source in self.sources:
            trigger, grace = crawl_trigger(source, self.settings)
            scheduler.add_job(
                self.crawl,
                trigger,
                args=[source.key],
                id=f"crawl:{source.key}",
                misfire_grace_time=grace,
            )
        for route in digest_routes(self.routes, self.settings):
            # An hour late is still worth sending; later than that, the next day's run (or
            # the start-up catch-up) sends it from the database.
            scheduler.add_job(
                self.digest,
                digest_trigger(route, self.settings),
                args=[route],
                id=f"digest:{route.key}",
                misfire_grace_time=3600,
            )
        scheduler.add_job(self.catch_up, id="alerts:catch-up", next_run_time=now)
        scheduler.add_job(self.flush, IntervalTrigger(minutes=1), id="alerts:flush")
        scheduler.add_job(
            self.evaluate_health,
            IntervalTrigger(minutes=5),
            id="service:health",
            next_run_time=now + timedelta(seconds=5),
        )
        self.scheduler = scheduler
        return scheduler


def serve(settings: Settings, engine: Engine, console: Console) -> int:
    """Run until SIGTERM/SIGINT: 0 on a clean stop, LOST_LEADERSHIP if the lock went."""
    instance = heartbeat.instance_name()
    leadership = leadership_for(engine)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        # Only set a flag: the main thread may be half-way through a write to stdout.
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if not _wait_to_lead(engine, leadership, instance, settings, stop, console):
            console.print("stopping (was standby)")
            return 0
        return _lead(settings, engine, leadership, instance, stop, console)
    finally:
        leadership.release()
        heartbeat.stop(engine, instance)


def _wait_to_lead(
    engine: Engine,
    leadership: Leadership,
    instance: str,
    settings: Settings,
    stop: threading.Event,
    console: Console,
) -> bool:
    said = False
    last_beat = 0.0
    while not stop.is_set():
        if leadership.try_acquire():
            return True
        if not said:
            console.print(
                f"standby: another `kizuna run` holds the {leadership.where}; "
                f"trying every {settings.leader_poll:g} s"
            )
            said = True
        if time.monotonic() - last_beat >= heartbeat.HEARTBEAT_SECONDS:
            _beat(engine, instance, "standby")
            last_beat = time.monotonic()
        stop.wait(settings.leader_poll)
    return False


def _lead(
    settings: Settings,
    engine: Engine,
    leadership: Leadership,
    instance: str,
    stop: threading.Event,
    console: Console,
) -> int:
    console.print(f"leader: {instance} holds the {leadership.where}")
    heartbeat.prune(engine)
    runner = make_runner(settings, engine)
    service = Service(settings, engine, runner)
    scheduler = service.build()
    scheduler.start()
    console.print(f"crawls run on: {runner.name}")
    for job in scheduler.get_jobs():
        console.print(f"scheduled {job.id}: {job.trigger} (next {job.next_run_time})")
    code = 0
    while not stop.is_set():
        _beat(engine, instance, "leader")
        if not leadership.still_held():
            console.print(f"lost the {leadership.where}: stopping so a supervisor restarts us")
            code = LOST_LEADERSHIP
            break
        stop.wait(min(heartbeat.HEARTBEAT_SECONDS, settings.leader_poll))
    console.print(f"stopping: crawls get {settings.shutdown_grace:g} s to finish")
    service.stopping.set()
    scheduler.pause()  # nothing new starts
    runner.stop(settings.shutdown_grace)
    scheduler.shutdown(wait=True)  # jobs in flight end: crawls stopped, flush stops claiming
    runner.close()
    console.print("stopped")
    return code


def _beat(engine: Engine, instance: str, role: str) -> None:
    try:
        heartbeat.beat(engine, instance, role)
    except Exception as exc:  # the database is down: health goes stale, which is the truth
        log.error("heartbeat not recorded: %s", exc)
