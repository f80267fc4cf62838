"""`python -m benchmarks crawl`: the crawl benchmark runs end to end on a tiny site and
writes its figures. Timings are not asserted (they depend on the machine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.fixture_server import FixtureSite

from benchrun import run_benchmark
from conftest import REPO


def test_crawl_benchmark_writes_its_metrics(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    # --scale 0.01: a 20-post site (one archive page); two crawls on 127.0.0.1.
    table, by_name = run_benchmark("crawl", 0.01, output, timeout=180)
    assert "recrawl.bytes" in table
    assert by_name["crawl.items_stored"]["value"] == 20
    rate = by_name["crawl.pages_per_s"]
    assert rate["value"] > 0 and rate["baseline"] > 0  # baseline: extraction only
    assert 0 < by_name["crawl.peak_rss"]["value"] < 4000
    assert by_name["crawl.peak_rss"]["baseline"] == 400.0
    # The first crawl fetched every post; the second sent conditional requests only.
    first = by_name["recrawl.requests"]["baseline"]
    assert first >= 20 + 2  # posts, the feed, the archive page
    assert 0 < by_name["recrawl.requests"]["value"] <= first
    assert by_name["recrawl.bytes"]["ratio"] < 0.2
    assert by_name["crawl.wall_time"]["value"] > 0


def test_counting_server_counts_requests_bytes_and_304s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import urllib.error
    import urllib.request

    monkeypatch.syspath_prepend(str(REPO))  # benchmarks/ is not an installed package
    from benchmarks._site import CountingServer, build_site

    site = build_site(tmp_path / "site", 3)
    assert site.listing_pages == 1 and len(site.posts) == 3
    with CountingServer(FixtureSite.load(site.directory)) as server:
        url = server.base_url + site.posts[0].path
        with urllib.request.urlopen(url) as answer:
            body = answer.read()
            etag = answer.headers["ETag"]
        assert b"application/ld+json" in body and site.posts[0].url.encode() in body
        assert server.traffic.requests == 1 and server.traffic.bytes > len(body)
        request = urllib.request.Request(url, headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(request)
        except urllib.error.HTTPError as exc:  # urllib raises on 304
            assert exc.code == 304
        assert server.traffic.requests == 2
        assert dict(server.traffic.statuses) == {200: 1, 304: 1}
