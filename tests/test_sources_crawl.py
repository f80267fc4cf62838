"""Every source, crawled for real: `kizuna crawl SOURCE` against the fixture sites on
127.0.0.1 stores exactly the expected items (kizuna/demo_sites/*/expected.yaml), and a second
crawl of the unchanged sites revalidates every feed and listing with a conditional request,
stores nothing and queues no alert."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from kizuna.fixture_server import FixtureServer
from spiders.flow import entry_url
from spiders.pages.base import clean

from conftest import Env
from sites import canonicalizer, expected_items, site_files, sources
from test_crawl import _export, summary_row

ENABLED = [key for key, s in sources().items() if s.enabled]


@pytest.fixture(scope="module")
def servers() -> Iterator[list[FixtureServer]]:
    with ExitStack() as stack:
        yield [stack.enter_context(FixtureServer(f.site)) for f in site_files().values()]


def _extra(servers: list[FixtureServer]) -> dict[str, str]:
    mirrors = ",".join(f"{s.site.origin}={s.base_url}" for s in servers)
    return {"KIZUNA_MIRRORS": mirrors, "KIZUNA_OFFLINE": "1", "COLUMNS": "250"}


def _same_time(got: str, want: Any, tz: str) -> bool:
    when = datetime.fromisoformat(got)
    target = datetime.fromisoformat(str(want))
    if target.tzinfo is None:
        return when.astimezone(ZoneInfo(tz)).date() == target.date()
    return when == target


@pytest.mark.parametrize("key", ENABLED)
def test_crawl_of_a_source_stores_its_expected_items(
    kenv: Env, servers: list[FixtureServer], key: str
) -> None:
    done = kenv.run("crawl", key, extra=_extra(servers))
    assert done.returncode == 0, done.stdout + done.stderr
    row = summary_row(done.stdout, key)
    assert row["status"] == "ok" and row["health"] == "ok", row

    expected = {canonicalizer()(i["url"]): i for i in expected_items() if i["source"] == key}
    stored = {a["canonical_url"]: a for a in _export(kenv) if a["source"] == key}
    assert set(stored) == set(expected)
    for url, want in expected.items():
        got = stored[url]
        assert got["title"] == want["title"]
        assert _same_time(got["published_at"], want["published_at"], sources()[key].timezone)
        assert clean(got["text"]).startswith(clean(want["body_starts"]))
        assert got["lang"] == want["lang"]


def test_second_crawl_of_unchanged_sites_is_conditional_and_changes_nothing(
    kenv: Env, servers: list[FixtureServer]
) -> None:
    # A Slack route makes every new matched story queue an alert (nothing is sent here).
    extra = {**_extra(servers), "KIZUNA_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/hook"}
    first = kenv.run("crawl", extra=extra, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    stored = len(_export(kenv))
    assert stored == len({canonicalizer()(i["url"]) for i in expected_items()})

    def outbox_rows() -> int:
        from storage.db import make_engine

        engine = make_engine(kenv.vars["KIZUNA_DATABASE_URL"])
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
        engine.dispose()
        return int(count)

    queued = outbox_rows()
    assert queued > 0
    for server in servers:
        server.site.hits.clear()

    second = kenv.run("crawl", extra=extra, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    for key in ENABLED:
        row = summary_row(second.stdout, key)
        assert row["new"] == "0" and row["updated"] == "0", row
    assert len(_export(kenv)) == stored
    assert outbox_rows() == queued

    by_origin = {s.site.origin: s.site for s in servers}
    entry_requests = conditional = 0
    for key in ENABLED:
        for entry in sources()[key].entries:
            url = entry_url(entry)
            parts = urlsplit(url)
            site = by_origin[f"{parts.scheme}://{parts.netloc}"]
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            hits = [h for h in site.hits if h.path == path]
            assert hits, f"{key}: second crawl did not ask for {url}"
            entry_requests += len(hits)
            conditional += sum(h.conditional for h in hits)
            assert all(h.conditional for h in hits), f"{key}: {url} fetched unconditionally"
    assert conditional == entry_requests >= len(ENABLED)
    # Articles stored earlier than their recheck window are not asked for at all; younger
    # ones only conditionally: no page is downloaded unconditionally a second time.
    unconditional = [h.path for s in servers for h in s.site.hits if not h.conditional]
    assert unconditional == [], unconditional
