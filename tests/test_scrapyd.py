"""Crawls dispatched to a real Scrapyd node on 127.0.0.1 (scheduler/scrapyd.py), which runs
them through kizuna/scrapyd_runner.py with deploy/scrapyd/scrapyd.conf.

What the service must be able to rely on:
- a crawl run by a Scrapyd node stores the same items as a local `kizuna crawl`, with the
  same crawl_run row and no crawl lock left behind;
- a node that is down is skipped with a log line, none left means a non-zero result, never
  an exception; credentials in a node's URL appear in no log line;
- at shutdown a running job is given `grace` seconds, then cancelled: run() returns, the
  crawl's lock is released (or can be taken over) and its crawl_run row is closed.
"""

from __future__ import annotations

import configparser
import contextlib
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.settings import Settings
from kizuna.fixture_server import FixtureServer
from kizuna.scrapyd_runner import EXIT_MARK
from scheduler.runners import CrawlRunner
from scheduler.scrapyd import Node, ScrapydRunner
from storage.crawl_locks import acquire, release
from storage.db import make_engine
from storage.models import Article, CommitmentRow, CrawlLock, Match

from alerting import free_port, wait_for
from conftest import REPO, Env, empty_database, mirrors_for
from service_proc import Service, fast_config, runs, slow_kpl

USER, PASSWORD = "kizuna-ops", "n0de-Secret-7781"
WRONG = "wrong-pass-123"
CONF = REPO / "deploy" / "scrapyd" / "scrapyd.conf"


# ---------------------------------------------------------------- a Scrapyd node


@dataclasses.dataclass
class ScrapydNode:
    url: str  # with credentials, as in KIZUNA_SCRAPYD_URLS
    plain: str  # without
    home: Path
    proc: subprocess.Popen[bytes]

    def api(self, endpoint: str, **params: str) -> dict[str, Any]:
        answer = httpx.get(f"{self.plain}/{endpoint}", params=params, auth=(USER, PASSWORD))
        return dict(answer.json())


@contextmanager
def scrapyd_node(home: Path, env: dict[str, str]) -> Iterator[ScrapydNode]:
    """A Scrapyd node with our shipped config (local port, quick polling, basic auth), run
    from `home` as deployed: `scrapyd` in the directory holding scrapyd.conf."""
    home.mkdir(parents=True)
    port = free_port()
    conf = configparser.ConfigParser()
    conf.read(CONF, encoding="utf-8")
    node = conf["scrapyd"]
    assert node["runner"] == "kizuna.scrapyd_runner" and node["logs_dir"]
    assert conf["settings"]["kizuna"] == "spiders.settings"
    node.update(
        bind_address="127.0.0.1",
        http_port=str(port),
        poll_interval="0.1",
        username=USER,
        password=PASSWORD,
    )
    with (home / "scrapyd.conf").open("w", encoding="utf-8") as f:
        conf.write(f)
    log = (home / "scrapyd.out").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"],
        cwd=home,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its jobs share its process group: stopped with it
    )
    plain = f"http://127.0.0.1:{port}"
    running = ScrapydNode(f"http://{USER}:{PASSWORD}@127.0.0.1:{port}", plain, home, proc)

    def answers() -> bool:
        try:
            return running.api("daemonstatus.json")["status"] == "ok"
        except (httpx.HTTPError, ValueError):
            return proc.poll() is not None  # died: stop waiting, fail below

    try:
        assert wait_for(answers, timeout=30, step=0.1)
        assert proc.poll() is None, (home / "scrapyd.out").read_text()
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(15)
        log.close()


def node_env(kenv: Env, site: FixtureServer) -> dict[str, str]:
    return {**kenv.vars, "KIZUNA_MIRRORS": mirrors_for(site), "KIZUNA_OFFLINE": "1"}


# ---------------------------------------------------------------- what the database holds


def stored(engine: Engine) -> dict[str, Any]:
    """Everything that identifies the stored items, independent of ids and clocks."""
    with Session(engine) as session:
        articles = session.exec(select(Article)).all()
        by_id = {a.id: a.canonical_url for a in articles}
        groups: dict[int | None, set[str]] = {}
        for a in articles:
            groups.setdefault(a.story_id, set()).add(a.canonical_url)
        matches = session.exec(
            select(Match, CommitmentRow).join(
                CommitmentRow, col(CommitmentRow.id) == Match.commitment_id
            )
        ).all()
        return {
            "articles": sorted(
                (
                    a.canonical_url,
                    a.url,
                    a.source,
                    a.title,
                    a.content_hash,
                    a.published_at.isoformat() if a.published_at else None,
                    a.lang,
                    a.relevant,
                    a.revision,
                )
                for a in articles
            ),
            "stories": sorted(sorted(g) for g in groups.values()),
            "matches": sorted(
                (by_id[m.article_id], c.key, m.tier, round(m.score, 6), m.evidence)
                for m, c in matches
            ),
        }


def lock_of(engine: Engine, source: str) -> CrawlLock | None:
    with Session(engine) as session:
        return session.get(CrawlLock, source)


def no_secret_in(caplog: pytest.LogCaptureFixture) -> None:
    """No password (right or wrong) nor USER:... in any log line, from any logger."""
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        for secret in (PASSWORD, WRONG, f"{USER}:"):
            assert secret not in line, line
    assert PASSWORD not in caplog.text and WRONG not in caplog.text


# ---------------------------------------------------------------- tests


def test_node_urls_and_credentials_are_parsed_apart() -> None:
    settings = Settings(scrapyd_urls=" http://a:6800 ,, http://u:pass@b:6800/ ")
    assert settings.scrapyd_nodes == ["http://a:6800", "http://u:pass@b:6800"]
    assert settings.public_view()["KIZUNA_SCRAPYD_URLS"] == "http://a:6800,http://u:***@b:6800"
    node = Node.parse(f"http://{USER}:{PASSWORD}@Node-1.lan:6800/")
    assert node.url == "http://node-1.lan:6800" and node.auth == (USER, PASSWORD)
    assert PASSWORD not in node.redact(f"GET http://{USER}:{PASSWORD}@x failed: {PASSWORD}")
    with pytest.raises(ValueError) as bad:
        Node.parse(f"{USER}:{PASSWORD}@node-1:6800")
    assert PASSWORD not in str(bad.value)
    runner: CrawlRunner = ScrapydRunner(["http://node-1.lan:6800"])
    assert runner.name == "scrapyd"


def test_a_crawl_through_scrapyd_stores_what_a_local_crawl_stores(
    kenv: Env,
    engine: Engine,
    kpl_site: FixtureServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    down = f"http://{USER}:{PASSWORD}@127.0.0.1:{free_port()}"
    with scrapyd_node(tmp_path / "node", node_env(kenv, kpl_site)) as node:
        spiders = node.api("listspiders.json", project="kizuna")["spiders"]
        assert "kpl-en" in spiders and "mofa-ja" in spiders
        wrong = ScrapydRunner([node.url.replace(PASSWORD, WRONG)], poll=0.2)
        unknown = ScrapydRunner([node.url], poll=0.2)
        try:
            assert wrong.run("kpl-en") != 0
            assert unknown.run("no-such-source") != 0
        finally:
            wrong.close()
            unknown.close()
        refused = [r.getMessage() for r in caplog.records if r.name == "scheduler.scrapyd"]
        assert any("HTTP 401: wrong or missing credentials" in m for m in refused), refused
        assert any("spider 'no-such-source' not found" in m for m in refused), refused
        assert node.api("listjobs.json", project="kizuna")["finished"] == []

        runner = ScrapydRunner([down, node.url], poll=0.2)
        try:
            code = runner.run("kpl-en")
        finally:
            runner.close()
        (job,) = node.api("listjobs.json", project="kizuna")["finished"]
        job_log = (node.home / str(job["log_url"]).lstrip("/")).read_text(encoding="utf-8")

    assert code == 0, job_log
    assert job["spider"] == "kpl-en"
    assert job_log.rstrip().endswith(f"{EXIT_MARK} 0")
    (run,) = runs(engine)
    assert (run.source, run.trigger, run.status, run.new) == ("kpl-en", "scheduled", "ok", 12)
    assert run.error is None and run.finished_at is not None
    assert lock_of(engine, "kpl-en") is None
    down_at = f"http://127.0.0.1:{down.rsplit(':', 1)[1]}"
    skipped = f"Scrapyd node {down_at} skipped for kpl-en: unreachable (ConnectError"
    assert any(r.getMessage().startswith(skipped) for r in caplog.records), caplog.text
    assert "exit code unknown" not in caplog.text and "could not read" not in caplog.text
    no_secret_in(caplog)
    remote = stored(engine)
    assert len(remote["articles"]) == 12 and remote["matches"]

    # The same crawl run locally (`kizuna crawl`, as the local runner does) into a fresh
    # database, with its own HTTP cache.
    engine.dispose()
    local_url = empty_database(tmp_path, "local.db")
    local = kenv.run(
        "crawl",
        "kpl-en",
        "--trigger",
        "scheduled",
        extra={
            **node_env(kenv, kpl_site),
            "KIZUNA_DATABASE_URL": local_url,
            "KIZUNA_VAR_DIR": str(tmp_path / "local-var"),
        },
    )
    assert local.returncode == 0, local.stderr
    local_engine = make_engine(local_url)
    try:
        assert stored(local_engine) == remote
        (local_run,) = runs(local_engine)
        assert (local_run.pages, local_run.items, local_run.new) == (run.pages, run.items, 12)
    finally:
        local_engine.dispose()


def test_no_reachable_node_is_a_failed_run_not_an_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    urls = [f"http://{USER}:{PASSWORD}@127.0.0.1:{free_port()}" for _ in range(2)]
    runner = ScrapydRunner(urls, timeout=2)
    try:
        assert runner.run("kpl-en") != 0
    finally:
        runner.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "scheduler.scrapyd"]
    assert sum("skipped for kpl-en: unreachable" in line for line in lines) == 2, lines
    assert any(
        "crawl of kpl-en not started: no Scrapyd node available" in line
        and urls[0].rsplit("@", 1)[1] in line
        for line in lines
    ), lines
    no_secret_in(caplog)


@pytest.fixture
def slow_site() -> Iterator[FixtureServer]:
    """The KPL fixture site with article pages that take 1.5 s each (12 of them, one at a
    time per site: a crawl of about 20 s)."""
    with FixtureServer(slow_kpl(listing_delay=0.0, detail_delay=1.5)) as server:
        yield server


def test_stop_cancels_a_running_job_after_grace_and_the_lock_is_released(
    kenv: Env,
    engine: Engine,
    slow_site: FixtureServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with scrapyd_node(tmp_path / "node", node_env(kenv, slow_site)) as node:
        runner = ScrapydRunner([node.url], poll=0.2, cancel_grace=15)
        result: list[int] = []
        worker = threading.Thread(target=lambda: result.append(runner.run("kpl-en")))
        worker.start()
        try:
            # The crawl is under way on the node: it holds the lock and fetches articles.
            assert wait_for(lambda: lock_of(engine, "kpl-en") is not None, timeout=30)
            assert wait_for(
                lambda: any("detail" in p.lower() for p in slow_site.site.requests), timeout=30
            )
            started = time.monotonic()
            runner.stop(grace=1.0)
            stopped_after = time.monotonic() - started
            worker.join(30)
        finally:
            runner.close()
        assert not worker.is_alive()
        (job,) = node.api("listjobs.json", project="kizuna")["finished"]
        job_log = (node.home / str(job["log_url"]).lstrip("/")).read_text(encoding="utf-8")

    assert result and result[0] != 0
    assert 1.0 <= stopped_after < 15, stopped_after  # grace, then Scrapy's graceful stop
    assert runner.run("kpl-en") != 0  # a stopped runner starts nothing
    (run,) = runs(engine)
    assert run.trigger == "scheduled" and run.status == "stopped", job_log
    assert run.finished_at is not None and run.error and "stopped by a signal" in run.error
    assert run.new < 12
    assert lock_of(engine, "kpl-en") is None, job_log
    assert acquire(engine, "kpl-en", "manual", "test:1") is None
    release(engine, ["kpl-en"], "test:1")
    messages = [r.getMessage() for r in caplog.records if r.name == "scheduler.scrapyd"]
    assert any("sent SIGTERM (the service is stopping" in m for m in messages), messages
    # The exit code is the crawl's own, read from the job's log.
    assert any("was cancelled; it exited with 1" in m for m in messages), messages
    no_secret_in(caplog)


def test_a_job_past_the_time_limit_is_cancelled(
    kenv: Env, engine: Engine, slow_site: FixtureServer, tmp_path: Path
) -> None:
    """Cancelled mid-crawl (Scrapy stops it and records the run as stopped), or while it
    starts up (it dies, and the runner closes its run and frees its lock)."""
    with scrapyd_node(tmp_path / "node", node_env(kenv, slow_site)) as node:
        for limit in (8.0, 0.5):
            runner = ScrapydRunner(
                [node.url], poll=0.1, time_limit=limit, cancel_grace=15, engine=engine
            )
            try:
                code = runner.run("kpl-en")
            finally:
                runner.close()
            assert code != 0
            assert all(r.status in ("stopped", "killed") and r.finished_at for r in runs(engine))
            assert lock_of(engine, "kpl-en") is None
        jobs = node.api("listjobs.json", project="kizuna")["finished"]
        assert len(jobs) == 2
    assert runs(engine)  # at least the first one had started its crawl
    # The source is free for the next crawl at once.
    assert acquire(engine, "kpl-en", "manual", "test:2") is None


def test_the_service_dispatches_its_scheduled_crawls_to_scrapyd(
    kenv: Env, engine: Engine, tmp_path: Path, kpl_site: FixtureServer
) -> None:
    """`kizuna run` with KIZUNA_SCRAPYD_URLS: the crawl runs on the node, not in a child of
    the service, and lands in the shared database like a local one."""
    config = fast_config(tmp_path, schedules={"kpl-en": "every 2s"})
    env = {**node_env(kenv, kpl_site), "KIZUNA_CONFIG_DIR": str(config)}
    with scrapyd_node(tmp_path / "node", env) as node:
        service = Service.start(
            kenv.cwd,
            {**env, "KIZUNA_SCRAPYD_URLS": node.url, "KIZUNA_CRAWL_JITTER": "0"},
        )
        try:
            assert service.wait_for_line("crawls run on: scrapyd"), service.output()
            assert wait_for(
                lambda: runs(engine, status="ok", trigger="scheduled") != [], timeout=60
            ), service.output()
            jobs = node.api("listjobs.json", project="kizuna")
            assert any(j["spider"] == "kpl-en" for j in jobs["finished"] + jobs["running"])
            with Session(engine) as session:
                assert len(session.exec(select(Article)).all()) == 12
        finally:
            code, _ = service.terminate()
    assert code == 0, service.output()
    assert PASSWORD not in service.output()
