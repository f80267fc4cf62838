"""The one spider: crawls a source as sources.yaml describes it. Entry pages (feeds,
listings, the WordPress API, sitemaps) give links; links become article requests unless
the article is already stored (outside its recheck window), too old for `--since`, or not
an article URL of the source; articles are read by the source's page objects.

Entry pages are always revalidated (`Cache-Control: max-age=0`, so the HTTP cache sends
If-None-Match / If-Modified-Since, ENGINEERING.md §2); a listing's next page is followed
only while its page still shows something new.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from config.identity import UrlCanonicalizer
from config.registry import Entry, IdentityRule, Source
from spiders.blocking import BlockedError
from spiders.fingerprint import IDENTITY_RULES_SETTING, REAL_URL_META
from spiders.flow import article_item, entry_url, item_from_link, read_entry
from spiders.items import ArticleItem
from spiders.pages.base import ExtractionError, Link
from spiders.scope import in_scope

log = logging.getLogger(__name__)

REVALIDATE = {"Cache-Control": "max-age=0"}
# canonical URLs -> when each stored one was first seen (absent: not stored)
KnownFn = Callable[[list[str]], dict[str, datetime]]


class SourceSpider(scrapy.Spider):
    name = "source"

    def __init__(
        self,
        source: Source,
        since: date | None = None,
        known: KnownFn | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=source.key, **kwargs)
        self.source = source
        self.since = since
        self.known = known
        self.patterns = [re.compile(p) for p in source.article_patterns]
        self.canonical = UrlCanonicalizer()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        rules = self.settings.getlist(IDENTITY_RULES_SETTING) if self.settings else []
        self.canonical = UrlCanonicalizer(IdentityRule.model_validate(r) for r in rules)
        for entry in self.source.entries:
            yield self._entry_request(entry, entry_url(entry, since=self.since), page=1)

    # ------------------------------------------------------------------ helpers

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def _entry_request(self, entry: Entry, url: str, page: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_entry,
            errback=self.failed,
            headers=REVALIDATE,
            cb_kwargs={"entry": entry, "page": page},
            meta={"kizuna_role": "entry"},
        )

    def _stored(self, links: list[Link]) -> dict[str, datetime]:
        if self.known is None or not links:
            return {}
        return self.known([self.canonical(link.url) for link in links])

    def _is_article(self, url: str) -> bool:
        return any(p.search(url) for p in self.patterns)

    # ------------------------------------------------------------------ callbacks

    def parse_entry(
        self, response: Response, entry: Entry, page: int
    ) -> Iterator[scrapy.Request | ArticleItem]:
        ctype = response.headers.get(b"Content-Type")
        try:
            result = read_entry(
                entry,
                response.url,
                response.body,
                ctype.decode("latin-1") if ctype else None,
                self.source,
                page=page,
            )
        except (ValueError, ExtractionError) as exc:
            self._inc("kizuna/entry_errors")
            self._inc("kizuna/failures/unreadable entry page")
            log.error("%s: cannot read %s %s: %s", self.source.key, entry.type, response.url, exc)
            return
        self._inc("kizuna/entry_pages")
        links = [link for link in result.links if self._is_article(link.url)]
        self._inc("kizuna/links", len(links))
        if not links and entry.type != "sitemap":
            self._inc("kizuna/empty_entry")
            log.error(
                "%s: %s %s has no article links (layout changed?)",
                self.source.key,
                entry.type,
                response.url,
            )
        stored = self._stored(links)
        now = datetime.now(UTC)
        recheck = timedelta(days=self.source.recheck_days)
        fresh = 0
        for link in links:
            if self.since and link.published and link.published.date() < self.since:
                self._inc("kizuna/too_old")
                continue
            first_seen = stored.get(self.canonical(link.url))
            if first_seen is not None and now - _aware(first_seen) > recheck:
                self._inc("kizuna/skipped_stored")
                continue
            if first_seen is None:
                fresh += 1
            yield from self._follow(link, recheck=first_seen is not None)
        if fresh or entry.type == "sitemap":
            for url in result.more:
                yield self._entry_request(entry, url, page=page + 1)
        elif result.more:
            self._inc("kizuna/pagination_stopped")

    def _follow(self, link: Link, *, recheck: bool) -> Iterator[scrapy.Request | ArticleItem]:
        if link.text:  # the entry carried the whole article
            try:
                item = item_from_link(link, self.source)
            except ExtractionError as exc:
                self._inc("kizuna/extraction_errors")
                log.error("%s: cannot read entry %s: %s", self.source.key, link.url, exc)
                return
            yield from self._keep(item)
            return
        yield scrapy.Request(
            link.url,
            callback=self.parse_article,
            errback=self.failed,
            headers=REVALIDATE if recheck else None,
            cb_kwargs={"hint": link},
            meta={"kizuna_role": "article"},
        )

    def parse_article(self, response: Response, hint: Link) -> Iterator[ArticleItem]:
        if not isinstance(response, TextResponse):
            self._inc("kizuna/not_html")
            log.warning("%s: %s is not a web page; skipped", self.source.key, response.url)
            return
        ctype = response.headers.get(b"Content-Type")
        try:
            item = article_item(
                response.url,
                response.body,
                ctype.decode("latin-1") if ctype else None,
                self.source,
                hint,
            )
        except ExtractionError as exc:
            self._inc("kizuna/extraction_errors")
            log.error("%s: cannot read article %s: %s", self.source.key, response.url, exc)
            return
        yield from self._keep(item)

    def _keep(self, item: ArticleItem) -> Iterator[ArticleItem]:
        if not in_scope(self.source.scope, item.title, item.text):
            self._inc("kizuna/out_of_scope")
            return
        self._inc("kizuna/articles")
        yield item

    def failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.meta.get(REAL_URL_META, request.url) if request else "?"
        kind = failure.type.__name__ if failure.type else "Error"
        response = getattr(failure.value, "response", None)
        if response is not None and kind == "HttpError":
            kind = f"HTTP {response.status}"
        self._inc(f"kizuna/failures/{kind}")
        if failure.check(BlockedError):
            return  # counted and reported once per host by the middleware
        log.error("%s: %s failed: %s", self.source.key, url, failure.getErrorMessage())


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
