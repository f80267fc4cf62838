"""Block and challenge pages (SOURCES.md §0.1: MOFA/MOD 403s, Cloudflare "Just a moment…",
the Laotian Times' Anubis proof-of-work, captchas) are recognised and never parsed as
articles: the response is dropped, counted under `kizuna/blocked/<kind>`, and the source's
health says `blocked` when nothing else came through."""

from __future__ import annotations

import logging
import re
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from spiders.fingerprint import REAL_URL_META

log = logging.getLogger(__name__)

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_MARKERS: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    (
        "cloudflare",
        re.compile(rb"cf-chl|challenge-platform|_cf_chl_opt|cf_chl_|cf-browser-verification", re.I),
    ),
    ("anubis", re.compile(rb"anubis|within\.website/x/cmd", re.I)),
    (
        "captcha",
        re.compile(
            rb"g-recaptcha|grecaptcha|h-captcha|hcaptcha\.com|cf-turnstile|captcha-delivery", re.I
        ),
    ),
)
_TITLES: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("cloudflare", re.compile(rb"just a moment|attention required|checking your browser", re.I)),
    ("anubis", re.compile(rb"making sure you(?:'|&#39;|&rsquo;|\xe2\x80\x99)re not a bot", re.I)),
    ("captcha", re.compile(rb"captcha|are you a robot|verify you are human", re.I)),
)
BLOCKING_STATUSES = {401, 403, 451}


class BlockedError(IgnoreRequest):
    def __init__(self, kind: str, url: str, status: int) -> None:
        super().__init__(f"blocked ({kind}, HTTP {status}): {url}")
        self.kind = kind


def block_kind(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """Why this response is a block or challenge page rather than content, or None."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "cloudflare"
    head = body[:32768]
    title_match = _TITLE.search(head)
    title = title_match.group(1) if title_match else b""
    for kind, pattern in _TITLES:
        if pattern.search(title):
            return kind
    # Markers in the markup only count on a short page or an error status: a long article
    # may mention captchas or embed a reCAPTCHA-protected comment form.
    if status in BLOCKING_STATUSES or status == 503 or len(body) < 20000:
        for kind, pattern in _MARKERS:
            if pattern.search(head):
                return kind
    if status in BLOCKING_STATUSES:
        return "forbidden"
    return None


def _headers(response: Response) -> dict[str, str]:
    return {
        k.decode("latin-1").lower(): b",".join(v).decode("latin-1")
        for k, v in response.headers.items()
    }


class BlockDetectionMiddleware:
    """Downloader middleware: runs on decompressed responses, before retries."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.reported: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        kind = block_kind(response.status, _headers(response), response.body)
        if kind is None:
            return response
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("kizuna/blocked")
        stats.inc_value(f"kizuna/blocked/{kind}")
        url = request.meta.get(REAL_URL_META, request.url)
        host = urlsplit(url).netloc
        if (host, kind) not in self.reported:
            self.reported.add((host, kind))
            log.warning("blocked by %s at %s (HTTP %s): %s", kind, host, response.status, url)
        raise BlockedError(kind, url, response.status)
