"""A real Scrapy crawl of the KPL fixture site on 127.0.0.1, through `kizuna crawl`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kizuna.fixture_server import DEMO_SITES, FixtureServer, FixtureSite

from conftest import Env, mirrors_for


def summary_row(stdout: str, source: str) -> dict[str, str]:
    """One row of `kizuna crawl`'s summary table, by column name."""
    lines = stdout.splitlines()
    header = next(line for line in lines if "source" in line and "status" in line)
    names = [c.strip() for c in header.replace("┃", "│").split("│") if c.strip()]
    row = next(line for line in lines if line.split("│")[1:2] and source in line.split("│")[1])
    cells = [c.strip() for c in row.split("│")[1:-1]]
    return dict(zip(names, cells, strict=False))


def _export(kenv: Env) -> list[dict]:
    done = kenv.run("export", "articles", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_crawl_stores_every_article_once_and_again_nothing(kenv: Env, kpl_site) -> None:
    extra = {"KIZUNA_MIRRORS": mirrors_for(kpl_site), "KIZUNA_OFFLINE": "1"}
    first = kenv.run("crawl", "kpl-en", extra=extra)
    assert first.returncode == 0, first.stderr
    assert "kpl-en" in first.stdout and "ok" in first.stdout

    articles = _export(kenv)
    assert len(articles) == 12
    # Real URLs are stored, never the mirror's; the tracking-parameter variant is folded in.
    assert all(a["url"].startswith("https://kpl.gov.la/En/Detail.aspx?id=") for a in articles)
    assert len({a["canonical_url"] for a in articles}) == 12
    requests = kpl_site.site.requests
    assert requests[0] == "/robots.txt"
    assert not any("utm_source" in r for r in requests)
    assert not any(r.lower().startswith("/en/search.aspx") for r in requests)  # robots.txt

    stadium = next(a for a in articles if a["url"].endswith("id=88742"))
    assert stadium["published_at"] == "2024-12-18T03:05:00+00:00"  # 10:05 in Vientiane
    assert stadium["relevant"] is True
    assert {"key": "csp2025-18", "paragraph": 18} in stadium["commitments"]
    railway = next(a for a in articles if a["url"].endswith("id=89210"))
    assert railway["relevant"] is False and railway["commitments"] == []

    second = kenv.run("crawl", "kpl-en", extra=extra)
    assert second.returncode == 0, second.stderr
    assert len(_export(kenv)) == 12
    row = summary_row(second.stdout, "kpl-en")
    # Every listing was revalidated (304), stored articles were not fetched again except
    # the ones inside the recheck window, which were revalidated too: nothing new.
    assert row["status"] == "ok" and row["health"] == "ok"
    assert row["new"] == "0" and row["updated"] == "0"
    assert int(row["duplicate"]) == int(row["items"])


def test_dates_are_read_in_vientiane_time(kenv: Env, kpl_site) -> None:
    extra = {"KIZUNA_MIRRORS": mirrors_for(kpl_site), "KIZUNA_OFFLINE": "1"}
    assert kenv.run("crawl", "kpl-en", extra=extra).returncode == 0
    by_id = {a["url"].rsplit("=", 1)[1]: a for a in _export(kenv)}
    # The page says 23/01/2025 10:38 (Vientiane, UTC+7).
    assert by_id["88879"]["published_at"] == "2025-01-23T03:38:00+00:00"


def test_broken_article_page_loses_nothing_else(kenv: Env, tmp_path: Path) -> None:
    site_dir = tmp_path / "kpl"
    shutil.copytree(DEMO_SITES / "kpl", site_dir)
    (site_dir / "detail-89047.html").write_text("<html><body>Service Unavailable</body></html>")
    with FixtureServer(FixtureSite.load(site_dir)) as server:
        done = kenv.run(
            "crawl", "kpl-en", extra={"KIZUNA_MIRRORS": mirrors_for(server), "KIZUNA_OFFLINE": "1"}
        )
    assert done.returncode == 0, done.stderr
    assert "89047" in done.stderr  # the broken page is reported by URL
    urls = {a["url"] for a in _export(kenv)}
    assert len(urls) == 11 and not any(u.endswith("id=89047") for u in urls)


def test_since_skips_older_listing_entries(kenv: Env, kpl_site) -> None:
    extra = {"KIZUNA_MIRRORS": mirrors_for(kpl_site), "KIZUNA_OFFLINE": "1"}
    done = kenv.run("crawl", "kpl-en", "--since", "2025-02-01", extra=extra)
    assert done.returncode == 0, done.stderr
    dates = sorted(a["published_at"][:10] for a in _export(kenv))
    assert dates and dates[0] >= "2025-02-01"
    assert not any("page=3" in r for r in kpl_site.site.requests)


def test_unreachable_site_fails_the_crawl_with_a_clear_line(kenv: Env) -> None:
    # A mirror on a closed port: every request fails.
    done = kenv.run(
        "crawl",
        "kpl-en",
        extra={"KIZUNA_MIRRORS": "https://kpl.gov.la=http://127.0.0.1:9", "KIZUNA_OFFLINE": "1"},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: crawl failed for kpl-en")
    health = kenv.run("export", "articles")
    assert health.returncode == 0 and health.stdout == ""


def test_offline_mode_refuses_unmirrored_hosts(kenv: Env) -> None:
    done = kenv.run("crawl", "kpl-en", extra={"KIZUNA_OFFLINE": "1"})
    assert done.returncode == 1
    assert "no page could be fetched" in done.stdout + done.stderr


def test_sources_shows_health_after_crawls(kenv: Env, kpl_site) -> None:
    before = kenv.run("sources")
    assert before.returncode == 0 and "never crawled" in before.stdout
    bad = {"KIZUNA_MIRRORS": "https://kpl.gov.la=http://127.0.0.1:9", "KIZUNA_OFFLINE": "1"}
    assert kenv.run("crawl", "kpl-en", extra=bad).returncode == 1
    failing = kenv.run("sources", extra={"COLUMNS": "250"}).stdout
    row = next(line for line in failing.splitlines() if "kpl-en" in line)
    assert "degraded" in row and "no page could be fetched" in row
    good = {"KIZUNA_MIRRORS": mirrors_for(kpl_site), "KIZUNA_OFFLINE": "1"}
    assert kenv.run("crawl", "kpl-en", extra=good).returncode == 0
    listing = kenv.run("sources", extra={"COLUMNS": "250"}).stdout
    row = next(line for line in listing.splitlines() if "kpl-en" in line)
    assert " ok " in row and "12 new of 12 seen" in row
