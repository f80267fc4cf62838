"""Scrapy's retry middleware, plus what it lacks (ENGINEERING.md §2): a 429 or 503 with
`Retry-After` waits that long before the retry, and holds back every other request to the
same host meanwhile. A wait longer than `KIZUNA_MAX_RETRY_AFTER` seconds is not waited for:
the response stands (the source is recorded as rate-limited, never hammered)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.response import response_status_message

from config.http import retry_after_seconds

log = logging.getLogger(__name__)
MAX_RETRY_AFTER_SETTING = "KIZUNA_MAX_RETRY_AFTER"


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat(MAX_RETRY_AFTER_SETTING, 120.0)
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).netloc
        wait = self.paused_until.get(host, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        stats = self.crawler.stats
        assert stats is not None
        if delay is not None:
            stats.inc_value("kizuna/retry_after")
            if delay > self.max_wait:
                stats.inc_value("kizuna/retry_after_too_long")
                log.warning(
                    "%s asks to wait %.0f s (Retry-After), more than %.0f s: not retried",
                    request.url,
                    delay,
                    self.max_wait,
                )
                return response
            host = urlsplit(request.url).netloc
            self.paused_until[host] = max(
                self.paused_until.get(host, 0.0), time.monotonic() + delay
            )
            await asyncio.sleep(delay)
        return self._retry(request, response_status_message(response.status)) or response
