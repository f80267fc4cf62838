"""`kizuna crawl --record FILE.warc.gz` keeps every response as evidence; `--replay` crawls
from that file alone, offline, and stores the same articles."""

from __future__ import annotations

import json
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from kizuna.fixture_server import DEMO_SITES, FixtureServer, FixtureSite

from conftest import Env, mirrors_for


def _articles(kenv: Env, database_url: str | None = None) -> list[dict]:
    extra = {"KIZUNA_DATABASE_URL": database_url} if database_url else None
    done = kenv.run("export", "articles", "--format", "jsonl", extra=extra)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_record_then_replay_offline_stores_the_same_articles(kenv: Env, tmp_path: Path) -> None:
    archive = tmp_path / "kpl.warc.gz"
    with FixtureServer(FixtureSite.load(DEMO_SITES / "kpl")) as server:
        extra = {"KIZUNA_MIRRORS": mirrors_for(server), "KIZUNA_OFFLINE": "1"}
        done = kenv.run("crawl", "kpl-en", "--record", str(archive), extra=extra)
    assert done.returncode == 0, done.stderr
    assert str(archive) in done.stdout
    live = {a["canonical_url"]: a for a in _articles(kenv)}
    assert len(live) == 12

    with archive.open("rb") as stream:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers)
            for r in ArchiveIterator(stream)
        ]
    responses = [uri for kind, uri, _ in records if kind == "response"]
    requests = [uri for kind, uri, _ in records if kind == "request"]
    # Real URLs (never the mirror's), robots.txt and the listings included, each answered.
    assert all(u.startswith("https://kpl.gov.la/") for u in responses), responses
    assert "https://kpl.gov.la/robots.txt" in responses
    assert "https://kpl.gov.la/En/News.aspx?cat=13" in responses
    assert set(live) <= set(responses)
    assert sorted(requests) == sorted(responses)
    assert all(h.get_header("WARC-Date") for _, _, h in records)

    # The server is gone; no mirror, offline: only the archive can answer.
    replay_db = f"sqlite:///{tmp_path / 'replay.db'}"
    replayed = kenv.run(
        "crawl",
        "kpl-en",
        "--replay",
        str(archive),
        extra={"KIZUNA_DATABASE_URL": replay_db, "KIZUNA_OFFLINE": "1"},
    )
    assert replayed.returncode == 0, replayed.stderr
    again = {a["canonical_url"]: a for a in _articles(kenv, replay_db)}
    assert set(again) == set(live)
    for url, article in live.items():
        assert again[url]["title"] == article["title"]
        assert again[url]["text"] == article["text"]
        assert again[url]["published_at"] == article["published_at"]


def test_replay_of_a_missing_file_is_one_clear_error(kenv: Env, tmp_path: Path) -> None:
    done = kenv.run("crawl", "kpl-en", "--replay", str(tmp_path / "nope.warc.gz"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope.warc.gz'}: no such WARC file"
    ]
