"""KPL English: listing pages with pagination, then article pages (page objects in
spiders/pages/kpl.py). Start URLs, URL patterns and page limit come from sources.yaml."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import scrapy
from scrapy.http import Response

from config.registry import Source
from spiders.items import ArticleItem
from spiders.pages.kpl import ExtractionError, KplArticlePage, KplListingPage

log = logging.getLogger(__name__)

# Feeds and listings must be revalidated, never served from a heuristic cache.
LISTING_HEADERS = {"Cache-Control": "max-age=0"}


class KplSpider(scrapy.Spider):
    name = "kpl"

    def __init__(self, source: Source, since: date | None = None, **kwargs: Any) -> None:
        super().__init__(name=source.key, **kwargs)
        self.source = source
        self.since = since
        self.patterns = [re.compile(p) for p in source.article_patterns]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start_urls:
            yield scrapy.Request(
                url, callback=self.parse_listing, headers=LISTING_HEADERS, cb_kwargs={"page": 1}
            )

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        listing = KplListingPage(response.url, response.text)
        entries = listing.entries()
        if not entries:
            log.error(
                "%s: listing %s has no article links (layout changed?)",
                self.source.key,
                response.url,
            )
            self.crawler.stats.inc_value("kizuna/empty_listing")  # type: ignore[union-attr]
        fresh = 0
        for entry in entries:
            if self.since and entry.date and entry.date < self.since:
                continue
            if not any(p.search(entry.url) for p in self.patterns):
                continue
            fresh += 1
            yield scrapy.Request(entry.url, callback=self.parse_article)
        next_url = listing.next_page()
        if next_url and page < self.source.max_pages and (fresh or not self.since):
            yield scrapy.Request(
                next_url,
                callback=self.parse_listing,
                headers=LISTING_HEADERS,
                cb_kwargs={"page": page + 1},
            )

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        try:
            yield KplArticlePage(response.url, response.text, source=self.source.key).to_item()
        except ExtractionError as exc:
            log.error("%s: cannot read article %s: %s", self.source.key, response.url, exc)
            self.crawler.stats.inc_value("kizuna/extraction_errors")  # type: ignore[union-attr]
