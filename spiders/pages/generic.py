"""Generic page objects: what a site gets when its markup needs nothing special.

Listing: every link whose URL matches the source's `article_patterns`, and a `rel=next`
style link for the next page. Article: trafilatura's main text and metadata, the page's
own machine-readable date (JSON-LD, `article:published_time`, `<time datetime>`) before
htmldate's guess, and the entry's hints (feed title and date) where the page is silent.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import urljoin

import trafilatura
from parsel import Selector

from config.registry import Source
from spiders.dates import parse_date
from spiders.items import ArticleItem
from spiders.pages.base import ArticleBase, ExtractionError, Link, clean, tz_of

_NEXT = (
    "a[rel~=next]::attr(href)",
    "link[rel~=next]::attr(href)",
    "a.next::attr(href)",
    ".next a::attr(href)",
    "a.nextpostslink::attr(href)",
    ".pager__item--next a::attr(href)",
)
_DATE_META = (
    "meta[property='article:published_time']::attr(content)",
    "meta[name='pubdate']::attr(content)",
    "meta[name='date']::attr(content)",
    "meta[itemprop='datePublished']::attr(content)",
    "time[datetime]::attr(datetime)",
)


class GenericListingPage:
    def __init__(self, url: str, html: str, source: Source) -> None:
        self.url = url
        self.sel = Selector(text=html)
        self.patterns = [re.compile(p) for p in source.article_patterns]

    def links(self) -> list[Link]:
        seen: set[str] = set()
        out: list[Link] = []
        for a in self.sel.css("a[href]"):
            url = urljoin(self.url, a.attrib["href"].strip()).split("#", 1)[0]
            if url in seen or not any(p.search(url) for p in self.patterns):
                continue
            seen.add(url)
            out.append(Link(url=url, title=clean(" ".join(a.css("::text").getall())) or None))
        return out

    def next_page(self) -> str | None:
        for css in _NEXT:
            href = self.sel.css(css).get()
            if href:
                return urljoin(self.url, href.strip())
        return None


def json_ld_articles(sel: Selector) -> list[dict]:
    """Every JSON-LD object of an article type on the page (graphs flattened)."""
    found: list[dict] = []
    for raw in sel.css("script[type='application/ld+json']::text").getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if not isinstance(node, dict):
                continue
            stack.extend(node.get("@graph", []) if isinstance(node.get("@graph"), list) else [])
            kinds = node.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(k in ("NewsArticle", "Article", "BlogPosting", "Report") for k in kinds):
                found.append(node)
    return found


def page_date(sel: Selector, source: Source, ld: list[dict]) -> datetime | None:
    """The date the page states in machine-readable form, if any (`ld`: its JSON-LD
    articles)."""
    for node in ld:
        value = parse_date(str(node.get("datePublished") or ""), tz_of(source))
        if value:
            return value
    for css in _DATE_META:
        value = parse_date(sel.css(css).get(), tz_of(source))
        if value:
            return value
    return None


class GenericArticlePage(ArticleBase):
    def to_item(self) -> ArticleItem:
        doc = trafilatura.bare_extraction(
            self.html, url=self.url, with_metadata=True, include_comments=False
        )
        body: str = getattr(doc, "text", None) or ""
        if not clean(body):
            raise ExtractionError("no main text found")
        sel = Selector(text=self.html)
        # JSON-LD's headline carries no " | Site name" suffix, unlike og:title and <title>.
        ld = json_ld_articles(sel)
        headline = next((clean(str(n["headline"])) for n in ld if n.get("headline")), "")
        title = (
            headline
            or clean(getattr(doc, "title", None))
            or clean(self.hint.title if self.hint else None)
        )
        if not title:
            raise ExtractionError("no title")
        text = body.strip()
        first, _, rest = text.partition("\n")
        if clean(first) == title and rest.strip():
            text = rest.strip()
        published = (
            page_date(sel, self.source, ld)
            or (self.hint.published if self.hint else None)
            or parse_date(getattr(doc, "date", None), tz_of(self.source))
        )
        return ArticleItem(
            url=self.url,
            title=title,
            text=text,
            published_at=published.isoformat() if published else None,
            lang=None,  # detected at ingest from the text
            source=self.source.key,
            alternate_urls=list(self.hint.alternate_urls) if self.hint else [],
        )
