"""What every page object shares: the `Link` an entry page yields, the error a page that
is not an article raises, and the two small interfaces (listing, article).

A page object is pure: it is built from (url, html, source[, hint]) and never makes a
request or touches the database, so it is tested from fixture files alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from parsel import Selector

from config.registry import Source
from spiders.items import ArticleItem


class ExtractionError(ValueError):
    """The page is not an article we can read (layout changed, or not an article)."""


@dataclass(frozen=True)
class Link:
    """An article as an entry page (feed, listing, sitemap, API) announces it. The fields
    beyond `url` are hints: the article page object prefers what the page itself says,
    and falls back to these (a Vientiane Times article has no date; its issue index has)."""

    url: str
    title: str | None = None
    published: datetime | None = None  # timezone-aware
    summary: str | None = None
    # The full text, when the entry carries it (WordPress API `content`): no page fetch then.
    text: str | None = None
    lang: str | None = None
    alternate_urls: tuple[str, ...] = field(default=())


class ListingPage(Protocol):
    def __init__(self, url: str, html: str, source: Source) -> None: ...

    def links(self) -> list[Link]:
        """Article links in page order, each once."""
        ...

    def next_page(self) -> str | None:
        """Absolute URL of the next (older) page, if any."""
        ...


class ArticlePage(Protocol):
    def __init__(self, url: str, html: str, source: Source, hint: Link | None = None) -> None: ...

    def to_item(self) -> ArticleItem:
        """The article; raises ExtractionError when the page is not one."""
        ...


class ListingBase:
    """What every listing page object holds: its URL, source and parsed page."""

    def __init__(self, url: str, html: str, source: Source) -> None:
        self.url = url
        self.source = source
        self._sel = Selector(text=html)


class ArticleBase:
    """What every article page object holds: its URL, HTML, source and the entry's hint."""

    def __init__(self, url: str, html: str, source: Source, hint: Link | None = None) -> None:
        self.url = url
        self.html = html
        self.source = source
        self.hint = hint


@dataclass(frozen=True)
class PageSet:
    """The page objects of one site; None means the generic one (spiders/pages/generic.py)."""

    listing: type[ListingPage] | None = None
    article: type[ArticlePage] | None = None


def clean(text: str | None) -> str:
    """Whitespace collapsed, ends trimmed; None becomes ''."""
    return re.sub(r"\s+", " ", text or "").strip()


def tz_of(source: Source) -> ZoneInfo:
    return ZoneInfo(source.timezone)


def paragraphs_text(paragraphs: list[str]) -> str:
    """Body text from paragraphs: blanks and exact repeats dropped (captions are often
    repeated as the lead), joined by blank lines."""
    out: list[str] = []
    for p in paragraphs:
        p = clean(p)
        if p and p not in out:
            out.append(p)
    return "\n\n".join(out)
