"""`kizuna sources --check`: fetch one entry point of each source, now, and say whether it
answers with what the crawler needs (robots.txt permitting): a page that parses into
article links, not a block or challenge page, an error, or an empty page."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from protego import Protego

from config.registry import Source
from config.settings import Settings
from spiders.blocking import block_kind
from spiders.flow import entry_url, read_entry
from spiders.settings import kizuna_version

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class CheckResult:
    source: str
    url: str
    verdict: str  # ok | blocked | error | empty | disallowed | skipped
    http: int | None
    links: int
    detail: str
    seconds: float


def _fetch_url(url: str, settings: Settings) -> str | None:
    """Where to send a request for a real URL: its mirror, itself, or nowhere (offline)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    mirror = settings.mirror_map.get(origin)
    if mirror:
        return mirror + url[len(origin) :]
    if settings.offline and parts.hostname not in LOOPBACK:
        return None
    return url


def check_source(source: Source, settings: Settings, client: httpx.Client) -> CheckResult:
    entry = source.entries[0]
    url = entry_url(entry)
    started = time.monotonic()

    def result(verdict: str, http: int | None, links: int, detail: str) -> CheckResult:
        return CheckResult(
            source.key, url, verdict, http, links, detail, time.monotonic() - started
        )

    target = _fetch_url(url, settings)
    if target is None:
        return result("skipped", None, 0, "offline, and no mirror for this host")
    parts = urlsplit(target)
    try:
        robots = client.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
        if robots.status_code == 200:
            rules = Protego.parse(robots.text)
            agent = str(client.headers.get("User-Agent", "*"))
            if not rules.can_fetch(target, agent):
                return result("disallowed", None, 0, "robots.txt disallows this entry point")
        response = client.get(target, headers={"Cache-Control": "max-age=0"})
    except httpx.HTTPError as exc:
        return result("error", None, 0, f"{type(exc).__name__}: {exc}"[:200])
    headers = {k.lower(): v for k, v in response.headers.items()}
    kind = block_kind(response.status_code, headers, response.content)
    if kind:
        return result("blocked", response.status_code, 0, f"{kind} page")
    if response.status_code >= 400:
        return result("error", response.status_code, 0, f"HTTP {response.status_code}")
    try:
        page = read_entry(entry, url, response.content, headers.get("content-type"), source, page=1)
    except ValueError as exc:
        return result("error", response.status_code, 0, f"unreadable {entry.type}: {exc}")
    patterns = [re.compile(p) for p in source.article_patterns]
    links = [link for link in page.links if any(p.search(link.url) for p in patterns)]
    if not links:
        return result("empty", response.status_code, 0, "no article link (layout changed?)")
    return result("ok", response.status_code, len(links), f"{len(links)} article links")


def check_sources(sources: list[Source], settings: Settings) -> list[CheckResult]:
    headers = {"User-Agent": f"Kizuna/{kizuna_version()} (+{settings.user_agent_contact})"}
    # trust_env: HTTP(S)_PROXY and NO_PROXY apply, as they do to crawls.
    with (
        httpx.Client(
            headers=headers, timeout=20.0, follow_redirects=True, trust_env=True
        ) as client,
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        return list(pool.map(lambda s: check_source(s, settings, client), sources))
