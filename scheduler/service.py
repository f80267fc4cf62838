"""`kizuna run`: the APScheduler service. Each crawl runs as a child process
(`kizuna crawl KEY`) with a hard time limit, so a hung or crashed crawl never takes the
service down and every crawl gets a fresh Twisted reactor (ENGINEERING.md §1)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from rich.console import Console
from sqlalchemy.engine import Engine

from alerts.digests import queue_digests
from alerts.sender import flush
from config.registry import Source, load_routes, load_sources
from config.settings import Settings
from storage import heartbeat
from storage.db import make_engine

log = logging.getLogger(__name__)
CRAWL_TIME_LIMIT = 45 * 60


def crawl_in_child(source_key: str) -> int:
    cmd = [sys.executable, "-m", "kizuna", "crawl", source_key, "--trigger", "scheduled"]
    try:
        done = subprocess.run(cmd, timeout=CRAWL_TIME_LIMIT, check=False)
    except subprocess.TimeoutExpired:
        log.error("crawl of %s exceeded %ss and was killed", source_key, CRAWL_TIME_LIMIT)
        return -1
    if done.returncode:
        log.error("crawl of %s exited with %s", source_key, done.returncode)
    return done.returncode


def build_scheduler(
    settings: Settings, engine: Engine, sources: list[Source], instance: str
) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=settings.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 15 * 60},
    )
    for source in sources:
        if not source.enabled:
            continue
        scheduler.add_job(
            crawl_in_child,
            CronTrigger.from_crontab(source.schedule, timezone=settings.tz),
            args=[source.key],
            id=f"crawl:{source.key}",
            replace_existing=True,
            jitter=60,
        )
    routes = load_routes(settings.config_dir)
    # Every minute, queue each digest whose day has closed (catch-up from the database,
    # so a digest missed while the service was down goes out at start-up).
    scheduler.add_job(
        queue_digests,
        IntervalTrigger(minutes=1),
        args=[engine, settings, routes],
        id="alerts:digests",
        replace_existing=True,
        misfire_grace_time=30,
        next_run_time=datetime.now(settings.tz),
    )
    scheduler.add_job(
        heartbeat.beat,
        IntervalTrigger(seconds=heartbeat.HEARTBEAT_SECONDS),
        args=[engine, instance],
        id="service:heartbeat",
        replace_existing=True,
        misfire_grace_time=heartbeat.HEARTBEAT_SECONDS,
        next_run_time=datetime.now(settings.tz),
    )
    scheduler.add_job(
        flush,
        IntervalTrigger(minutes=1),
        args=[engine, settings, routes],
        id="alerts:flush",
        replace_existing=True,
        misfire_grace_time=30,
    )
    return scheduler


def serve(settings: Settings, console: Console) -> None:
    instance = heartbeat.instance_name()
    engine = make_engine(settings.database_url)
    scheduler = build_scheduler(settings, engine, load_sources(settings.config_dir), instance)

    received: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        # No printing here: the main thread may be half-way through a write to stdout.
        received.append(signum)
        if scheduler.running:
            scheduler.shutdown(wait=False)

    def started(_event: Any) -> None:
        for job in scheduler.get_jobs():
            console.print(f"scheduled {job.id}: {job.trigger} (next {job.next_run_time})")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    if not received:
        scheduler.start()
    console.print(f"received signal {received[0] if received else '?'}; stopping")
    heartbeat.stop(engine, instance)
