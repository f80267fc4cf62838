"""One crawl per source at a time: an on-demand `kizuna crawl` while another crawl (a
scheduled one, on this host or another) holds the source is refused cleanly and says by
whom; other sources go ahead; a crawl killed with SIGKILL leaves no lock that blocks the
next run; an expired lock is taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.crawl_locks import acquire, release
from storage.models import CrawlLock

from alerting import wait_for
from conftest import Env, mirrors_for
from service_proc import runs


def crawl_env(kpl_site: object) -> dict[str, str]:
    return {"KIZUNA_MIRRORS": mirrors_for(kpl_site), "KIZUNA_OFFLINE": "1"}


def test_a_source_held_by_another_crawl_is_refused_and_then_free(
    kenv: Env, engine: Engine, kpl_site: object
) -> None:
    assert acquire(engine, "kpl-en", "scheduled", "crawler-2:4242") is None

    refused = kenv.run("crawl", "kpl-en", extra=crawl_env(kpl_site))

    assert refused.returncode == 1
    assert "kpl-en: already being crawled; nothing was done" in refused.stderr
    assert "not crawled: a scheduled crawl (crawler-2:4242) has been running since" in (
        refused.stdout
    )
    (run,) = runs(engine)
    assert run.status == "busy" and run.trigger == "manual" and run.items == 0
    with Session(engine) as session:  # the holder's lock is untouched
        lock = session.get(CrawlLock, "kpl-en")
        assert lock is not None and lock.holder == "crawler-2:4242"

    release(engine, ["kpl-en"], "crawler-2:4242")
    done = kenv.run("crawl", "kpl-en", extra=crawl_env(kpl_site))
    assert done.returncode == 0, done.stderr
    assert runs(engine)[-1].status == "ok" and runs(engine)[-1].new == 12
    with Session(engine) as session:  # released after the crawl
        assert session.get(CrawlLock, "kpl-en") is None


def test_only_the_held_source_is_skipped(kenv: Env, engine: Engine, kpl_site: object) -> None:
    assert acquire(engine, "mofa-en", "scheduled", "crawler-2:4242") is None
    both = kenv.run("crawl", "kpl-en", "mofa-en", extra=crawl_env(kpl_site))
    assert "mofa-en: not crawled: a scheduled crawl" in both.stdout
    assert "already being crawled" not in both.stderr
    statuses = {r.source: r.status for r in runs(engine)}
    assert statuses["mofa-en"] == "busy" and statuses["kpl-en"] == "ok"


def test_a_crawl_killed_with_sigkill_does_not_block_the_next(
    kenv: Env, engine: Engine, kpl_site: object
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kizuna", "crawl", "kpl-en"],
        cwd=kenv.cwd,
        env={**os.environ, **kenv.vars, **crawl_env(kpl_site)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def locked() -> bool:
        with Session(engine) as session:
            return session.get(CrawlLock, "kpl-en") is not None

    def running() -> bool:
        return any(r.status == "running" for r in runs(engine))

    try:
        assert wait_for(lambda: locked() and running(), timeout=60, step=0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert locked()  # the dead crawl's lock is still there ...

    again = kenv.run("crawl", "kpl-en", extra=crawl_env(kpl_site))

    assert again.returncode == 0, again.stderr  # ... and taken over: its holder is dead
    killed, done = runs(engine)
    assert killed.status == "killed" and killed.finished_at is not None  # closed, not left
    assert f":{proc.pid})" in (killed.error or "")
    assert done.status == "ok"
    assert not locked()


def test_an_expired_lock_is_taken_over_and_a_live_one_is_not(engine: Engine) -> None:
    assert acquire(engine, "kpl-en", "scheduled", "far-host:1", ttl=timedelta(seconds=-1)) is None
    assert acquire(engine, "kpl-en", "manual", "near-host:2") is None  # expired: taken over
    busy = acquire(engine, "kpl-en", "scheduled", "far-host:1")
    assert busy is not None and busy.holder == "near-host:2" and busy.trigger == "manual"
    release(engine, ["kpl-en"], "far-host:1")  # not the holder: no effect
    assert acquire(engine, "kpl-en", "scheduled", "far-host:1") is not None
