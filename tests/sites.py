"""The bundled fixture sites read from disk, as the crawler would see them, for tests that
check page objects from fixture files alone (no server, no reactor)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from config.identity import UrlCanonicalizer
from config.registry import Source, load_identity_rules, load_sources
from kizuna.fixture_server import CONTENT_TYPES, FixtureSite, demo_site_dirs, route_key
from spiders.flow import entry_url, read_entry
from spiders.pages.base import Link

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config"


@cache
def sources() -> dict[str, Source]:
    return {s.key: s for s in load_sources(CONFIG)}


@cache
def canonicalizer() -> UrlCanonicalizer:
    return UrlCanonicalizer(load_identity_rules(CONFIG))


@dataclass
class SiteFiles:
    site: FixtureSite
    expected: list[dict[str, Any]]

    def serves(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower() == self.site.origin.lower()

    def body(self, url: str) -> tuple[bytes, str | None] | None:
        """(body, content type) the site answers for a real URL, None if it has no route."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        route = self.site.routes.get(route_key(path))
        if route is None or route.file is None or route.status != 200:
            return None
        ctype = route.content_type or CONTENT_TYPES.get(route.file.suffix)
        return route.file.read_bytes(), ctype


@cache
def site_files() -> dict[str, SiteFiles]:
    out: dict[str, SiteFiles] = {}
    for directory in demo_site_dirs():
        expected_path = directory / "expected.yaml"
        expected = (
            yaml.safe_load(expected_path.read_text(encoding="utf-8"))
            if expected_path.exists()
            else {}
        )
        out[directory.name] = SiteFiles(FixtureSite.load(directory), expected.get("items", []))
    return out


def expected_items() -> list[dict[str, Any]]:
    return [item for files in site_files().values() for item in files.expected]


def files_for(url: str) -> SiteFiles:
    for files in site_files().values():
        if files.serves(url):
            return files
    raise LookupError(f"no fixture site serves {url}")


def announced_links(source: Source) -> dict[str, Link]:
    """Every article link the source's entry pages announce, by canonical URL, following
    pagination and child sitemaps as far as the fixture site (and max_pages) goes."""
    found: dict[str, Link] = {}
    for entry in source.entries:
        queue = [(entry_url(entry), 1)]
        seen: set[str] = set()
        while queue:
            url, page = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            try:
                answer = files_for(url).body(url)
            except LookupError:
                continue
            if answer is None:
                continue
            body, ctype = answer
            result = read_entry(entry, url, body, ctype, source, page=page)
            for link in result.links:
                found.setdefault(canonicalizer()(link.url), link)
            queue.extend((u, page + 1) for u in result.more)
    return found
