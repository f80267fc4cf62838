"""Downloader middleware that serves a site from a mirror (the fixture copies on 127.0.0.1
in the demo and tests, a staging cache elsewhere) while spiders and items keep the real
URLs; in offline mode it refuses anything it cannot send to a mirror."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from spiders.fingerprint import REAL_URL_META as _META_REAL

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


class MirrorMiddleware:
    def __init__(self, mirrors: dict[str, str], offline: bool) -> None:
        self.mirrors = {k.lower(): v for k, v in mirrors.items()}
        self.reverse = {v: k for k, v in self.mirrors.items()}
        self.offline = offline

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorMiddleware:
        return cls(
            crawler.settings.getdict("KIZUNA_MIRRORS"), crawler.settings.getbool("KIZUNA_OFFLINE")
        )

    def process_request(self, request: Request) -> Request | None:
        origin = _origin(request.url)
        mirror = self.mirrors.get(origin)
        if mirror is not None:
            local = mirror + request.url[len(origin) :]
            return request.replace(
                url=local, dont_filter=True, meta={**request.meta, _META_REAL: request.url}
            )
        if self.offline and urlsplit(request.url).hostname not in _LOOPBACK:
            raise IgnoreRequest(f"offline: no mirror for {origin}")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        real = request.meta.get(_META_REAL)
        if real is not None:
            return response.replace(url=real)
        return response

    def process_exception(self, request: Request, exception: Exception) -> Any:
        return None
