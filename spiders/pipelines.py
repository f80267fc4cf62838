"""The one pipeline: hand each item to `kizuna.ingest` (in a worker thread, so database
work never stalls the crawl) and count the outcome in the crawl's stats."""

from __future__ import annotations

import asyncio
import logging

from scrapy.crawler import Crawler

from config.settings import get_settings
from kizuna.ingest import Ingestor
from spiders.items import ArticleItem

log = logging.getLogger(__name__)


class IngestPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # The crawl runner hands over its Ingestor (one per process); settings cannot carry it
        # because Scrapy deep-copies them.
        self.ingestor: Ingestor | None = getattr(crawler, "kizuna_ingestor", None)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        return cls(crawler)

    def _get_ingestor(self) -> Ingestor:
        if self.ingestor is None:
            self.ingestor = Ingestor.from_settings(get_settings())
        return self.ingestor

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        ingestor = self._get_ingestor()
        result = await asyncio.to_thread(
            ingestor.ingest, item.as_ingest(), default_source=item.source
        )
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"kizuna/{result.status}")
        stats.inc_value("kizuna/matches", result.matches)
        stats.inc_value("kizuna/alerts", result.alerts)
        if result.status == "rejected":
            log.error("rejected %s: %s", item.url, result.reason)
        return item
