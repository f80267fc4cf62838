"""The real service (`kizuna run` as a child process) with schedules compressed into
seconds through config, against the KPL fixture site, an SMTP server and a webhook
receiver: crawls on schedule, the digest at its time, an on-demand crawl refused while a
scheduled one holds the source, SIGTERM within the grace period, crawl children killed
(SIGKILL, time limit, memory cap) leaving nothing half-done, one leader of two."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from kizuna.fixture_server import FixtureServer
from storage.db import session_scope
from storage.models import Article, CrawlLock, CrawlRun, ServiceHeartbeat, SourceHealth

from alerting import Receiver, SmtpServer, wait_for
from conftest import Env, mirrors_for
from service_proc import Service, clock_in, fast_config, runs, slow_kpl

ZONE = "Asia/Vientiane"
KPL_ARTICLES = 12  # distinct articles on the KPL fixture site (one linked twice)


@pytest.fixture
def slow_site() -> Iterator[FixtureServer]:
    with FixtureServer(slow_kpl(listing_delay=1.5, detail_delay=0.3)) as server:
        yield server


def service_env(kenv: Env, config: Path, site: FixtureServer, **extra: str) -> dict[str, str]:
    return {
        **kenv.vars,
        "KIZUNA_CONFIG_DIR": str(config),
        "KIZUNA_MIRRORS": mirrors_for(site),
        "KIZUNA_CRAWL_JITTER": "0",
        "KIZUNA_LEADER_POLL": "1",
        "KIZUNA_SHUTDOWN_GRACE": "2",
        "KIZUNA_BACKFILL_DAYS": "100000",  # the fixture stories are from 2025
        **extra,
    }


def locks(engine: Engine) -> list[CrawlLock]:
    with session_scope(engine) as session:
        return list(session.exec(select(CrawlLock)).all())


def articles(engine: Engine) -> list[Article]:
    with session_scope(engine) as session:
        return list(session.exec(select(Article)).all())


def crawling_now(engine: Engine) -> CrawlRun | None:
    running = runs(engine, status="running")
    return running[-1] if running and locks(engine) else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_service_crawls_on_schedule_sends_the_digest_at_its_time_and_stops_on_sigterm(
    kenv: Env,
    engine: Engine,
    tmp_path: Path,
    slow_site: FixtureServer,
    smtp: SmtpServer,
    receiver: Receiver,
) -> None:
    at_text, at = clock_in(40, ZONE)
    config = fast_config(
        tmp_path,
        schedules={"kpl-en": "every 2s"},
        routes=[
            {"key": "desk", "channel": "slack", "kind": "instant"},
            {
                "key": "morning",
                "channel": "email",
                "kind": "digest",
                "time": at_text,
                "timezone": ZONE,
                "to": ["analyst@example.org"],
                "empty_digest": "skip",  # yesterday, caught up at start-up, was empty
            },
        ],
    )
    env = service_env(
        kenv,
        config,
        slow_site,
        **smtp.env(),
        KIZUNA_SLACK_WEBHOOK_URL=receiver.url,
    )
    service = Service.start(kenv.cwd, env)
    try:
        assert service.wait_for_line("scheduled digest:morning"), service.output()

        # A scheduled crawl is running: an on-demand crawl of the source is refused cleanly.
        assert wait_for(lambda: crawling_now(engine) is not None, timeout=30), service.output()
        refused = kenv.run("crawl", "kpl-en", extra=env)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "not crawled: a scheduled crawl" in refused.stdout
        assert "already being crawled; nothing was done" in refused.stderr
        assert runs(engine, trigger="manual")[0].status == "busy"

        # Crawls happen on schedule, one after another, and their stories reach Slack.
        assert wait_for(lambda: len(runs(engine, trigger="scheduled", status="ok")) >= 2, 60)
        assert len({a.canonical_url for a in articles(engine)}) == KPL_ARTICLES
        with session_scope(engine) as session:  # when the next crawl is due, for `sources`
            health = session.get(SourceHealth, "kpl-en")
            assert health is not None and health.next_fetch_at is not None
        assert wait_for(lambda: len(receiver.delivered) >= 8, timeout=30)

        # The digest goes out at its time (not before, and within seconds), once.
        assert wait_for(lambda: len(smtp.mails) == 1, timeout=90), service.output()
        digest = smtp.mails[0]
        assert at.timestamp() <= digest.received_at < at.timestamp() + 10
        assert digest.recipients == ["analyst@example.org"]
        assert "¶" in digest.part("plain")

        # SIGTERM while a crawl runs: everything stops within the grace period, exit 0.
        assert wait_for(lambda: crawling_now(engine) is not None, timeout=30)
        child = crawling_now(engine)
        assert child is not None and child.holder is not None
        code, took = service.terminate()
        assert code == 0, service.output()
        assert took < 2 + 5 + 5, f"took {took:.1f} s"  # grace + SIGTERM→SIGKILL + margin
        assert not alive(int(child.holder.rsplit(":", 1)[1]))
        assert locks(engine) == []
        assert runs(engine, status="running") == []
        assert runs(engine)[-1].status in ("stopped", "ok", "killed")
        with session_scope(engine) as session:
            assert session.exec(select(ServiceHeartbeat)).all() == []
        assert len(smtp.mails) == 1
        posts = len(receiver.delivered)
        assert len({p["text"] for p in receiver.delivered}) == posts, "a story posted twice"
    finally:
        service.kill()


def test_a_crawl_child_killed_with_sigkill_leaves_nothing_half_done(
    kenv: Env, engine: Engine, tmp_path: Path, slow_site: FixtureServer
) -> None:
    config = fast_config(tmp_path, schedules={"kpl-en": "every 2s"})
    service = Service.start(kenv.cwd, service_env(kenv, config, slow_site))
    try:
        assert wait_for(lambda: crawling_now(engine) is not None, timeout=30), service.output()
        victim = crawling_now(engine)
        assert victim is not None and victim.holder is not None
        os.kill(int(victim.holder.rsplit(":", 1)[1]), signal.SIGKILL)

        # The service closes the run and frees the source; the next run completes.
        assert wait_for(lambda: runs(engine, id=victim.id)[0].status == "killed", 20)
        assert "signal 9" in (runs(engine, id=victim.id)[0].error or "")
        assert wait_for(lambda: runs(engine, trigger="scheduled", status="ok") != [], 60)
        assert service.proc.poll() is None, "the service survived its child's death"
    finally:
        code, _ = service.terminate()
    assert code == 0
    stored = articles(engine)
    assert len(stored) == len({a.canonical_url for a in stored}) == KPL_ARTICLES
    assert all(a.story_id is not None and a.content_hash for a in stored), "a partial row"
    assert locks(engine) == []


@pytest.mark.parametrize(
    ("setting", "value", "why"),
    [
        ("KIZUNA_CRAWL_TIME_LIMIT", "3", "exceeded the time limit of 3 s"),
        ("KIZUNA_CRAWL_MEMORY_MB", "20", "exceeded the cap of 20 MB"),
    ],
)
def test_a_crawl_past_its_time_limit_or_memory_cap_is_killed_and_the_service_goes_on(
    kenv: Env,
    engine: Engine,
    tmp_path: Path,
    slow_site: FixtureServer,
    setting: str,
    value: str,
    why: str,
) -> None:
    config = fast_config(tmp_path, schedules={"kpl-en": "every 1s"})
    service = Service.start(kenv.cwd, service_env(kenv, config, slow_site, **{setting: value}))
    try:
        assert wait_for(lambda: len(runs(engine, status="killed")) >= 2, 60), service.output()
        killed = runs(engine, status="killed")[0]
        assert why in (killed.error or ""), killed.error
        assert service.proc.poll() is None
        assert wait_for(lambda: kenv.run("health").returncode == 0, timeout=30)
    finally:
        code, _ = service.terminate()
    assert code == 0
    assert locks(engine) == []
    assert runs(engine, status="running") == []


def test_two_services_on_one_database_one_leads_and_the_other_takes_over(
    kenv: Env, engine: Engine, tmp_path: Path, slow_site: FixtureServer
) -> None:
    config = fast_config(tmp_path, schedules={"kpl-en": "every 5s"})
    env = service_env(kenv, config, slow_site)
    first = Service.start(kenv.cwd, env, name="first")
    second: Service | None = None
    try:
        assert first.wait_for_line("leader:"), first.output()
        second = Service.start(kenv.cwd, env, name="second")
        assert second.wait_for_line("standby:"), second.output()
        assert wait_for(lambda: runs(engine, trigger="scheduled") != [], 30)
        assert "scheduled crawl:kpl-en" not in second.output(), "the standby scheduled"

        first.proc.kill()  # no clean exit: the lock must still pass on
        first.proc.wait(timeout=10)
        assert second.wait_for_line("leader:", timeout=60), second.output()
        assert second.wait_for_line("scheduled crawl:kpl-en", timeout=10)
        taken = len(runs(engine))
        assert wait_for(lambda: len(runs(engine)) > taken, timeout=30), "the new leader crawls"
        assert wait_for(lambda: kenv.run("health").returncode == 0, timeout=30)
    finally:
        first.kill()
        if second is not None:
            code, _ = second.terminate()
            assert code == 0, second.output()
